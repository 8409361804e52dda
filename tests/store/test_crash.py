"""Kill -9 an ingest at named steps and at random moments: the store is before or after."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_reorg import fork_b

from chainsleuth.store import open_store
from conftest import batch_of, snapshot

HERE = Path(__file__).parent
SCRIPT = f"""
import sys
sys.path.insert(0, {str(HERE)!r})
from pathlib import Path
from conftest import batch_of
from test_reorg import fork_b
from chainsleuth.store import open_store
store = open_store(Path(sys.argv[1]))
batches = {{"grow": [batch_of([2]), batch_of([3]), batch_of([4])],
            "reorg": [fork_b([3, 4, 5], parent=2)]}}[sys.argv[2]]
store.ingest(batches, chain="btc", unit_rows=1)
"""


def _run(store: Path, kind: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(store), kind], env={**os.environ, **env}
    )


def _states(tmp: Path, kind: str) -> tuple[Path, list[dict[str, object]]]:
    base = tmp / "base"
    open_store(base).ingest(
        [batch_of([0, 1]) if kind == "grow" else batch_of([0, 1, 2, 3, 4])], chain="btc"
    )
    states = [snapshot(open_store(base))]
    steps = {
        "grow": [[batch_of([2])], [batch_of([3])], [batch_of([4])]],
        "reorg": [[fork_b([3, 4, 5], parent=2)]],
    }[kind]
    after = tmp / "after"
    shutil.copytree(base, after)
    for step in steps:
        open_store(after).ingest(step, chain="btc")
        states.append(snapshot(open_store(after)))
    return base, states


@pytest.mark.parametrize("kind", ["grow", "reorg"])
@pytest.mark.parametrize("step", ["staged", "published", "committed"])
def test_sigkill_at_step(tmp_path: Path, kind: str, step: str) -> None:
    base, states = _states(tmp_path, kind)
    store = tmp_path / "victim"
    shutil.copytree(base, store)
    marker = tmp_path / "paused"
    proc = _run(store, kind, {"CHAINSLEUTH_STORE_PAUSE": f"{step}:{marker}"})
    deadline = time.monotonic() + 60
    while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert marker.exists(), "ingest never reached the pause point"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    reopened = open_store(store)
    got = snapshot(reopened)
    assert got == (states[1] if step == "committed" else states[0])
    assert not (store / "tmp").exists()
    # the store keeps working: finishing the ingest reaches the final state
    batches = (
        [batch_of([2]), batch_of([3]), batch_of([4])]
        if kind == "grow"
        else [fork_b([3, 4, 5], parent=2)]
    )
    reopened.ingest(batches, chain="btc")
    assert snapshot(reopened) == states[-1]


def test_sigkill_at_random_moments(tmp_path: Path) -> None:
    base, states = _states(tmp_path, "grow")
    rng = random.Random(7)
    for i in range(3):
        store = tmp_path / f"victim{i}"
        shutil.copytree(base, store)
        proc = _run(store, "grow", {})
        time.sleep(rng.uniform(0.5, 2.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert snapshot(open_store(store)) in states
