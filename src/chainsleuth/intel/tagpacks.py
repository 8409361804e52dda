"""GraphSense TagPacks in: YAML files -> validated tag tables.

A TagPack is a YAML mapping of header fields and a ``tags`` list; a header field that is
also a tag field applies to every tag that does not set it (GraphSense TagPack spec,
``tagpack_schema.yaml``). Values of ``category``, ``abuse`` and ``concepts`` must be
concepts of the taxonomy, ``confidence`` one of its levels, ``tag_type`` one of its types.
Tags without ``confidence`` get ``unknown``; tags without ``network`` take their currency,
as GraphSense's own tools do.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import yaml

from chainsleuth.errors import MalformedRecord
from chainsleuth.intel.keys import address_keys
from chainsleuth.intel.taxonomy import Taxonomy, default_taxonomy

TAG_FIELDS = (
    "label",
    "source",
    "currency",
    "network",
    "context",
    "confidence",
    "is_cluster_definer",
    "lastmod",
    "category",
    "abuse",
    "address",
    "tx_hash",
    "actor",
    "concepts",
    "tag_type",
)
_TEXT = ("label", "source", "currency", "network", "address", "tx_hash", "actor", "category")
TAG_SCHEMA = pa.schema(
    [
        ("pack", pa.string()),
        ("address", pa.string()),
        ("tx_hash", pa.string()),
        ("namespace", pa.string()),
        ("key", pa.binary()),
        ("currency", pa.string()),
        ("network", pa.string()),
        ("label", pa.string()),
        ("source", pa.string()),
        ("category", pa.string()),
        ("abuse", pa.string()),
        ("concepts", pa.list_(pa.string())),
        ("actor", pa.string()),
        ("confidence", pa.string()),
        ("confidence_level", pa.int16()),
        ("tag_type", pa.string()),
        ("is_cluster_definer", pa.bool_()),
        ("lastmod", pa.date32()),
        ("context", pa.string()),
    ]
)


@dataclass(frozen=True)
class TagPack:
    """One TagPack: its id (relative path without suffix), header and tags."""

    pack: str
    path: str
    header: dict[str, Any]
    tags: pa.Table


def load_yaml(path: Path) -> dict[str, Any]:
    """A YAML mapping from ``path`` (C loader when available); bad YAML names the line."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(path.read_bytes(), Loader=loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "document"
        reason = getattr(exc, "problem", None) or str(exc)
        raise MalformedRecord(path=path, record=where, reason=f"bad YAML: {reason}") from exc
    if not isinstance(data, dict):
        raise MalformedRecord(path=path, record="document", reason="not a YAML mapping")
    return data


def _as_date(value: Any, bad: Any) -> date | None:
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    if isinstance(value, datetime):
        return value.date()
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise bad("lastmod", "not a date") from None


def _check(tag: dict[str, Any], taxonomy: Taxonomy, bad: Any) -> None:
    for name in ("label", "source", "currency"):
        if not tag.get(name):
            raise bad(name, "missing")
    for name in _TEXT:
        if tag.get(name) is not None and not isinstance(tag[name], str):
            raise bad(name, f"not text ({type(tag[name]).__name__}); quote it in YAML")
    if not (tag.get("address") or tag.get("tx_hash")):
        raise bad("address", "a tag needs an address or a tx_hash")
    for name in ("category", "abuse", "concepts"):
        values = tag.get(name)
        for value in values if isinstance(values, list) else [values]:
            if value is not None and value not in taxonomy.concepts:
                raise bad(name, f"{value!r} is not a taxonomy concept")
    if tag["confidence"] not in taxonomy.confidence:
        raise bad("confidence", f"{tag['confidence']!r} is not a confidence level")
    if tag.get("tag_type") is not None and tag["tag_type"] not in taxonomy.tag_types:
        raise bad("tag_type", f"{tag['tag_type']!r} is not a tag type")


def _context(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, default=str)


def tag_table(
    records: Sequence[Mapping[str, Any]],
    *,
    pack: str,
    path: str | Path = "<tags>",
    defaults: Mapping[str, Any] | None = None,
    taxonomy: Taxonomy | None = None,
) -> pa.Table:
    """Validate tag records (``defaults`` = inherited header fields) into a TAG_SCHEMA table."""
    tax = taxonomy or default_taxonomy()
    inherited = {k: v for k, v in (defaults or {}).items() if k in TAG_FIELDS}
    rows: dict[str, list[Any]] = {f.name: [] for f in TAG_SCHEMA}
    for i, record in enumerate(records):

        def bad(field: str, reason: str, i: int = i) -> MalformedRecord:
            return MalformedRecord(path=path, record=f"tag {i}", field=field, reason=reason)

        if not isinstance(record, Mapping):
            raise bad("tags", "a tag must be a mapping")
        tag = {**inherited, **record}
        tag.setdefault("confidence", "unknown")
        tag["network"] = tag.get("network") or tag.get("currency")
        _check(tag, tax, bad)
        tag["lastmod"] = _as_date(tag.get("lastmod"), bad)
        tag["context"] = _context(tag.get("context"))
        tag["concepts"] = list(tag.get("concepts") or [])
        tag["confidence_level"] = tax.confidence[tag["confidence"]]
        tag["currency"] = tag["currency"].upper()
        tag["is_cluster_definer"] = bool(tag.get("is_cluster_definer", False))
        for name, column in rows.items():
            column.append(tag.get(name))
    rows["pack"] = [pack] * len(records)
    keys = address_keys(rows["address"], rows["currency"])
    rows["address"] = keys["address"].to_pylist()
    rows["namespace"], rows["key"] = keys["namespace"], keys["key"]
    return pa.table(rows, schema=TAG_SCHEMA)


def read_tagpack(
    path: Path, *, pack: str | None = None, taxonomy: Taxonomy | None = None
) -> TagPack:
    """Read and validate one TagPack file; ``pack`` defaults to the file's stem."""
    data = load_yaml(path)
    for name in ("title", "creator"):
        if not isinstance(data.get(name), str) or not data[name]:
            raise MalformedRecord(path=path, record="header", field=name, reason="missing")
    tags = data.get("tags")
    if not isinstance(tags, list):
        raise MalformedRecord(path=path, record="header", field="tags", reason="not a list")
    header = {k: v for k, v in data.items() if k != "tags"}
    pack_id = pack or path.stem
    table = tag_table(tags, pack=pack_id, path=path, defaults=header, taxonomy=taxonomy)
    return TagPack(pack=pack_id, path=str(path), header=header, tags=table)


def find_packs(paths: Sequence[Path]) -> Iterator[tuple[str, Path]]:
    """(pack id, file) for each YAML file named or found under a named folder."""
    for root in paths:
        if root.is_dir():
            for file in sorted([*root.rglob("*.yaml"), *root.rglob("*.yml")]):
                yield str(file.relative_to(root).with_suffix("")), file
        else:
            yield root.stem, root
