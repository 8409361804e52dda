"""The first 590 mainnet blocks (hadoopcryptoledger's firstblocks.blk) through the store."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conftest import DATA as SHARED_DATA

from chainsleuth.chain.readers import read_raw_blocks
from chainsleuth.errors import Invalid, NotFound
from chainsleuth.store import open_store

DATA = SHARED_DATA / "btc-blocks-hadoopcryptoledger"
HAL = "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16"


def test_first_blocks(tmp_path: Path) -> None:
    rawblock = pytest.importorskip("chainsleuth.chain.readers.rawblock")
    store = open_store(tmp_path / "store")
    batches = rawblock.read_raw_blocks(DATA / "firstblocks.blk", batch_blocks=100)
    report = store.ingest(batches, chain="btc", unit_rows=500)
    assert (report.blocks_added, report.txs_added) == (590, 605)
    stats = store.stats("btc")
    assert (stats.min_height, stats.max_height, stats.gaps) == (0, 589, [])
    assert (stats.unresolved_inputs, stats.total_fees) == (0, 0)
    tx = store.transaction("btc", HAL)
    assert (tx.height, tx.fee, [o.value for o in tx.outputs]) == (170, 0, [10 * 10**8, 40 * 10**8])
    assert tx.inputs[0].address == "12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S"
    assert store.address("btc", "1Q2TWHE3GMdB6BZKafqwxXtWAWgFt5Jvm3").received == 10 * 10**8
    satoshi = store.address("btc", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa")
    assert (satoshi.received, satoshi.first_seen) == (50 * 10**8, 0)
    assert store.block("btc", 1).hash == (
        "00000000839a8e6886ab5951d76f411475428afc90947ee320161bbf18eb6048"
    )
    again = store.ingest(rawblock.read_raw_blocks(DATA / "firstblocks.blk"), chain="btc")
    assert (again.blocks_added, again.blocks_skipped) == (0, 590)


def test_ids_and_display_text_both_ways(tmp_path: Path) -> None:
    store = open_store(tmp_path / "store")
    store.ingest(read_raw_blocks(DATA / "firstblocks.blk"), chain="btc")
    t = store.tx_id("btc", HAL)
    assert store.tx_hashes("btc", [t]) == {t: HAL}
    hal = store.address("btc", "1Q2TWHE3GMdB6BZKafqwxXtWAWgFt5Jvm3").addr_id
    assert store.address_labels("btc", [hal]) == {hal: "1Q2TWHE3GMdB6BZKafqwxXtWAWgFt5Jvm3"}
    assert store.address_labels("btc", []) == {}
    with pytest.raises(NotFound, match="not stored"):
        store.tx_id("btc", "00" * 32)
    assert store.family("btc") == "utxo"
    with pytest.raises(NotFound, match="no chain 'nope'"):
        store.family("nope")
    with pytest.raises(Invalid, match="64 hex digits"):
        store.tx_id("btc", "f4184fc5")
