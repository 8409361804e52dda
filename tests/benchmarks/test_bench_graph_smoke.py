"""``python -m benchmarks.bench_graph --quick`` runs every case beside its peers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_bench_graph_quick_runs() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_graph", "--quick", "--no-write"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    for case in ("graphsense-clustering", "scipy", "igraph", "networkx", "6-hop haircut"):
        assert case in out, case
    assert "PARTITION DIFFERS" not in out
