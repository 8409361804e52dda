"""``python -m benchmarks.bench_graph --quick`` runs every case beside its peers."""

from __future__ import annotations

from tests.benchmarks.quick import run_quick


def test_bench_graph_quick_runs() -> None:
    out = run_quick("benchmarks.bench_graph")
    for case in ("graphsense-clustering", "scipy", "igraph", "networkx", "6-hop haircut"):
        assert case in out, case
    assert "PARTITION DIFFERS" not in out
