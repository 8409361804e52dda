from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from builders import T, coinbase, p2pkh, txid, utxo_batch

from chainsleuth.chain.address import address_text
from chainsleuth.chain.batch import ChainBatch
from chainsleuth.store import BadBatch, ForkConflict, IngestProgress, open_store
from conftest import batch_of, snapshot


def test_fees_resolution_and_folding(store_dir: Path) -> None:
    store = open_store(store_dir)
    seen: list[IngestProgress] = []
    report = store.ingest(
        [batch_of([0, 1]), batch_of([2, 3, 4])], chain="btc", progress=seen.append, unit_rows=1
    )
    assert (report.blocks_added, report.txs_added, report.inputs_added) == (5, 9, 11)
    assert seen[-1].blocks_done == 5 and seen[-1].txs_done == 9
    t1 = store.transaction("btc", txid("t1").hex())
    assert (t1.input_value, t1.fee) == (5000, 500)
    assert [o.spent_by for o in t1.outputs] == [txid("t2").hex(), txid("t2").hex(), None]
    assert t1.outputs[2].address is None and t1.outputs[2].script_type == "nulldata"
    # the P2PK coinbase output and the P2PKH outputs of the same key are one address
    assert t1.inputs[0].address == t1.outputs[0].address == address_text(*p2pkh(1))
    t3 = store.transaction("btc", txid("t3").hex())
    assert (t3.input_value, t3.fee) == (9300, 300)
    cb = store.transaction("btc", txid("cb2").hex())
    assert (cb.fee, cb.inputs[0].resolution) == (0, "coinbase")
    a1 = store.address("btc", address_text(*p2pkh(1)))
    assert (a1.received, a1.sent, a1.balance, a1.tx_count) == (16000, 8000, 8000, 4)
    assert (a1.first_seen, a1.last_seen) == (0, 4)
    assert [t.txid for t in store.address("btc", a1.address, limit=1, offset=1).txs] == [
        txid("t2").hex()
    ]
    stats = store.stats("btc")
    assert (stats.unresolved_inputs, stats.total_fees, stats.gaps) == (
        0,
        500 + 200 + 300 + 1000,
        [],
    )


def test_unresolved_then_gap_filled(store_dir: Path) -> None:
    store = open_store(store_dir)
    store.ingest([batch_of([0]), batch_of([2, 3])], chain="btc", unit_rows=1)
    stats = store.stats("btc")
    assert stats.gaps == [(1, 1)] and stats.unresolved_inputs == 3
    t2 = store.transaction("btc", txid("t2").hex())
    assert t2.fee is None and {i.resolution for i in t2.inputs} == {"unresolved"}
    assert t2.inputs[0].value is None
    report = store.ingest([batch_of([1])], chain="btc")
    assert report.inputs_resolved_late == 3
    assert store.stats("btc").unresolved_inputs == 0
    assert store.transaction("btc", txid("t2").hex()).fee == 200
    assert store.transaction("btc", txid("t3").hex()).fee == 300
    # same result as ingesting in order
    other = open_store(store_dir.parent / "ordered")
    other.ingest([batch_of([0, 1, 2, 3])], chain="btc")
    assert store.transaction("btc", txid("t3").hex()) == other.transaction("btc", txid("t3").hex())


def test_source_values_used_when_output_not_stored(store_dir: Path) -> None:
    spend = T("s", [("elsewhere", 1)], [(700, p2pkh(9))], source={0: (1000, p2pkh(8))})
    store = open_store(store_dir)
    store.ingest([utxo_batch([(10, [coinbase("c10", 50, p2pkh(1)), spend])])], chain="btc")
    tx = store.transaction("btc", txid("s").hex())
    assert (tx.fee, tx.inputs[0].resolution, tx.inputs[0].address) == (
        300,
        "source",
        address_text(*p2pkh(8)),
    )
    assert store.address("btc", address_text(*p2pkh(8))).sent == 1000


def test_idempotent(store_dir: Path) -> None:
    store = open_store(store_dir)
    store.ingest([batch_of([0, 1, 2])], chain="btc")
    before = snapshot(store)
    manifest = (store_dir / "manifest.json").read_bytes()
    report = store.ingest([batch_of([0, 1, 2]), batch_of([1])], chain="btc")
    assert (report.blocks_added, report.blocks_skipped) == (0, 4)
    assert (store_dir / "manifest.json").read_bytes() == manifest
    assert snapshot(store) == before


def _broken_outputs(batch: ChainBatch) -> ChainBatch:
    tables = dict(batch.tables)
    tables["outputs"] = tables["outputs"].slice(1)
    return ChainBatch("utxo", tables, "broken.dat")


def test_bad_batch_leaves_store_untouched(store_dir: Path) -> None:
    store = open_store(store_dir)
    store.ingest([batch_of([0, 1])], chain="btc")
    before = snapshot(store)
    files = sorted(p for p in store_dir.rglob("*") if p.is_file())
    with pytest.raises(BadBatch, match=r"chain 'btc', broken.dat: block height 2 \(block "):
        store.ingest([_broken_outputs(batch_of([2]))], chain="btc")
    assert snapshot(store) == before
    assert sorted(p for p in store_dir.rglob("*") if p.is_file()) == files


def test_block_not_linking_is_refused(store_dir: Path) -> None:
    store = open_store(store_dir)
    store.ingest([batch_of([0, 1])], chain="btc")
    with pytest.raises(ForkConflict, match="block 2"):
        store.ingest([batch_of([2], fork="b")], chain="btc")


def test_tx_count_mismatch(store_dir: Path) -> None:
    batch = batch_of([0])
    tables = dict(batch.tables)
    tables["transactions"] = pa.Table.from_batches([], schema=tables["transactions"].schema)
    with pytest.raises(BadBatch, match="tx_count"):
        open_store(store_dir).ingest([ChainBatch("utxo", tables, "x")], chain="btc")
