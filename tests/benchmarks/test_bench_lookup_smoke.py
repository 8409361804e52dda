"""``python -m benchmarks.bench_lookup --quick`` answers as SQL over the views does."""

from __future__ import annotations

from tests.benchmarks.quick import run_quick


def test_bench_lookup_quick_runs() -> None:
    out = run_quick("benchmarks.bench_lookup")
    for case in ("transaction by txid, 20,000 txs", "address history, 20,000 txs", "scale"):
        assert case in out, case
