"""The classroom world's account chain: ethereum-etl exports that ingest, balance and trace."""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from eth_abi import decode

from chainsleuth.analysis import NO_ID, Start, trace
from chainsleuth.chain.readers import read_ethereum_etl
from chainsleuth.store import ChainStore, open_store

ETL = "eth-ethereum-etl/test_export_blocks_job/block_with_logs"
TRANSFERS = "eth-ethereum-etl/test_export_token_transfers_job/block_with_transfers"
TRACES = "eth-ethereum-etl/test_export_traces_job/block_with_create"


def _rows(world: Path, name: str) -> dict[str, list[str]]:
    """An export's columns as text (null for empty fields)."""
    path = world / "eth" / f"{name}.csv"
    header = _header(path).split(",")
    convert = pacsv.ConvertOptions(
        column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=True
    )
    return dict(pacsv.read_csv(path, convert_options=convert).to_pydict())


@pytest.fixture(scope="module")
def txs(world: Path) -> dict[str, list[str]]:
    return _rows(world, "transactions")


@pytest.fixture(scope="module")
def transfers(world: Path) -> dict[str, list[str]]:
    return _rows(world, "token_transfers")


def _header(path: Path) -> str:
    return path.read_text().splitlines()[0]


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        ("blocks", f"{ETL}/expected_blocks.csv"),
        ("transactions", f"{ETL}/expected_transactions.csv"),
        ("token_transfers", f"{TRANSFERS}/expected_token_transfers.csv"),
        ("traces", f"{TRACES}/expected_traces.csv"),
    ],
)
def test_columns_are_ethereum_etls(world: Path, data_dir: Path, ours: str, theirs: str) -> None:
    assert _header(world / "eth" / f"{ours}.csv") == _header(data_dir / theirs)


def test_ingests_with_the_manifest_counts(
    world: Path, manifest: dict[str, Any], tmp_path: Path
) -> None:
    store = open_store(tmp_path / "store")
    store.ingest(read_ethereum_etl(world / "eth"), chain="eth")
    stats, eth = store.stats("eth"), manifest["chains"]["eth"]
    assert (stats.blocks, stats.txs, stats.addresses) == (
        eth["blocks"],
        eth["txs"],
        eth["addresses"],
    )
    assert (stats.min_height, stats.max_height, stats.gaps) == (0, 60, [])
    with store.connect() as con:
        (n,) = con.execute("SELECT count(*) FROM eth_token_transfers").fetchone()
    assert n == eth["token_transfers"] > 0


def test_token_calls_match_their_transfers(
    txs: dict[str, list[str]], transfers: dict[str, list[str]], manifest: dict[str, Any]
) -> None:
    by_hash = {h: i for i, h in enumerate(txs["hash"])}
    token = manifest["chains"]["eth"]["token"]
    for k, tx_hash in enumerate(transfers["transaction_hash"]):
        i = by_hash[tx_hash]
        assert txs["to_address"][i] == transfers["token_address"][k] == token
        assert txs["from_address"][i] == transfers["from_address"][k]
        data = bytes.fromhex(txs["input"][i][2:])
        assert data[:4] == bytes.fromhex("a9059cbb") and txs["value"][i] == "0"
        to, value = decode(["address", "uint256"], data[4:])
        assert (to, value) == (transfers["to_address"][k], int(transfers["value"][k]))
    assert {t for t in txs["input"] if not t.startswith("0xa9059cbb")} == {"0x"}


def test_nonces_count_up_and_balances_stay_positive(
    world: Path, txs: dict[str, list[str]], transfers: dict[str, list[str]]
) -> None:
    nonces: dict[str, list[int]] = defaultdict(list)
    for frm, nonce in zip(txs["from_address"], txs["nonce"], strict=True):
        nonces[frm].append(int(nonce))
    assert all(n == list(range(len(n))) for n in nonces.values())
    truth = pq.read_table(world / "truth" / "eth_addresses.parquet").to_pydict()
    units = dict(zip(truth["address"], truth["genesis_token_units"], strict=True))
    for frm, to, value in zip(
        transfers["from_address"], transfers["to_address"], transfers["value"], strict=True
    ):
        units[frm] -= int(value)
        assert units[frm] >= 0, frm
        units[to] += int(value)
    assert sum(units.values()) == sum(truth["genesis_token_units"])


