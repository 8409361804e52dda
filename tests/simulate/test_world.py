"""The classroom world: deterministic, a valid chain, complete ground truth, real ingestion."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from bitcoin.core import CBlock, b2lx

from chainsleuth.chain.readers import read_raw_blocks
from chainsleuth.simulate import simulate_world
from chainsleuth.simulate.blockcodec import REGTEST_MAGIC
from chainsleuth.simulate.chainrun import SUBSIDY
from chainsleuth.simulate.pool import Pool
from chainsleuth.store import open_store

SCENARIOS = {"ransomware", "pig_butchering", "exchange_hack", "darknet_market", "sanctions"}


@pytest.fixture(scope="module")
def blocks(world: Path) -> list[CBlock]:
    out = []
    for path in sorted((world / "btc").glob("blk*.dat")):
        data, pos = path.read_bytes(), 0
        while pos < len(data):
            assert data[pos : pos + 4] == REGTEST_MAGIC
            size = int.from_bytes(data[pos + 4 : pos + 8], "little")
            out.append(CBlock.deserialize(data[pos + 8 : pos + 8 + size]))
            pos += 8 + size
    return out


def _csv(world: Path, name: str) -> list[dict[str, str]]:
    with (world / "exchange" / f"{name}.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_same_seed_same_bytes(world: Path, manifest: dict, tmp_path: Path) -> None:
    again = simulate_world(tmp_path, preset="classroom", seed=5)
    assert again == manifest
    for name in manifest["files"]:
        assert (tmp_path / name).read_bytes() == (world / name).read_bytes(), name
    other = simulate_world(tmp_path / "other", preset="classroom", seed=6)
    assert other["chains"] != manifest["chains"]


def test_chain_is_valid_and_balanced(blocks: list[CBlock], manifest: dict) -> None:
    unspent: dict[tuple[bytes, int], int] = {}
    prev, last_time = b"\x00" * 32, 0
    for height, block in enumerate(blocks):
        assert block.hashPrevBlock == prev and block.nBits == 0x207FFFFF
        assert block.calc_merkle_root() == block.hashMerkleRoot
        assert block.nTime > last_time
        prev, last_time, fees = block.GetHash(), block.nTime, 0
        for tx in block.vtx[1:]:
            spent = sum(unspent.pop((i.prevout.hash, i.prevout.n)) for i in tx.vin)
            fee = spent - sum(o.nValue for o in tx.vout)
            assert fee >= 0, b2lx(tx.GetTxid())
            fees += fee
            unspent.update({(tx.GetTxid(), n): o.nValue for n, o in enumerate(tx.vout)})
        coinbase = block.vtx[0]
        assert coinbase.vin[0].scriptSig[1:4] == height.to_bytes(3, "little")
        if len(block.vtx) > 1:  # bootstrap blocks (coinbase only) allocate the initial coins
            assert sum(o.nValue for o in coinbase.vout) == SUBSIDY + fees
        unspent.update({(coinbase.GetTxid(), n): o.nValue for n, o in enumerate(coinbase.vout)})
    assert len(blocks) == manifest["chains"]["btc"]["blocks"] == 72
    assert sum(len(b.vtx) for b in blocks) == manifest["chains"]["btc"]["txs"]


def test_ingests_with_the_manifest_counts(world: Path, manifest: dict, tmp_path: Path) -> None:
    store = open_store(tmp_path / "store")
    paths = sorted((world / "btc").glob("blk*.dat"))
    store.ingest(read_raw_blocks(paths, network="regtest"), chain="btc", network="regtest")
    stats, btc = store.stats("btc"), manifest["chains"]["btc"]
    assert (stats.blocks, stats.txs, stats.inputs, stats.outputs, stats.addresses) == (
        btc["blocks"],
        btc["txs"],
        btc["inputs"],
        btc["outputs"],
        btc["addresses"],
    )
    assert stats.unresolved_inputs == 0


def test_ground_truth_owns_every_address(world: Path, manifest: dict, blocks: list[CBlock]) -> None:
    addrs = pq.read_table(world / "truth" / "addresses.parquet").to_pydict()
    assert len(addrs["address_id"]) == manifest["chains"]["btc"]["addresses"]
    assert None not in addrs["entity_id"] and None not in addrs["address"]
    entities = pq.read_table(world / "truth" / "entities.parquet").to_pydict()
    assert set(addrs["entity_id"]) <= set(entities["entity_id"])
    payloads = set(addrs["payload"])
    for block in blocks:
        for tx in block.vtx:
            for o in tx.vout:
                script = bytes(o.scriptPubKey)
                if script[:1] != b"\x6a":  # every paying output's key is in the truth
                    assert (
                        script[3:23] in payloads
                        or script[2:22] in payloads
                        or script[2:34] in payloads
                    )


def test_every_scenario_is_on_the_chain(world: Path, blocks: list[CBlock]) -> None:
    roles = pq.read_table(world / "truth" / "roles.parquet").to_pydict()
    assert set(roles["scenario"]) >= SCENARIOS
    txs = pq.read_table(world / "truth" / "transactions.parquet").to_pydict()
    assert txs["txid"] == [b2lx(t.GetTxid()) for b in blocks for t in b.vtx]
    tags = Counter(txs["tag"])
    for tag in (
        "ransomware/peel_hop",
        "pig_butchering/investment",
        "exchange_hack/theft",
        "darknet_market/purchase",
        "sanctions/payment",
        "sweep",
        "withdrawal",
        "payment",
    ):
        assert tags[tag] > 0, tag
    by_id = {b2lx(t.GetTxid()): t for b in blocks for t in b.vtx}
    mixes = [
        by_id[t]
        for t, tag in zip(txs["txid"], txs["tag"], strict=True)
        if tag == "coinjoin/whirlpool"
    ]
    assert len(mixes) == 5
    assert all(len(t.vin) == 5 and len({o.nValue for o in t.vout}) == 1 for t in mixes)


def test_exchange_records_match_the_chain(world: Path, blocks: list[CBlock]) -> None:
    txids = {b2lx(t.GetTxid()) for b in blocks for t in b.vtx}
    ledger, withdrawals = _csv(world, "ledger"), _csv(world, "withdrawals")
    accounts = {r["account_id"] for r in _csv(world, "accounts")}
    assert {r["account_id"] for r in ledger} <= accounts
    assert all(r["txid"] in txids for r in ledger if r["kind"] in ("deposit", "withdrawal"))
    assert all(r["txid"] in txids for r in withdrawals) and withdrawals
    transfers = [r for r in ledger if r["kind"].startswith("transfer")]
    assert sum(int(r["amount_sat"]) for r in transfers) == 0
    customers = _csv(world, "customers")
    assert {"PH"} <= {c["country"] for c in customers}
    assert len(customers) == len(accounts)


def test_requests_name_real_records(world: Path) -> None:
    requests = json.loads((world / "requests" / "requests.json").read_text())
    assert {r["type"] for r in requests} == {"subpoena", "freeze", "emergency", "preservation"}
    deposit = {r["address"] for r in _csv(world, "deposit_addresses")}
    accounts = {r["account_id"] for r in _csv(world, "accounts")}
    subpoena = next(r for r in requests if r["type"] == "subpoena")
    assert subpoena["subjects"][0]["value"] in deposit
    freeze = next(r for r in requests if r["type"] == "freeze")
    assert {s["value"] for s in freeze["subjects"]} <= accounts
    roles = pq.read_table(world / "truth" / "roles.parquet").to_pydict()
    mules = {
        ref
        for s, role, ref in zip(roles["scenario"], roles["role"], roles["ref"], strict=True)
        if s == "pig_butchering" and role == "mule"
    }
    assert {s["value"] for s in freeze["subjects"]} == mules


def test_compacting_the_pool_every_epoch_changes_nothing(
    world: Path, manifest: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compact = Pool.compact
    monkeypatch.setattr(Pool, "compact", lambda self, at_least=0.0: compact(self))
    simulate_world(tmp_path, preset="classroom", seed=5)
    for name in manifest["files"]:
        if name.startswith(("btc/", "truth/transactions")):
            assert (tmp_path / name).read_bytes() == (world / name).read_bytes(), name
