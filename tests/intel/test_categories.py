"""Categories, exposure, risk and transaction screening on the first 590 mainnet blocks,
with a tag from a tiny TagPack and a sanctions list written here."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest
from tests.conftest import DATA

from chainsleuth.chain.readers.rawblock import read_raw_blocks
from chainsleuth.intel import (
    IntelStore,
    assess_risk,
    category_map,
    default_policy,
    exposure,
    open_intel,
    read_sanctions,
    read_tagpack,
    screen_transaction,
)
from chainsleuth.store import ChainStore, open_store

SATOSHI = "12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S"  # mined block 9, paid Hal Finney
HAL = "1Q2TWHE3GMdB6BZKafqwxXtWAWgFt5Jvm3"
DUD = "1DUDsfc23Dv9sPMEk5RsrtfzCw5ofi5sVW"  # paid 10 BTC from Satoshi's change
HAL_TX = "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16"
BTC = 10**8
PACK = f"""title: exposure test pack
creator: chainsleuth tests
source: https://example.org/exposure-test
currency: BTC
confidence: forensic
tags:
  - address: {SATOSHI}
    label: block 9 miner (test tag)
    category: perpetrator
    abuse: ransomware
"""


def fill(root: Path) -> IntelStore:
    """The tiny TagPack and a plain list naming DUD, in a new intel store under ``root``."""
    (root / "in").mkdir(parents=True)
    (root / "in" / "test.yaml").write_text(PACK)
    (root / "in" / "sanctioned_addresses_XBT.txt").write_text(DUD + "\n")
    intel = open_intel(root / "intel")
    intel.add_tagpacks([read_tagpack(root / "in" / "test.yaml", pack="test")])
    lists = read_sanctions([root / "in" / "sanctioned_addresses_XBT.txt"], list_date=date.today())
    intel.add_sanctions(lists)
    return intel


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[ChainStore, IntelStore]:
    root = tmp_path_factory.mktemp("exposure")
    store = open_store(root / "store")
    store.ingest(
        read_raw_blocks(DATA / "btc-blocks-hadoopcryptoledger" / "firstblocks.blk"), chain="btc"
    )
    store.build_index("btc")
    return store, fill(root)


def test_category_map_joins_tags_and_lists(world: tuple[ChainStore, IntelStore]) -> None:
    store, intel = world
    cats = category_map(store, intel, "btc", priority=default_policy().priority())
    assert cats.names == ("sanctioned", "ransomware", "perpetrator")
    assert len(cats.codes) == 603  # every address of the 590 blocks
    satoshi = store.address("btc", SATOSHI, limit=0).addr_id
    dud = store.address("btc", DUD, limit=0).addr_id
    assert np.flatnonzero(cats.codes).tolist() == sorted([satoshi, dud])
    assert cats.name(int(cats.codes[satoshi])) == "ransomware"  # ranked above perpetrator
    assert cats.name(int(cats.codes[dud])) == "sanctioned"
    (hit,) = cats.tags_of(dud)
    assert (hit["kind"], hit["source"]) == ("sanction", "sanctioned-addresses v1")
    labels = {h["category"]: h["label"] for h in cats.tags_of(satoshi)}
    assert labels == {
        "ransomware": "block 9 miner (test tag)",
        "perpetrator": labels["perpetrator"],
    }


def test_cluster_propagation(world: tuple[ChainStore, IntelStore]) -> None:
    store, intel = world
    satoshi = store.address("btc", SATOSHI, limit=0).addr_id
    hal = store.address("btc", HAL, limit=0).addr_id
    clusters = np.arange(603, dtype=np.uint32)
    clusters[hal] = clusters[satoshi] = min(hal, satoshi)  # as if they had co-spent
    cats = category_map(store, intel, "btc", clusters=clusters, priority=("ransomware",))
    assert np.flatnonzero(cats.codes == cats.code("ransomware")).tolist() == sorted([hal, satoshi])
    (via,) = [h for h in cats.tags_of(hal) if h["category"] == "ransomware"]
    assert (via["addr_id"], via["via"]) == (satoshi, "cluster")
    assert cats.tags_of(satoshi)[0]["via"] is None


def test_exposure_and_risk_on_real_blocks(world: tuple[ChainStore, IntelStore]) -> None:
    store, intel = world
    graph = store.utxo_graph("btc")
    cats = category_map(store, intel, "btc", priority=default_policy().priority())
    hal = store.address("btc", HAL, limit=0).addr_id
    report = exposure(graph, cats, [hal])
    assert report.incoming is not None and report.incoming.total == 10 * BTC
    ransomware = report.incoming.category("ransomware")
    assert ransomware and (ransomware.direct, ransomware.direct_share) == (10 * BTC, 1.0)
    assert report.incoming.contributors[0].path == (store.tx_id("btc", HAL_TX),)
    satoshi = store.address("btc", SATOSHI, limit=0).addr_id
    risk = assess_risk(graph, cats, [satoshi], default_policy())
    assert risk.level == "severe"
    top = risk.contributions[0]
    assert (top.category, top.direction, top.kind, top.amount) == (
        "sanctioned", "outgoing", "direct", 10 * BTC,
    )  # fmt: skip
    assert top.addresses[0]["addr_id"] == store.address("btc", DUD, limit=0).addr_id


def test_screen_a_transaction(world: tuple[ChainStore, IntelStore]) -> None:
    store, intel = world
    plain = screen_transaction(store, intel, "btc", HAL_TX)
    assert [(p["role"], p["index"], p["address"], p["status"]) for p in plain.parties] == [
        ("input", 0, SATOSHI, "abuse"),
        ("output", 0, HAL, "clean"),
        ("output", 1, SATOSHI, "abuse"),
    ]
    assert "risk" not in plain.parties[0]
    scored = screen_transaction(store, intel, "btc", HAL_TX, policy=default_policy())
    risks = {p["address"]: p["risk"] for p in scored.parties}
    assert (risks[HAL]["level"], risks[HAL]["score"]) == ("high", 75.0)
    assert risks[SATOSHI]["level"] == "severe"
    assert "direct outgoing exposure to sanctioned" in risks[SATOSHI]["reasons"][0]
