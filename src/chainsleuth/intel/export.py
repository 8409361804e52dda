"""TagPacks out: our tags as a YAML TagPack that GraphSense's ``tagpack-tool`` accepts.

Every tag is written with all its fields (no header inheritance), so a reader needs no
context; mandatory fields follow ``tagpack_schema.yaml`` (label, source, currency,
network, confidence), optional ones appear only when set.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import yaml

from chainsleuth.errors import Invalid

_MANDATORY = ("label", "source", "currency", "network", "confidence")
_OPTIONAL = ("category", "abuse", "actor", "tag_type", "lastmod", "context", "concepts")


def _tag(row: dict[str, Any]) -> dict[str, Any]:
    tag: dict[str, Any] = {}
    if row["address"]:
        tag["address"] = row["address"]
    else:
        tag["tx_hash"] = row["tx_hash"]
    tag |= {name: row[name] for name in _MANDATORY}
    tag |= {name: row[name] for name in _OPTIONAL if row[name]}
    tag["is_cluster_definer"] = bool(row["is_cluster_definer"])
    return tag


def tagpack_document(
    tags: pa.Table, *, title: str, creator: str, description: str | None = None
) -> dict[str, Any]:
    """The TagPack mapping for ``tags`` (TAG_SCHEMA rows)."""
    if not title or not creator:
        raise Invalid("a TagPack needs a title and a creator")
    header: dict[str, Any] = {"title": title, "creator": creator}
    if description:
        header["description"] = description
    header["is_public"] = False
    return {**header, "tags": [_tag(r) for r in tags.to_pylist()]}


def export_tagpack(
    tags: pa.Table, out: Path, *, title: str, creator: str, description: str | None = None
) -> int:
    """Write ``tags`` as a TagPack YAML file (temp file, then rename); return the tag count."""
    doc = tagpack_document(tags, title=title, creator=creator, description=description)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        yaml.safe_dump(doc, fh, sort_keys=False, allow_unicode=True, width=100)
    Path(tmp).replace(out)  # atomic, as os.replace
    return len(doc["tags"])