def test_scam_proceeds_reach_our_hot_wallet(world: Path, transfers: dict[str, list[str]]) -> None:
    roles = pq.read_table(world / "truth" / "roles.parquet").to_pydict()
    role = defaultdict(set)
    for s, r, kind, ref in zip(
        roles["scenario"], roles["role"], roles["kind"], roles["ref"], strict=True
    ):
        if s == "pig_butchering_usdt" and kind == "eth_address":
            role[r].add(ref)
    addrs = pq.read_table(world / "truth" / "eth_addresses.parquet").to_pydict()
    hot = {a for a, r in zip(addrs["address"], addrs["wallet_role"], strict=True) if r == "hot"}
    flows = Counter(
        (f, t) for f, t in zip(transfers["from_address"], transfers["to_address"], strict=True)
    )
    (collector,) = role["collector"]
    assert all(flows[(p, collector)] == 1 for p in role["scam_deposit"])
    assert all(flows[(collector, m)] == 1 for m in role["mule_deposit"])
    swept = {f for (f, t) in flows if f in role["mule_deposit"] and t in hot}
    assert swept == role["mule_deposit"]


def test_hack_hops_one_address_at_a_time(
    world: Path, txs: dict[str, list[str]], manifest: dict[str, Any]
) -> None:
    tags = pq.read_table(world / "truth" / "eth_transactions.parquet").to_pydict()
    tag = dict(zip(tags["hash"], tags["tag"], strict=True))
    hops = [i for i, h in enumerate(txs["hash"]) if tag[h] == "bridge_hack/hop"]
    assert len(hops) == 80 and Counter(tag.values())["bridge_hack/split"] == 8
    senders = Counter(txs["from_address"][i] for i in hops)
    receivers = Counter(txs["to_address"][i] for i in hops)
    assert max(senders.values()) == max(receivers.values()) == 1
    assert manifest["chains"]["eth"]["scenarios"] == ["pig_butchering_usdt", "bridge_hack"]


def test_genesis_ether_is_exported_as_genesis_traces(world: Path) -> None:
    """ethereum-etl's ``export_traces --genesis-traces`` rows for block 0: one per address
    the genesis funds with ether, no transaction, no sender."""
    traces = _rows(world, "traces")
    truth = pq.read_table(world / "truth" / "eth_addresses.parquet").to_pydict()
    funded = {a: g for a, g in zip(truth["address"], truth["genesis_gwei"], strict=True) if g}
    assert dict(zip(traces["to_address"], map(int, traces["value"]), strict=True)) == {
        a: g * 10**9 for a, g in funded.items()
    }
    assert set(traces["block_number"]) == {"0"} and set(traces["trace_type"]) == {"genesis"}
    assert set(traces["from_address"]) == set(traces["transaction_hash"]) == {None}
    assert traces["trace_id"] == [f"genesis_0_{i}" for i in range(len(funded))]
    assert traces["to_address"] == sorted(traces["to_address"])


@pytest.fixture(scope="module")
def eth_store(world: Path, tmp_path_factory: pytest.TempPathFactory) -> ChainStore:
    store = open_store(tmp_path_factory.mktemp("eth") / "store")
    store.ingest(read_ethereum_etl(world / "eth"), chain="eth")
    store.build_index("eth")
    return store


def _tagged(world: Path, tag: str) -> list[str]:
    """Hashes of the transactions of ``tag``, in block order."""
    t = pq.read_table(world / "truth" / "eth_transactions.parquet").to_pydict()
    rows = sorted(zip(t["block_number"], t["hash"], t["tag"], strict=True))
    return [h for _, h, tg in rows if tg == tag]


