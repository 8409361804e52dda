from __future__ import annotations

import json
from pathlib import Path

from chainsleuth.store import open_store
from conftest import batch_of


def test_views_answer_sql(store_dir: Path) -> None:
    store = open_store(store_dir)
    store.ingest([batch_of([0, 1, 2])], chain="btc")
    with store.connect() as con:
        fees = con.execute(
            "SELECT sum(fee), count(*) FILTER (WHERE fee IS NULL) FROM btc_transactions"
        ).fetchone()
        per_type = con.execute(
            "SELECT script_type, count(*) FROM btc_addresses GROUP BY 1 ORDER BY 1"
        ).fetchall()
        resolutions = con.execute(
            "SELECT resolution, count(*) FROM btc_inputs GROUP BY 1 ORDER BY 1"
        ).fetchall()
    assert fees == (700, 0)
    assert per_type == [(2, 3), (3, 1)]  # keys 1, 2, 4 (P2PK key 1 folded) and sh3
    assert resolutions == [(1, 3), (3, 3)]


def test_catalog_is_rebuilt_when_stale(store_dir: Path) -> None:
    store = open_store(store_dir)
    store.ingest([batch_of([0])], chain="btc")
    with store.connect() as con:
        assert con.execute("SELECT count(*) FROM btc_blocks").fetchone() == (1,)
    store.ingest([batch_of([1])], chain="btc")
    (store_dir / "catalog.duckdb").unlink()
    with store.connect() as con:
        assert con.execute("SELECT count(*) FROM btc_blocks").fetchone() == (2,)
    gen = json.loads((store_dir / "manifest.json").read_text())["generation"]
    with store.connect() as con:
        assert con.execute("SELECT generation FROM _catalog").fetchone() == (gen,)


def test_leftover_files_removed_on_open(store_dir: Path) -> None:
    store = open_store(store_dir)
    store.ingest([batch_of([0])], chain="btc")
    stray = store_dir / "chains" / "btc" / "outputs" / "part-999.parquet"
    stray.write_bytes(b"junk")
    (store_dir / "tmp" / "x").mkdir(parents=True)
    open_store(store_dir)
    assert not stray.exists() and not (store_dir / "tmp").exists()
    assert [c.name for c in open_store(store_dir).chains()] == ["btc"]
