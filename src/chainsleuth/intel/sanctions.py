"""Sanctions lists: read OFAC files or plain per-chain address lists, compare versions.

A :class:`SanctionsList` is one version of a named list (``ofac-sdn`` by default): its
date, the files it was read from (with SHA-256), and one row per (address, entry).
Plain lists are one address per line (``sanctioned_addresses_<CODE>.txt``, as 0xB10C's
extractor writes them) or a JSON array of addresses (``..._<CODE>.json``); the currency
code comes from the file name unless given.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa

from chainsleuth.errors import Invalid, MalformedRecord
from chainsleuth.intel.keys import address_keys
from chainsleuth.intel.ofac import read_sdn_csv, read_sdn_xml

DEFAULT_LIST = "ofac-sdn"
PLAIN_LIST = "sanctioned-addresses"
SANCTION_SCHEMA = pa.schema(
    [
        ("currency", pa.string()),
        ("address", pa.string()),
        ("namespace", pa.string()),
        ("key", pa.binary()),
        ("entry_id", pa.string()),
        ("entry_name", pa.string()),
        ("program", pa.string()),
    ]
)
IDENTITY = ("namespace", "key", "currency")
_CODE = re.compile(r"_([A-Za-z0-9]+)$")


@dataclass(frozen=True)
class SanctionsList:
    """One version of a sanctions list; ``version`` is 0 until an intel store numbers it."""

    name: str
    list_date: date | None
    sources: list[dict[str, str]]
    entries: pa.Table
    version: int = 0
    warnings: list[str] = field(default_factory=list)

    def numbered(self, version: int) -> SanctionsList:
        """The same list carrying ``version``."""
        return replace(self, version=version)


@dataclass(frozen=True)
class ListDiff:
    """What changed between two versions: entry rows added and removed (by address)."""

    old_version: int
    new_version: int
    added: pa.Table
    removed: pa.Table


def _plain_list(path: Path, currency: str | None) -> list[dict[str, Any]]:
    code = currency or (m.group(1) if (m := _CODE.search(path.stem)) else None)
    if code is None:
        raise Invalid(f"{path}: no currency code in the file name; pass one")
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        try:
            items = json.loads(text)
        except json.JSONDecodeError as exc:
            raise MalformedRecord(path=path, record=f"line {exc.lineno}", reason=exc.msg) from exc
        if not isinstance(items, list) or not all(isinstance(a, str) for a in items):
            raise MalformedRecord(path=path, record="document", reason="not an array of text")
        lines = [(i, a) for i, a in enumerate(items)]
    else:
        lines = [(i + 1, a) for i, a in enumerate(text.splitlines()) if a.strip()]
    for where, address in lines:
        if len(address.split()) != 1:
            raise MalformedRecord(
                path=path, record=f"line {where}", field="address", reason="not one address"
            )
    return [
        {
            "currency": code.upper(),
            "address": a.strip(),
            "entry_id": None,
            "entry_name": None,
            "program": None,
        }
        for _, a in lines
    ]


def _files(paths: Sequence[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out += sorted(f for f in p.iterdir() if f.suffix in {".txt", ".json"})
        else:
            out.append(p)
    return out


def read_sanctions(
    paths: Sequence[Path],
    *,
    name: str | None = None,
    list_date: date | None = None,
    currency: str | None = None,
) -> SanctionsList:
    """Read OFAC CSV/XML files and plain lists (files or folders) into one list version.

    ``name`` defaults to ``ofac-sdn`` for OFAC files, ``sanctioned-addresses`` for plain
    lists. ``list_date`` defaults to the XML publication date when there is one. In a folder the
    ``.txt`` list is used and a ``.json`` twin of the same name is skipped.
    """
    rows: list[dict[str, Any]] = []
    warnings: list[str] = []
    sources = []
    files = _files(paths)
    stems_txt = {f.with_suffix("") for f in files if f.suffix == ".txt"}
    for path in files:
        if path.suffix == ".json" and path.with_suffix("") in stems_txt:
            continue
        if path.suffix.lower() == ".csv":
            got, warned = read_sdn_csv(path)
            rows += got
            warnings += warned
        elif path.suffix.lower() == ".xml":
            got, published = read_sdn_xml(path)
            rows += got
            list_date = list_date or published
        else:
            rows += _plain_list(path, currency)
        sources.append({"path": str(path), "sha256": hashlib.sha256(path.read_bytes()).hexdigest()})
    ofac = any(p.suffix.lower() in {".csv", ".xml"} for p in files)
    name = name or (DEFAULT_LIST if ofac else PLAIN_LIST)
    return SanctionsList(name, list_date, sources, _entries(rows), warnings=warnings)


def _entries(rows: list[dict[str, Any]]) -> pa.Table:
    base = pa.Table.from_pylist(rows, schema=SANCTION_SCHEMA.remove(3).remove(2))
    keys = address_keys(base["address"].combine_chunks(), base["currency"].combine_chunks())
    table = pa.table(
        {
            "currency": base["currency"],
            "address": keys["address"],
            "namespace": keys["namespace"],
            "key": keys["key"],
            "entry_id": base["entry_id"],
            "entry_name": base["entry_name"],
            "program": base["program"],
        },
        schema=SANCTION_SCHEMA,
    )
    return table.group_by(list(SANCTION_SCHEMA.names), use_threads=False).aggregate([])


def _distinct(table: pa.Table) -> pa.Table:
    return (
        table.group_by(["currency", "namespace", "key"], use_threads=False)
        .aggregate([("address", "min")])
        .rename_columns(["currency", "namespace", "key", "address"])
    )


def diff_lists(old: SanctionsList, new: SanctionsList) -> ListDiff:
    """Addresses (per currency) in ``new`` but not ``old``, and the reverse."""
    a, b = _distinct(old.entries), _distinct(new.entries)
    cols = list(IDENTITY)

    def anti(left: pa.Table, right: pa.Table) -> pa.Table:
        joined = left.join(right.select(cols), keys=cols, join_type="left anti", use_threads=False)
        return joined.sort_by([("currency", "ascending"), ("address", "ascending")])

    return ListDiff(old.version, new.version, added=anti(b, a), removed=anti(a, b))
