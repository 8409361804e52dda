"""The address -> address flow graph: proportional hop values, per-tx cap, both directions."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np

from chainsleuth.analysis.flowgraph import (
    FlowCsr,
    FlowGraph,
    account_flow_graph,
    load_flow_graph,
    save_flow_graph,
    utxo_flow_graph,
)
from chainsleuth.analysis.graph import NO_ID
from chainsleuth.analysis.graph_build import account_graph_from_rows, utxo_graph_from_rows


def _pairs(csr: FlowCsr, n: int) -> dict[tuple[int, int], tuple[float, list[int], list[float]]]:
    out = {}
    for a in range(n):
        for p in range(csr.addr_ptr[a], csr.addr_ptr[a + 1]):
            hops = slice(csr.hop_ptr[p], csr.hop_ptr[p + 1])
            out[a, int(csr.peer[p])] = (
                float(csr.value[p]),
                csr.hop_tx[hops].tolist(),
                csr.hop_value[hops].tolist(),
            )
    return out


TXS = [
    {"inputs": [], "outputs": [(0, 50)], "time": 100},
    {"inputs": [], "outputs": [(1, 30)], "time": 100},
    # 0 pays 80 in: 0 holds 5/8 of the input, 1 holds 3/8; 0 also gets change back
    {"inputs": [(0, 0), (1, 0)], "outputs": [(2, 40), (3, 30), (0, 8)], "time": 200},
    {"inputs": [(2, 2)], "outputs": [(0, 8)], "time": 300},  # all to itself: no link
    {"inputs": [(2, 0), (2, 1)], "outputs": [(0, 69)], "time": 400},
]


def test_utxo_links_are_proportional_estimates() -> None:
    g = utxo_flow_graph(utxo_graph_from_rows(TXS))
    pairs = _pairs(g.out, 4)
    assert pairs == {
        (0, 2): (25.0, [2], [25.0]),  # floor(40 * 5/8)
        (0, 3): (18.0, [2], [18.0]),  # floor(30 * 5/8) = 18.75 -> 18
        (1, 0): (3.0, [2], [3.0]),  # floor(8 * 3/8)
        (1, 2): (15.0, [2], [15.0]),
        (1, 3): (11.0, [2], [11.0]),
        (2, 0): (39.0, [4], [39.0]),  # floor(69 * 40/70)
        (3, 0): (29.0, [4], [29.0]),
    }
    assert g.out.addr_ptr.tolist() == [0, 2, 5, 6, 7]
    # the in direction holds the same links, keyed by the receiver
    back = {(b, a): v for (a, b), v in _pairs(g.inc, 4).items()}
    assert back == pairs
    assert (g.n_pairs, g.n_hops, g.n_capped_txs) == (7, 7, 0)
    assert g.tx_time.tolist() == [100, 100, 200, 300, 400]


def test_repeated_links_keep_one_hop_per_tx() -> None:
    g = utxo_flow_graph(
        utxo_graph_from_rows(
            [
                {"inputs": [], "outputs": [(0, 10), (0, 20)]},
                {"inputs": [(0, 0)], "outputs": [(1, 10)]},
                {"inputs": [(0, 1)], "outputs": [(1, 5), (1, 15)]},  # two outputs of 1: one hop
            ]
        )
    )
    assert _pairs(g.out, 2) == {(0, 1): (30.0, [1, 2], [10.0, 20.0])}


def test_huge_transactions_link_only_their_largest_outputs() -> None:
    outputs = [(10 + k, 100 + k) for k in range(6)]  # address 15 gets the most
    g = utxo_flow_graph(
        utxo_graph_from_rows(
            [
                {"inputs": [], "outputs": [(0, 1000), (1, 1000), (2, 10)]},
                {"inputs": [(0, 0), (0, 1), (0, 2)], "outputs": outputs},
            ]
        ),
        max_pairs_per_tx=7,
    )
    # 3 input addresses x 6 outputs = 18 > 7: keep the 7 // 3 = 2 largest outputs
    assert g.n_capped_txs == 1
    assert sorted(_pairs(g.out, 16)) == [(a, b) for a in (0, 1, 2) for b in (14, 15)]
    g = utxo_flow_graph(
        utxo_graph_from_rows([{"inputs": [], "outputs": [(0, 1)]}]), max_pairs_per_tx=1
    )
    assert (g.n_pairs, g.n_capped_txs) == (0, 0)


def test_random_utxo_graph_matches_a_plain_python_count() -> None:
    rng = np.random.default_rng(7)
    txs: list[dict[str, object]] = [{"inputs": [], "outputs": [(a, 1000) for a in range(12)]}]
    unspent = [(0, v) for v in range(12)]
    for t in range(1, 60):
        k = int(rng.integers(1, min(4, len(unspent)) + 1))
        spend = [unspent.pop(int(rng.integers(len(unspent)))) for _ in range(k)]
        outs = [
            (int(rng.integers(12)), int(rng.integers(1, 500))) for _ in range(rng.integers(1, 4))
        ]
        txs.append({"inputs": spend, "outputs": outs})
        unspent += [(t, v) for v in range(len(outs))]
    ug = utxo_graph_from_rows(txs)
    expect: dict[tuple[int, int], set[int]] = defaultdict(set)
    for t in range(1, ug.n_txs):
        ins = ug.in_addr[ug.in_start[t] : ug.in_start[t + 1]]
        outs_a = ug.out_addr[ug.out_start[t] : ug.out_start[t + 1]]
        for a in set(ins.tolist()):
            for b in set(outs_a.tolist()) - {a}:
                expect[a, b].add(t)
    got = _pairs(utxo_flow_graph(ug).out, 12)
    assert {k: set(v[1]) for k, v in got.items()} == dict(expect)
    # the estimates never hand out more than the transaction paid
    spent = utxo_flow_graph(ug).out
    per_tx = np.bincount(spent.hop_tx, weights=spent.hop_value, minlength=ug.n_txs)
    paid = np.add.reduceat(ug.out_value, ug.out_start[:-1])
    assert np.all(per_tx <= paid)


def test_account_graph_one_asset_at_a_time() -> None:
    ag = account_graph_from_rows(
        [
            {"src": 0, "dst": 1, "value": 5, "tx": 0, "time": 10},
            {"src": 0, "dst": 1, "value": 7, "tx": 0, "time": 10},  # same tx: one hop
            {"src": 1, "dst": 2, "value": 3, "tx": 1, "time": 20, "token": 9},
            {"src": 2, "dst": 2, "value": 3, "tx": 2, "time": 30},  # self: dropped
            {"src": 1, "dst": 0, "value": 2**70, "tx": 3, "time": 40},
        ]
    )
    native = account_flow_graph(ag)
    assert _pairs(native.out, 3) == {(0, 1): (12.0, [0], [12.0]), (1, 0): (2.0**70, [3], [2.0**70])}
    assert native.tx_time.tolist() == [10, 20, 30, 40]
    token = account_flow_graph(ag, asset=9)
    assert _pairs(token.out, 3) == {(1, 2): (3.0, [1], [3.0])}
    assert int(NO_ID) not in native.out.peer.tolist()


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    g = utxo_flow_graph(utxo_graph_from_rows(TXS))
    save_flow_graph(g, tmp_path / "flow")
    back = load_flow_graph(tmp_path / "flow")
    assert isinstance(back, FlowGraph)
    assert (back.n_addresses, back.n_capped_txs) == (g.n_addresses, g.n_capped_txs)
    assert _pairs(back.out, 4) == _pairs(g.out, 4)
    assert _pairs(back.inc, 4) == _pairs(g.inc, 4)
