"""Explanations walk the union forest from one address to the other."""

from __future__ import annotations

import pytest

from chainsleuth.analysis.cluster import cluster_addresses
from chainsleuth.analysis.explain import Step, explain
from chainsleuth.analysis.graph_build import utxo_graph_from_rows
from chainsleuth.errors import Invalid


def _chain_graph():  # type: ignore[no-untyped-def]
    """tx1: 0+1 co-spend; tx2: 1+2; tx3: 2+3 with change back to fresh 4; 5, 6 apart."""
    rows = [
        {"inputs": [], "outputs": [(0, 50), (1, 30), (2, 20), (3, 20), (5, 1)], "height": 0},
        {"inputs": [(0, 0), (0, 1)], "outputs": [(1, 80)], "height": 1},
        {"inputs": [(1, 0), (0, 2)], "outputs": [(2, 100)], "height": 2},
        {"inputs": [(2, 0), (0, 3)], "outputs": [(6, 111_000_000), (4, 9)], "height": 3},
    ]
    return utxo_graph_from_rows(rows, n_addresses=7)


def test_path_from_a_to_b_through_each_transaction() -> None:
    graph = _chain_graph()
    clusters = cluster_addresses(graph, change=["optimal_change"])
    steps = explain(graph, clusters, 0, 4)
    assert steps == [
        Step(1, 1, "multi_input", (0, 1)),
        Step(2, 2, "multi_input", (1, 2)),
        Step(3, 3, "change:optimal_change", (2, 4)),
    ]
    assert [s.joined for s in explain(graph, clusters, 3, 0)] == [(3, 2), (2, 1), (1, 0)]
    back = explain(graph, clusters, 4, 1)
    assert [(s.tx, s.joined) for s in back] == [(3, (4, 2)), (2, (2, 1))]
    assert explain(graph, clusters, 3, 3) == []


def test_different_clusters_are_refused() -> None:
    graph = _chain_graph()
    clusters = cluster_addresses(graph)
    with pytest.raises(Invalid, match="addresses 0 and 5 are in different clusters"):
        explain(graph, clusters, 0, 5)
    with pytest.raises(Invalid, match="address id 99 is outside"):
        explain(graph, clusters, 99, 0)
