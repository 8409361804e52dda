"""GraphSense ActorPacks in: the real-world actors (exchanges, mixers, ...) tags point at.

``actorpack_schema.yaml``: ``id``, ``uri``, ``label`` and ``categories`` are mandatory,
``lastmod`` is inherited from the header when an actor lacks it. Unknown categories or
jurisdictions do not stop the import (GraphSense's own pack uses ``defi_derivative``,
which its taxonomy spells ``defi_derivatives``); they are reported as warnings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from chainsleuth.errors import MalformedRecord
from chainsleuth.intel.tagpacks import load_yaml
from chainsleuth.intel.taxonomy import Taxonomy, default_taxonomy

ACTOR_SCHEMA = pa.schema(
    [
        ("pack", pa.string()),
        ("id", pa.string()),
        ("label", pa.string()),
        ("uri", pa.string()),
        ("categories", pa.list_(pa.string())),
        ("jurisdictions", pa.list_(pa.string())),
        ("aliases", pa.list_(pa.string())),
        ("lastmod", pa.string()),
        ("context", pa.string()),
    ]
)


@dataclass(frozen=True)
class ActorPack:
    """One ActorPack: its id, header, actors and the taxonomy warnings it raised."""

    pack: str
    path: str
    header: dict[str, Any]
    actors: pa.Table
    warnings: list[str]


def _text_list(value: Any, bad: Any, name: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise bad(name, "not a list of text")
    return list(value)


def _actor_row(actor: Any, header_lastmod: Any, bad: Any) -> dict[str, Any]:
    if not isinstance(actor, dict):
        raise bad("actors", "an actor must be a mapping")
    for name in ("id", "uri", "label"):
        if not isinstance(actor.get(name), str) or not actor[name]:
            raise bad(name, "missing or not text")
    context = actor.get("context")
    if context is not None and not isinstance(context, dict | str):
        raise bad("context", "not a mapping")
    return {
        "id": actor["id"],
        "label": actor["label"],
        "uri": actor["uri"],
        "categories": _text_list(actor.get("categories"), bad, "categories"),
        "jurisdictions": _text_list(actor.get("jurisdictions"), bad, "jurisdictions"),
        "aliases": _text_list(actor.get("aliases"), bad, "aliases"),
        "lastmod": str(actor.get("lastmod") or header_lastmod or ""),
        "context": context if isinstance(context, str | None) else json.dumps(context),
    }


def _warnings(rows: list[dict[str, Any]], tax: Taxonomy) -> list[str]:
    out = []
    for row in rows:
        if not row["categories"]:
            out.append(f"actor {row['id']}: no categories")
        out += [
            f"actor {row['id']}: category {c!r} is not a taxonomy concept"
            for c in row["categories"]
            if c not in tax.concepts
        ]
        out += [
            f"actor {row['id']}: jurisdiction {j!r} is not a country code"
            for j in row["jurisdictions"]
            if j not in tax.countries
        ]
    return out


def read_actorpack(
    path: Path, *, pack: str | None = None, taxonomy: Taxonomy | None = None
) -> ActorPack:
    """Read one ActorPack file; duplicate actor ids and missing fields are errors."""
    data = load_yaml(path)
    for name in ("title", "creator"):
        if not isinstance(data.get(name), str) or not data[name]:
            raise MalformedRecord(path=path, record="header", field=name, reason="missing")
    actors = data.get("actors")
    if not isinstance(actors, list):
        raise MalformedRecord(path=path, record="header", field="actors", reason="not a list")
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, actor in enumerate(actors):

        def bad(field: str, reason: str, i: int = i) -> MalformedRecord:
            return MalformedRecord(path=path, record=f"actor {i}", field=field, reason=reason)

        row = _actor_row(actor, data.get("lastmod"), bad)
        if row["id"] in seen:
            raise bad("id", f"duplicate actor id {row['id']!r}")
        seen.add(row["id"])
        rows.append(row)
    pack_id = pack or path.stem
    table = pa.Table.from_pylist([{"pack": pack_id, **r} for r in rows], schema=ACTOR_SCHEMA)
    header = {k: v for k, v in data.items() if k != "actors"}
    warnings = _warnings(rows, taxonomy or default_taxonomy())
    return ActorPack(pack=pack_id, path=str(path), header=header, actors=table, warnings=warnings)
