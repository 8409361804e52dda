"""``python -m benchmarks.bench_lookup --quick`` answers as SQL over the views does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_bench_lookup_quick_runs() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_lookup", "--quick", "--no-write"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for case in ("transaction by txid, 20,000 txs", "address history, 20,000 txs", "scale"):
        assert case in done.stdout, case
