from __future__ import annotations

from pathlib import Path

import pytest
from builders import T, coinbase, p2pkh, txid, utxo_batch

from chainsleuth.chain.batch import ChainBatch
from chainsleuth.errors import NotFound
from chainsleuth.store import Reorg, open_store
from conftest import batch_of, chain_blocks, snapshot


def fork_b(heights: list[int], parent: int) -> ChainBatch:
    """Fork b: re-mines t3 at 3, new coinbases, a new tx at 5."""
    blocks = {
        3: [coinbase("b3", 5000, p2pkh(7)), chain_blocks()[3][1]],
        4: [coinbase("b4", 5000, p2pkh(7))],
        5: [coinbase("b5", 5000, p2pkh(7)), T("b5x", [("t3", 0)], [(8500, p2pkh(6))])],
    }
    return utxo_batch([(h, blocks[h]) for h in heights], "b", forks_below={parent: "a"})


def test_two_block_fork_replaces_tip(store_dir: Path) -> None:
    store = open_store(store_dir)
    store.ingest([batch_of([0, 1, 2, 3, 4])], chain="btc")
    report = store.ingest([fork_b([3, 4, 5], parent=2)], chain="btc")
    assert report.reorgs == [Reorg(height=3, dropped_blocks=2, replayed_blocks=3)]
    fresh = open_store(store_dir.parent / "fresh")
    fresh.ingest([batch_of([0, 1, 2]), fork_b([3, 4, 5], parent=2)], chain="btc", unit_rows=10**6)
    assert snapshot(store) == snapshot(fresh)
    with pytest.raises(NotFound):
        store.transaction("btc", txid("t4").hex())
    assert store.block("btc", 4).txids == [txid("b4").hex()]
    assert store.transaction("btc", txid("b5x").hex()).fee == 500


def test_fork_below_batch_boundary(store_dir: Path) -> None:
    store = open_store(store_dir)
    store.ingest([batch_of([0, 1]), batch_of([2, 3]), batch_of([4])], chain="btc", unit_rows=1)
    report = store.ingest([fork_b([3, 4], parent=2)], chain="btc")
    assert report.reorgs == [Reorg(height=3, dropped_blocks=2, replayed_blocks=1)]
    fresh = open_store(store_dir.parent / "fresh")
    fresh.ingest([batch_of([0, 1])], chain="btc")
    fresh.ingest([batch_of([2]), fork_b([3, 4], parent=2)], chain="btc")
    assert snapshot(store) == snapshot(fresh)
    # re-sending the new tip changes nothing
    again = store.ingest([fork_b([3, 4], parent=2)], chain="btc")
    assert (again.blocks_added, again.reorgs) == (0, [])


def test_rollback_unresolves_inputs_of_kept_batches(store_dir: Path) -> None:
    store = open_store(store_dir)
    # batch A holds height 2 (spends height 1, unresolved); batch B holds 1, 3 and 4
    store.ingest([batch_of([2]), batch_of([1, 3, 4])], chain="btc", unit_rows=1)
    assert store.transaction("btc", txid("t2").hex()).fee == 200
    store.ingest([fork_b([4], parent=3)], chain="btc")
    fresh = open_store(store_dir.parent / "fresh")
    fresh.ingest([batch_of([2])], chain="btc")
    fresh.ingest([batch_of([1, 3]), fork_b([4], parent=3)], chain="btc")
    assert snapshot(store) == snapshot(fresh)
    assert store.transaction("btc", txid("t2").hex()).fee == 200
