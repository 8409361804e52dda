"""Point look-ups give the same answers with a current, stale or missing graph index."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from builders import p2pk, p2pkh, p2sh, txid
from test_reorg import fork_b

from chainsleuth.chain.address import hash160
from chainsleuth.chain.batch import ChainBatch
from chainsleuth.store import ChainStore, open_store
from chainsleuth.store.lookup import Lookup
from conftest import batch_of

KEYS = [bytes([st]) + p for st, p in (p2pkh(1), p2pkh(2), p2sh(3), p2pkh(4), p2pkh(5), p2pkh(7))]


def _everything(store: ChainStore, names: list[str]) -> dict[str, Any]:
    """Every read model of the chain: each transaction, each address (paged), each block."""
    out: dict[str, Any] = {}
    for name in names:
        out[name] = store.transaction("btc", txid(name).hex()).to_json()
    for key in KEYS:
        try:
            out[key.hex()] = [
                store.address("btc", key, limit=2, offset=o).to_json() for o in (0, 2, 4)
            ]
        except Exception as exc:
            out[key.hex()] = repr(exc)
    heights = range(store.stats("btc").min_height, store.stats("btc").max_height + 1)
    out["blocks"] = [store.block("btc", h).to_json() for h in heights]
    return out


def _store(path: Path, steps: list[list[ChainBatch] | str]) -> ChainStore:
    """Ingest each list of batches (one unit per batch); ``"index"`` builds the index there."""
    store = open_store(path)
    for step in steps:
        if step == "index":
            store.build_index("btc")
        else:
            store.ingest(step, chain="btc", unit_rows=1)
    return store


NAMES = ["cb0", "cb1", "t1", "t2", "cb2", "t3", "cb3", "t4", "cb4"]


def test_same_answers_with_current_stale_and_no_index(tmp_path: Path) -> None:
    batches = [[batch_of([0]), batch_of([1])], [batch_of([2, 3]), batch_of([4])]]
    plain = _everything(_store(tmp_path / "none", batches), NAMES)
    assert _everything(_store(tmp_path / "current", [*batches, "index"]), NAMES) == plain
    stale = _store(tmp_path / "stale", [batches[0], "index", batches[1]])
    assert _everything(stale, NAMES) == plain
    lk = Lookup(stale.root / "chains" / "btc", stale._manifest()["chains"]["btc"])
    assert len(lk.covered) == 2 and len(lk.uncovered) == 2
    # facts of the hand-built chain: t1 spent by t2 (vouts 0 and 1), its OP_RETURN never
    t1 = plain["t1"]
    assert [o["spent_by"] for o in t1["outputs"]] == [txid("t2").hex()] * 2 + [None]
    key1 = bytes([p2pkh(1)[0]]) + p2pkh(1)[1]
    first = plain[key1.hex()][0]
    assert (first["received"], first["sent"], first["tx_count"]) == (
        5000 + 3000 + 8000,
        5000 + 3000,
        4,
    )
    assert [t["txid"] for t in first["txs"]] == [txid("t4").hex(), txid("t2").hex()]


def test_late_resolution_after_the_index(tmp_path: Path) -> None:
    """A gap filled after the index rewrites the inputs above it: those batches are read."""
    first, later = [batch_of([0]), batch_of([2, 3])], [batch_of([1])]
    gap = _store(tmp_path / "gap", [first, "index", later])
    plain = _store(tmp_path / "plain", [first, later])
    names = NAMES[:7]
    assert _everything(gap, names) == _everything(plain, names)
    t2 = _everything(gap, ["t2"])["t2"]
    assert t2["fee"] == 200 and t2["inputs"][0]["address"] is not None


def test_reorg_after_the_index(tmp_path: Path) -> None:
    """A reorg reuses the ids of the dropped blocks; the index's view of them is ignored."""
    steps: list[list[ChainBatch] | str] = [[batch_of([0, 1]), batch_of([2, 3]), batch_of([4])]]
    forked = _store(tmp_path / "forked", [*steps, "index", [fork_b([3, 4, 5], parent=2)]])
    fresh = _store(tmp_path / "fresh", [*steps, [fork_b([3, 4, 5], parent=2)]])
    names = [*NAMES[:5], "t3", "b3", "b4", "b5", "b5x"]
    assert _everything(forked, ["t3"])["t3"]["outputs"][0]["spent_by"] == txid("b5x").hex()
    assert _everything(forked, names) == _everything(fresh, names)


def test_ids_and_keys_both_ways(tmp_path: Path) -> None:
    store = _store(tmp_path / "s", [[batch_of([0, 1, 2])], "index"])
    lk = Lookup(store.root / "chains" / "btc", store._manifest()["chains"]["btc"])
    ids = [lk.tx_id(txid(n)) for n in ("cb0", "t1", "t2")]
    assert ids == [0, 2, 4] and lk.tx_id(b"\0" * 32) is None
    assert lk.tx_keys(np.array(ids)) == [txid(n) for n in ("cb0", "t1", "t2")]
    key = bytes([p2pkh(1)[0]]) + hash160(p2pk(1)[1])  # P2PK folds into its key's P2PKH
    assert lk.addr_keys(np.array([lk.addr_id(key)])) == [key]
