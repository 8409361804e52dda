"""The intel store: tags, actors and sanctions list versions as Parquet, one manifest.

Layout of the folder (default ``<chain store>/intel/``)::

    manifest.json            tables in force, packs, list versions (the commit point)
    tags.<gen>.parquet       TAG_SCHEMA rows of every imported TagPack
    actors.<gen>.parquet     ACTOR_SCHEMA rows of every imported ActorPack
    sanctions.<gen>.parquet  every version of every list: list, version, list_date + entries

A change writes new table files, then the manifest (temp file + ``os.replace``), then
deletes files the manifest no longer names: a crash leaves the previous state whole.
One writer at a time (the CLI is the writer); readers only follow the manifest.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from chainsleuth.chain.schema import empty_table
from chainsleuth.errors import NotFound
from chainsleuth.intel.actors import ACTOR_SCHEMA, ActorPack
from chainsleuth.intel.sanctions import SANCTION_SCHEMA, ListDiff, SanctionsList, diff_lists
from chainsleuth.intel.tagpacks import TAG_SCHEMA, TagPack

LIST_COLUMNS = pa.schema(
    [("list", pa.string()), ("version", pa.int32()), ("list_date", pa.date32())]
)
SCHEMAS = {
    "tags": TAG_SCHEMA,
    "actors": ACTOR_SCHEMA,
    "sanctions": pa.unify_schemas([LIST_COLUMNS, SANCTION_SCHEMA]),
}


@dataclass(frozen=True)
class ListVersion:
    """One imported version of a sanctions list, as the manifest records it."""

    name: str
    version: int
    list_date: date | None
    imported_at: datetime
    entries: int
    addresses: int
    sources: list[dict[str, str]]
    warnings: list[str]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class IntelStore:
    """An intel store folder; every method reads the manifest afresh."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def manifest(self) -> dict[str, Any]:
        """The manifest, or an empty one for a new folder."""
        path = self.root / "manifest.json"
        if not path.exists():
            return {
                "format": 1,
                "generation": 0,
                "tables": {},
                "tagpacks": {},
                "actorpacks": {},
                "lists": {},
            }
        data: dict[str, Any] = json.loads(path.read_text())
        return data

    def table(self, name: str) -> pa.Table:
        """The rows of one table (``tags``, ``actors``, ``sanctions``), empty if none yet."""
        file = self.manifest["tables"].get(name)
        if file is None:
            return empty_table(SCHEMAS[name])
        return pq.read_table(self.root / file, schema=SCHEMAS[name])

    def tags(self, packs: Sequence[str] | None = None) -> pa.Table:
        """Stored tags, of the named packs only when ``packs`` is given."""
        tags = self.table("tags")
        if not packs:
            return tags
        return tags.filter(pc.is_in(tags["pack"], value_set=pa.array(list(packs), pa.string())))

    def _commit(self, manifest: dict[str, Any], tables: dict[str, pa.Table]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        manifest["generation"] = gen = manifest["generation"] + 1
        for name, table in tables.items():
            file = f"{name}.{gen}.parquet"
            pq.write_table(table.cast(SCHEMAS[name]), self.root / f".{file}.tmp")
            (self.root / f".{file}.tmp").replace(self.root / file)
            manifest["tables"][name] = file
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".manifest.", suffix=".tmp")
        with os.fdopen(fd, "w") as out:
            json.dump(manifest, out, indent=2, sort_keys=True, default=str)
            out.flush()
            os.fsync(out.fileno())
        Path(tmp).replace(self.root / "manifest.json")  # the commit point
        keep = set(manifest["tables"].values()) | {"manifest.json"}
        for old in self.root.glob("*.parquet"):
            if old.name not in keep:
                old.unlink()

    def add_tagpacks(self, packs: Sequence[TagPack]) -> None:
        """Add TagPacks in one commit; a pack with an id already stored is replaced."""
        manifest = self.manifest
        ids = [p.pack for p in packs]
        tags = self.table("tags")
        kept = tags.filter(pc.invert(pc.is_in(tags["pack"], value_set=pa.array(ids, pa.string()))))
        for pack in packs:
            manifest["tagpacks"][pack.pack] = {
                "path": pack.path,
                "title": pack.header.get("title"),
                "creator": pack.header.get("creator"),
                "tags": pack.tags.num_rows,
                "imported_at": _now(),
            }
        table = pa.concat_tables([kept, *(p.tags.cast(TAG_SCHEMA) for p in packs)])
        self._commit(manifest, {"tags": table})

    def add_actorpack(self, pack: ActorPack) -> None:
        """Add an ActorPack; a pack with the same id is replaced."""
        manifest = self.manifest
        manifest["actorpacks"][pack.pack] = {
            "path": pack.path,
            "title": pack.header.get("title"),
            "actors": pack.actors.num_rows,
            "warnings": len(pack.warnings),
            "imported_at": _now(),
        }
        actors = self.table("actors")
        kept = actors.filter(pc.invert(pc.equal(actors["pack"], pack.pack)))
        self._commit(manifest, {"actors": pa.concat_tables([kept, pack.actors])})

    def lists(self) -> list[ListVersion]:
        """Every version of every list, by name then version."""
        out = []
        for name, versions in sorted(self.manifest["lists"].items()):
            for v in versions:
                out.append(
                    ListVersion(
                        name=name,
                        version=v["version"],
                        list_date=date.fromisoformat(v["list_date"]) if v["list_date"] else None,
                        imported_at=datetime.fromisoformat(v["imported_at"]),
                        entries=v["entries"],
                        addresses=v["addresses"],
                        sources=v["sources"],
                        warnings=v["warnings"],
                    )
                )
        return out

    def sanctions(self, name: str, version: int | None = None) -> SanctionsList:
        """One version of a list (the newest when ``version`` is None)."""
        versions = [v for v in self.lists() if v.name == name]
        if version is not None:
            versions = [v for v in versions if v.version == version]
        if not versions:
            raise NotFound(
                f"no sanctions list {name!r}" + (f" version {version}" if version else "")
            )
        info = versions[-1]
        rows = self.table("sanctions")
        mask = pc.and_(pc.equal(rows["list"], name), pc.equal(rows["version"], info.version))
        entries = rows.filter(mask).drop_columns(LIST_COLUMNS.names)
        return SanctionsList(
            name, info.list_date, info.sources, entries, info.version, info.warnings
        )

    def current_versions(self) -> dict[str, int]:
        """The version in force of each list: the newest import."""
        return {name: versions[-1]["version"] for name, versions in self.manifest["lists"].items()}

    def add_sanctions(self, new: SanctionsList) -> tuple[SanctionsList, ListDiff | None]:
        """Store ``new`` as the next version of its list; return it and the diff to the last.

        Importing the same files again (same SHA-256s) keeps the current version.
        """
        manifest = self.manifest
        versions = manifest["lists"].setdefault(new.name, [])
        previous = self.sanctions(new.name) if versions else None
        if previous is not None and previous.sources == new.sources:
            return previous, None
        stored = new.numbered(len(versions) + 1)
        addresses = len(
            stored.entries.select(["currency", "namespace", "key"])
            .group_by(["currency", "namespace", "key"])
            .aggregate([])
        )
        versions.append(
            {
                "version": stored.version,
                "list_date": stored.list_date.isoformat() if stored.list_date else None,
                "imported_at": _now(),
                "entries": stored.entries.num_rows,
                "addresses": addresses,
                "sources": stored.sources,
                "warnings": stored.warnings,
            }
        )
        n = stored.entries.num_rows
        head = pa.table(
            {
                "list": pa.array([new.name] * n, pa.string()),
                "version": pa.array([stored.version] * n, pa.int32()),
                "list_date": pa.array([stored.list_date] * n, pa.date32()),
            }
        )
        rows = pa.Table.from_arrays(
            [*head.columns, *stored.entries.columns], schema=SCHEMAS["sanctions"]
        )
        self._commit(manifest, {"sanctions": pa.concat_tables([self.table("sanctions"), rows])})
        return stored, diff_lists(previous, stored) if previous is not None else None


def open_intel(root: Path | None = None, *, store_dir: Path | None = None) -> IntelStore:
    """The intel store at ``root``, else ``<store_dir>/intel``."""
    if root is None:
        if store_dir is None:
            raise NotFound("no intel store folder given")
        root = store_dir / "intel"
    return IntelStore(root)
