"""Shared fixtures: a small hand-built UTXO chain and a store snapshot for comparisons."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from builders import T, coinbase, op_return, p2pk, p2pkh, p2sh, utxo_batch

from chainsleuth.chain.batch import ChainBatch
from chainsleuth.store import ChainStore


def chain_blocks() -> dict[int, list[T]]:
    """Heights 0..4: P2PK coinbase, spends across blocks, OP_RETURN, multi-input tx."""
    return {
        0: [coinbase("cb0", 5000, p2pk(1))],
        1: [
            coinbase("cb1", 5000, p2pkh(2)),
            T("t1", [("cb0", 0)], [(3000, p2pkh(1)), (1500, p2sh(3)), (0, op_return())]),
        ],
        2: [coinbase("cb2", 5200, p2pkh(2)), T("t2", [("t1", 0), ("t1", 1)], [(4300, p2pkh(4))])],
        3: [coinbase("cb3", 5000, p2pkh(5)), T("t3", [("cb1", 0), ("t2", 0)], [(9000, p2pkh(4))])],
        4: [coinbase("cb4", 5000, p2pkh(5)), T("t4", [("t3", 0)], [(8000, p2pkh(1))])],
    }


def batch_of(heights: list[int], fork: str = "a", **kw: Any) -> ChainBatch:
    blocks = chain_blocks()
    return utxo_batch([(h, blocks[h]) for h in heights], fork, **kw)


def snapshot(store: ChainStore, chain: str = "btc") -> dict[str, Any]:
    """Everything a reader can see of ``chain``, byte sizes aside."""
    stats = store.stats(chain).to_json()
    stats.pop("bytes_on_disk")
    out: dict[str, Any] = {"stats": stats}
    with store.connect() as con:
        for table in ("blocks", "transactions", "inputs", "outputs", "addresses"):
            out[table] = sorted(map(repr, con.execute(f"SELECT * FROM {chain}_{table}").fetchall()))
    return out


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    return tmp_path / "store"
