"""Neighbour search on hand-drawn graphs and against networkx on random ones."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from chainsleuth.analysis.flowgraph import FlowGraph, account_flow_graph, utxo_flow_graph
from chainsleuth.analysis.flowsearch import (
    FlowFilter,
    SearchWorkspace,
    cluster_level,
    cluster_mask,
)
from chainsleuth.analysis.graph_build import account_graph_from_rows, utxo_graph_from_rows
from chainsleuth.analysis.neighbours import Neighbourhood, neighbours
from chainsleuth.analysis.paths import shortest_path
from chainsleuth.errors import Invalid

# (src, dst, value, time); transaction k is row k
EDGES = [
    (0, 1, 100, 10),
    (0, 2, 50, 20),
    (0, 3, 10, 30),
    (1, 4, 70, 40),
    (2, 4, 20, 50),
    (4, 0, 5, 60),  # back to the start: a cycle
    (5, 0, 40, 70),
    (3, 6, 1, 80),
    (0, 1, 30, 90),  # a second transaction on 0 -> 1
]


def _flow(edges: list[tuple[int, int, int, int]] = EDGES, n: int | None = None) -> FlowGraph:
    rows = [{"src": s, "dst": d, "value": v, "time": t} for s, d, v, t in edges]
    return account_flow_graph(account_graph_from_rows(rows, n_addresses=n))


def _nodes(r: Neighbourhood) -> list[tuple[int, int, int]]:
    return list(zip(r.nodes.tolist(), r.depth.tolist(), r.parent.tolist(), strict=True))


def _edges(r: Neighbourhood) -> dict[tuple[int, int], tuple[int, int]]:
    return {
        (s, t): (round(v), c)
        for s, t, v, c in zip(
            r.edge_source.tolist(),
            r.edge_target.tolist(),
            r.edge_value.tolist(),
            r.edge_tx_count.tolist(),
            strict=True,
        )
    }


def test_depth_limits_and_cycles() -> None:
    g = _flow()
    one = neighbours(g, 0, depth=1)
    assert _nodes(one) == [(0, 0, -1), (1, 1, 0), (2, 1, 0), (3, 1, 0)]
    assert _edges(one) == {(0, 1): (130, 2), (0, 2): (50, 1), (0, 3): (10, 1)}
    two = neighbours(g, 0, depth=2)
    assert _nodes(two)[4:] == [(4, 2, 1), (6, 2, 3)]
    assert _edges(two).keys() - _edges(one).keys() == {(1, 4), (2, 4), (3, 6)}
    three = neighbours(g, 0, depth=3)
    assert len(three.nodes) == 6  # the start is not reached again
    assert _edges(three)[4, 0] == (5, 1)
    zero = neighbours(g, 0, depth=0)
    assert (_nodes(zero), _edges(zero)) == ([(0, 0, -1)], {})


def test_directions() -> None:
    g = _flow()
    back = neighbours(g, 0, direction="in")
    assert _nodes(back) == [(0, 0, -1), (4, 1, 0), (5, 1, 0)]
    assert _edges(back) == {(4, 0): (5, 1), (5, 0): (40, 1)}
    both = neighbours(g, 4, direction="both", depth=1)
    assert [n for n, _, _ in _nodes(both)] == [4, 0, 1, 2]
    assert set(_edges(both)) == {(4, 0), (1, 4), (2, 4)}
    # both ends of a link meet it: it is listed once
    wide = neighbours(g, 0, direction="both", depth=2)
    keys = list(zip(wide.edge_source.tolist(), wide.edge_target.tolist(), strict=True))
    assert len(keys) == len(set(keys))


def test_breadth_limit_keeps_the_largest_links() -> None:
    g = _flow()
    r = neighbours(g, 0, depth=1, breadth=2)
    assert set(_edges(r)) == {(0, 1), (0, 2)}
    r = neighbours(g, 0, depth=2, breadth=1)
    assert _nodes(r) == [(0, 0, -1), (1, 1, 0), (4, 2, 1)]
    r = neighbours(g, 4, direction="both", depth=1, breadth=1)  # one per direction
    assert set(_edges(r)) == {(4, 0), (1, 4)}


def test_filters() -> None:
    g = _flow()
    assert set(_edges(neighbours(g, 0, filters=FlowFilter(min_value=40)))) == {(0, 1), (0, 2)}
    window = neighbours(g, 0, filters=FlowFilter(start_time=25, end_time=95))
    assert _edges(window) == {(0, 1): (30, 1), (0, 3): (10, 1)}
    skip = np.zeros(len(EDGES), np.bool_)
    skip[[0, 2]] = True
    masked = neighbours(g, 0, filters=FlowFilter(exclude_txs=skip))
    assert _edges(masked) == {(0, 1): (30, 1), (0, 2): (50, 1)}
    # min value applies to what the other filters leave
    both = FlowFilter(min_value=40, exclude_txs=skip)
    assert set(_edges(neighbours(g, 0, filters=both))) == {(0, 2)}


def test_stop_nodes_are_reached_but_not_expanded() -> None:
    g = _flow()
    stop = np.zeros(g.n_addresses, np.bool_)
    stop[1] = True
    r = neighbours(g, 0, depth=2, stop=stop)
    assert (4, 2, 2) in _nodes(r)  # reached through 2, since 1 stops
    assert (1, 4) not in _edges(r)
    # the start is expanded even when it is a stop node
    stop[0] = True
    assert len(neighbours(g, 0, stop=stop).nodes) == 4


def test_cluster_level() -> None:
    g = _flow()
    clusters = cluster_level(np.array([0, 1, 1, 3, 4, 5, 6], np.uint32))
    r = neighbours(g, 0, depth=2, clusters=clusters)
    assert _nodes(r) == [(0, 0, -1), (1, 1, 0), (3, 1, 0), (4, 2, 1), (6, 2, 3)]
    assert _edges(r) == {(0, 1): (180, 3), (0, 3): (10, 1), (1, 4): (90, 2), (3, 6): (1, 1)}
    # an address of a cluster starts at its cluster
    assert neighbours(g, 2, clusters=clusters).start == 1
    stop = cluster_mask(clusters.clusters, np.array([0, 0, 1, 0, 0, 0, 0], np.bool_))
    assert stop.tolist() == [False, True, False, False, False, False, False]
    r = neighbours(g, 0, depth=2, clusters=clusters, stop=stop)
    assert 4 not in r.nodes.tolist()


def test_cluster_links_count_each_transaction_once() -> None:
    g = utxo_flow_graph(
        utxo_graph_from_rows(
            [
                {"inputs": [], "outputs": [(0, 60), (1, 40)]},
                {"inputs": [(0, 0), (0, 1)], "outputs": [(2, 50), (3, 50)]},
            ]
        )
    )
    clusters = cluster_level(np.array([0, 0, 2, 2], np.uint32))
    assert _edges(neighbours(g, 0, clusters=clusters)) == {(0, 2): (100, 1)}
    assert _edges(neighbours(g, 0)) == {(0, 2): (30, 1), (0, 3): (30, 1)}


def _random(seed: int, n: int = 120, m: int = 400) -> tuple[FlowGraph, nx.DiGraph]:
    rng = np.random.default_rng(seed)
    src, dst = rng.integers(0, n, m), rng.integers(0, n, m)
    edges = [(int(s), int(d), int(rng.integers(1, 1000)), 0) for s, d in zip(src, dst, strict=True)]
    nxg = nx.DiGraph()
    nxg.add_nodes_from(range(n))
    nxg.add_edges_from((s, d) for s, d, _, _ in edges if s != d)
    return _flow(edges, n), nxg


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_unbounded_search_matches_networkx(seed: int) -> None:
    g, nxg = _random(seed)
    ws = SearchWorkspace(g.n_addresses)
    views = {"out": nxg, "in": nxg.reverse(), "both": nxg.to_undirected()}
    for start in range(0, 120, 7):
        for direction, view in views.items():
            for depth in (1, 2, 3):
                r = neighbours(g, start, depth=depth, direction=direction, workspace=ws)  # type: ignore[arg-type]
                expect = nx.single_source_shortest_path_length(view, start, cutoff=depth)
                assert dict(zip(r.nodes.tolist(), r.depth.tolist(), strict=True)) == expect
                inner = {v for v, d in expect.items() if d < depth}
                want = {
                    (s, t)
                    for s, t in nxg.edges
                    if (direction != "in" and s in inner) or (direction != "out" and t in inner)
                }
                assert set(_edges(r)) == want
                for v, p, d in zip(r.nodes[1:], r.parent[1:], r.depth[1:], strict=True):
                    assert expect[int(p)] == d - 1
                    assert view.has_edge(int(p), int(v))


def test_reused_workspace_gives_the_same_answers() -> None:
    g, _ = _random(5)
    ws = SearchWorkspace(g.n_addresses)
    for start in range(30):
        a = neighbours(g, start, depth=3, breadth=3, direction="both", workspace=ws)
        b = neighbours(g, start, depth=3, breadth=3, direction="both")
        assert a.to_json() == b.to_json()


def test_to_json_and_labels() -> None:
    r = neighbours(_flow(), 5, depth=1)
    assert r.to_json(labels={5: "five"}) == {
        "start": 5,
        "level": "address",
        "direction": "out",
        "max_depth": 1,
        "nodes": [
            {"id": 5, "address": "five", "depth": 0, "parent": None},
            {"id": 0, "address": None, "depth": 1, "parent": 5},
        ],
        "edges": [{"source": 5, "target": 0, "value": 40, "tx_count": 1}],
    }


def test_bad_arguments_are_invalid() -> None:
    g = _flow()
    with pytest.raises(Invalid, match="direction"):
        neighbours(g, 0, direction="sideways")  # type: ignore[arg-type]
    with pytest.raises(Invalid, match="depth"):
        neighbours(g, 0, depth=-1)
    with pytest.raises(Invalid, match="address id 99"):
        neighbours(g, 99)
    with pytest.raises(Invalid, match="stop mask"):
        neighbours(g, 0, stop=np.zeros(3, np.bool_))
    with pytest.raises(Invalid, match="exclude_txs"):
        neighbours(g, 0, filters=FlowFilter(exclude_txs=np.zeros(2, np.bool_)))
    with pytest.raises(Invalid, match="workspace"):
        neighbours(g, 0, workspace=SearchWorkspace(3))


@pytest.mark.parametrize("direction", ["out", "in", "both"])
def test_plain_search_equals_the_filtered_kernel(direction: str) -> None:
    """The unbounded address-level kernel gives what the general one (forced by an
    always-true time window) gives: nodes, depths, links with values and counts."""
    g, _ = _random(4)
    stop = np.zeros(g.n_addresses, np.bool_)
    stop[::9] = True
    everything = FlowFilter(start_time=-(2**40), min_value=2)
    for start in range(0, 60, 5):
        fast = neighbours(g, start, depth=3, direction=direction, stop=stop,  # type: ignore[arg-type]
                          filters=FlowFilter(min_value=2))  # fmt: skip
        slow = neighbours(g, start, depth=3, direction=direction, stop=stop, filters=everything)  # type: ignore[arg-type]
        assert _nodes(fast) == _nodes(slow)
        assert _edges(fast) == _edges(slow)
        assert len(fast.edge_source) == len(_edges(fast))


def test_level_stamps_share_a_workspace_and_wrap() -> None:
    """The unbounded kernel stamps levels into the marks that path search and the
    general kernel also use; interleaved on one workspace, and across the stamp
    counter's wrap, every search answers as on a fresh workspace."""
    g, _ = _random(6)
    ws = SearchWorkspace(g.n_addresses)
    ws.marks("visit")[2][0] = 2**32 - 6  # a few searches before the wrap
    for start in range(12):
        for direction in ("out", "both"):
            shared = neighbours(g, start, depth=3, direction=direction, workspace=ws)  # type: ignore[arg-type]
            fresh = neighbours(g, start, depth=3, direction=direction)  # type: ignore[arg-type]
            assert shared.to_json() == fresh.to_json()
        path = shortest_path(g, start, start + 1, workspace=ws)
        assert path == shortest_path(g, start, start + 1)
        limited = neighbours(g, start, depth=2, breadth=2, workspace=ws)
        assert limited.to_json() == neighbours(g, start, depth=2, breadth=2).to_json()
