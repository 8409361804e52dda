"""Shortest and simple paths on hand-drawn graphs and against networkx on random ones."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest

from chainsleuth.analysis.flowgraph import FlowGraph, account_flow_graph, utxo_flow_graph
from chainsleuth.analysis.flowsearch import FlowFilter, SearchWorkspace, cluster_level
from chainsleuth.analysis.graph_build import account_graph_from_rows, utxo_graph_from_rows
from chainsleuth.analysis.paths import Hop, PathResult, shortest_path, simple_paths
from chainsleuth.errors import Invalid

# (src, dst, value, time); transaction k is row k
EDGES = [
    (0, 1, 100, 10),
    (1, 2, 60, 20),
    (2, 3, 50, 30),
    (0, 4, 10, 40),
    (4, 3, 9, 50),
    (1, 2, 15, 60),  # a second transaction on 1 -> 2
    (5, 3, 7, 70),  # 5 only pays into 3
]


def _flow(edges: list[tuple[int, int, int, int]] = EDGES, n: int | None = None) -> FlowGraph:
    rows = [{"src": s, "dst": d, "value": v, "time": t} for s, d, v, t in edges]
    return account_flow_graph(account_graph_from_rows(rows, n_addresses=n))


def _node_lists(r: PathResult) -> list[list[int]]:
    return [list(p.nodes) for p in r.paths]


def test_shortest_path_with_the_transactions_of_each_hop() -> None:
    r = shortest_path(_flow(), 0, 3)
    assert _node_lists(r) == [[0, 4, 3]]
    assert r.paths[0].hops == (
        Hop(0, 4, True, 10.0, (3,), (10.0,)),
        Hop(4, 3, True, 9.0, (4,), (9.0,)),
    )
    assert _node_lists(shortest_path(_flow(), 0, 3, max_depth=1)) == []
    assert _node_lists(shortest_path(_flow(), 3, 0)) == []  # money never flows back
    assert _node_lists(shortest_path(_flow(), 2, 2)) == [[2]]


def test_undirected_hops_say_which_way_the_money_went() -> None:
    r = shortest_path(_flow(), 0, 5, directed=False)
    assert _node_lists(r) == [[0, 4, 3, 5]]
    last = r.paths[0].hops[-1]
    assert (last.source, last.target, last.forward, last.txs) == (3, 5, False, (6,))


def test_simple_paths_list_every_route() -> None:
    r = simple_paths(_flow(), 0, 3)
    assert _node_lists(r) == [[0, 1, 2, 3], [0, 4, 3]]
    assert r.complete
    hop = r.paths[0].hops[1]
    assert (hop.value, hop.txs, hop.tx_values) == (75.0, (1, 5), (60.0, 15.0))
    assert _node_lists(simple_paths(_flow(), 0, 3, max_depth=2)) == [[0, 4, 3]]
    cut = simple_paths(_flow(), 0, 3, max_paths=1)
    assert (_node_lists(cut), cut.complete) == ([[0, 1, 2, 3]], False)


def test_filters_and_stop_nodes_shape_paths() -> None:
    g = _flow()
    assert _node_lists(shortest_path(g, 0, 3, filters=FlowFilter(min_value=20))) == [[0, 1, 2, 3]]
    late = FlowFilter(start_time=15)  # the 0 -> 1 and nothing else at time 10
    assert _node_lists(simple_paths(g, 0, 3, filters=late)) == [[0, 4, 3]]
    r = simple_paths(g, 0, 3, filters=FlowFilter(start_time=50))
    assert r.paths == ()
    window = shortest_path(g, 1, 2, filters=FlowFilter(start_time=50))
    assert window.paths[0].hops[0].txs == (5,)  # only the transaction inside the window
    stop = np.zeros(g.n_addresses, np.bool_)
    stop[4] = True
    assert _node_lists(shortest_path(g, 0, 3, stop=stop)) == [[0, 1, 2, 3]]
    stop[3] = True  # an endpoint may be a stop node
    assert _node_lists(simple_paths(g, 0, 3, stop=stop)) == [[0, 1, 2, 3]]


def test_cluster_paths() -> None:
    g = _flow()
    clusters = cluster_level(np.array([0, 1, 1, 3, 4, 5], np.uint32))
    r = shortest_path(g, 0, 2, clusters=clusters)  # address 2 is in cluster 1
    assert (r.level, r.target, _node_lists(r)) == ("cluster", 1, [[0, 1]])
    r = simple_paths(g, 1, 3, clusters=clusters)
    assert _node_lists(r) == [[1, 3]]
    assert r.paths[0].hops[0].txs == (2,)  # 1 -> 2 stays inside the cluster


def test_utxo_path_hops_name_the_spending_transaction() -> None:
    g = utxo_flow_graph(
        utxo_graph_from_rows(
            [
                {"inputs": [], "outputs": [(0, 50)]},
                {"inputs": [(0, 0)], "outputs": [(1, 30), (2, 20)]},
                {"inputs": [(1, 0)], "outputs": [(3, 30)]},
            ]
        )
    )
    r = shortest_path(g, 0, 3)
    assert [(h.source, h.target, h.txs, h.tx_values) for h in r.paths[0].hops] == [
        (0, 1, (1,), (30.0,)),
        (1, 3, (2,), (30.0,)),
    ]
    assert r.to_json(labels={0: "a"}, tx_labels={1: "t1"})["paths"][0]["hops"][0] == {
        "source": 0,
        "target": 1,
        "source_address": "a",
        "target_address": None,
        "forward": True,
        "value": 30,
        "txs": [{"tx": 1, "txid": "t1", "value": 30}],
    }


def _random(seed: int, n: int = 60, m: int = 150) -> tuple[FlowGraph, nx.DiGraph]:
    rng = np.random.default_rng(seed)
    pairs = zip(rng.integers(0, n, m).tolist(), rng.integers(0, n, m).tolist(), strict=True)
    edges = [(s, d, 1, 0) for s, d in pairs]
    nxg = nx.DiGraph()
    nxg.add_nodes_from(range(n))
    nxg.add_edges_from((s, d) for s, d, _, _ in edges if s != d)
    return _flow(edges, n), nxg


@pytest.mark.parametrize("seed", [11, 12])
@pytest.mark.parametrize("directed", [True, False])
def test_shortest_paths_match_networkx(seed: int, directed: bool) -> None:
    g, nxg = _random(seed)
    view = nxg if directed else nxg.to_undirected()
    ws = SearchWorkspace(g.n_addresses)
    for s in range(0, 60, 3):
        for t in range(1, 60, 4):
            r = shortest_path(g, s, t, directed=directed, max_depth=8, workspace=ws)
            try:
                want = nx.shortest_path_length(view, s, t)
            except nx.NetworkXNoPath:
                want = None
            got = len(r.paths[0].hops) if r.paths else None
            assert got == (want if want is not None and want <= 8 else None)
            if r.paths:
                nodes = r.paths[0].nodes
                assert nodes[0] == s and nodes[-1] == t
                assert all(view.has_edge(a, b) for a, b in itertools.pairwise(nodes))


@pytest.mark.parametrize("directed", [True, False])
def test_simple_paths_match_networkx(directed: bool) -> None:
    g, nxg = _random(21, n=40, m=90)
    view = nxg if directed else nxg.to_undirected()
    ws = SearchWorkspace(g.n_addresses)
    for s, t in [(0, 5), (3, 17), (8, 30), (12, 2), (25, 39)]:
        for cutoff in (2, 4):
            r = simple_paths(
                g, s, t, directed=directed, max_depth=cutoff, max_paths=10**6, workspace=ws
            )
            want = {tuple(p) for p in nx.all_simple_paths(view, s, t, cutoff=cutoff)}
            got = [p.nodes for p in r.paths]
            assert len(got) == len(set(got))
            assert set(got) == want
            for p in r.paths:
                for h in p.hops:
                    a, b = (h.source, h.target) if h.forward else (h.target, h.source)
                    assert nxg.has_edge(a, b) and h.txs


def test_bad_arguments_are_invalid() -> None:
    g = _flow()
    with pytest.raises(Invalid, match="max_depth"):
        shortest_path(g, 0, 3, max_depth=-1)
    with pytest.raises(Invalid, match="max_paths"):
        simple_paths(g, 0, 3, max_paths=0)
    with pytest.raises(Invalid, match="target: address id 40"):
        simple_paths(g, 0, 40)
