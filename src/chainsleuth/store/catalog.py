"""The DuckDB catalog: views over the partitions the manifest lists.

``catalog.duckdb`` is derived data. It records the manifest generation and store path it
was built from and is rebuilt (into a temp file, then renamed over) whenever they differ.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import duckdb

from chainsleuth.store.layout import CATALOG
from chainsleuth.store.manifest import ManifestData

TABLES = {
    "utxo": ("blocks", "transactions", "inputs", "outputs", "addresses"),
    "account": ("blocks", "transactions", "traces", "token_transfers", "addresses"),
}


def _sql_list(paths: list[Path]) -> str:
    return "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"


def _build(root: Path, data: ManifestData, target: Path) -> None:
    con = duckdb.connect(str(target))
    try:
        for name, entry in data["chains"].items():
            if not entry["batches"]:
                continue
            for table in TABLES[entry["family"]]:
                paths = [root / "chains" / name / b["files"][table] for b in entry["batches"]]
                con.execute(
                    f"CREATE VIEW {name}_{table} AS SELECT * FROM read_parquet({_sql_list(paths)})"
                )
        con.execute("CREATE TABLE _catalog (generation BIGINT, root VARCHAR)")
        con.execute("INSERT INTO _catalog VALUES (?, ?)", [data["generation"], str(root)])
    finally:
        con.close()


def _current(path: Path, root: Path, generation: int) -> bool:
    if not path.exists():
        return False
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return False
    try:
        row = con.execute("SELECT generation, root FROM _catalog").fetchone()
    except duckdb.Error:
        return False
    finally:
        con.close()
    return row is not None and row[0] == generation and row[1] == str(root)


def connect(root: Path, data: ManifestData) -> duckdb.DuckDBPyConnection:
    """A read-only connection whose views match manifest generation ``data``."""
    path = root / CATALOG
    if not _current(path, root, data["generation"]):
        tmp = root / f".{CATALOG}.{uuid.uuid4().hex}.tmp"
        _build(root, data, tmp)
        tmp.replace(path)
    return duckdb.connect(str(path), read_only=True)