def _edge(store: ChainStore, tx_hash: str, token: int = int(NO_ID)) -> int:
    g = store.account_graph("eth")
    t = store.tx_id("eth", tx_hash)
    (e,) = np.flatnonzero((g.edge_tx == t) & (g.edge_token == token) & (g.edge_value > 0))
    return int(e)


@pytest.mark.parametrize("exact", [False, True])
@pytest.mark.parametrize("model", ["poison", "haircut", "fifo", "lifo"])
def test_backward_from_the_last_hack_hop_reaches_the_bridge(
    world: Path, eth_store: ChainStore, model: str, exact: bool
) -> None:
    """The ether of a branch's last hop came, hop by hop, from the drain, the theft and the
    bridge's genesis allocation: the trace passes exactly that chain and ends as origin."""
    g = eth_store.account_graph("eth")
    (theft,) = [_edge(eth_store, h) for h in _tagged(world, "bridge_hack/theft")]
    hops = [_edge(eth_store, h) for h in _tagged(world, "bridge_hack/hop")]
    splits = [_edge(eth_store, h) for h in _tagged(world, "bridge_hack/split")]
    n_hops = len(hops) // len(splits)
    last = hops[-1]
    chain, at = [last], int(g.edge_src[last])
    while at != g.edge_dst[theft]:  # walk the branch back by its only receipts
        (e,) = [x for x in hops + splits if g.edge_dst[x] == at]
        chain.append(e)
        at = int(g.edge_src[e])
    bridge = int(g.edge_src[theft])
    tr = trace(g, start=Start.transfer(last), model=model, direction="backward",
               max_hops=n_hops + 2, exact=exact)  # fmt: skip
    (genesis,) = tr.item_ref[np.array(tr.status_names()) == "origin"].tolist()
    assert (g.edge_src[genesis], g.edge_dst[genesis], g.edge_kind[genesis]) == (NO_ID, bridge, 3)
    assert tr.item_ref.tolist() == [*chain, theft, genesis]
    rows = {r["id"]: r for r in tr.by_address.rows()}
    assert set(rows) == {int(g.edge_src[e]) for e in [*chain, theft]}
    assert rows[bridge]["first_hop"] == n_hops + 1
    whole = g.edge_value[genesis] if model == "poison" else g.edge_value[last]
    assert tr.ended == {"held": 0, "origin": pytest.approx(whole, rel=1e-12)}


def test_backward_from_a_scam_cash_out_reaches_the_victims(
    world: Path, eth_store: ChainStore
) -> None:
    """Haircut: the collector's pool mixes every platform's consolidation; each platform's
    coins were the victims' investments, held by the victims since genesis (the token's
    genesis balances have no export row, so they rest there as held)."""
    g = eth_store.account_graph("eth")
    usdt = int(np.unique(g.edge_token[g.edge_kind == 2])[0])
    (cash_out, *_) = [
        _edge(eth_store, h, usdt) for h in _tagged(world, "pig_butchering_usdt/cash_out")
    ]
    invest = [_edge(eth_store, h, usdt) for h in _tagged(world, "pig_butchering_usdt/investment")]
    gather = [
        _edge(eth_store, h, usdt) for h in _tagged(world, "pig_butchering_usdt/consolidation")
    ]
    tr = trace(g, start=Start.transfer(cash_out), model="haircut", direction="backward",
               token=usdt)  # fmt: skip
    hop = {r["id"]: r["first_hop"] for r in tr.by_address.rows()}
    held = {r["id"] for r in tr.by_address.rows() if r["held"] > 1e-6}
    assert {a for a, h in hop.items() if h == 1} == {int(g.edge_src[e]) for e in gather}
    assert held == {int(g.edge_src[e]) for e in invest}
    assert all(hop[a] == 2 for a in held)
    assert tr.ended == {"held": pytest.approx(g.edge_value[cash_out], rel=1e-9)}
