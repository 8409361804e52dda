"""Cache entries older than a dependency go; newer ones stay."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from chainsleuth.numba_cache import drop_stale


def test_stale_entries_are_removed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    module, dep = tmp_path / "kernels.py", tmp_path / "dep.py"
    module.write_text("")
    dep.write_text("")
    cache = tmp_path / "__pycache__"
    cache.mkdir()
    old, new, other = (
        cache / n
        for n in ("kernels.walk-1.py311.nbi", "kernels.walk-1.py311.1.nbc", "other.f-1.py311.nbi")
    )
    for f in (old, new, other):
        f.write_text("x")
    os.utime(old, (1, 1))
    os.utime(other, (1, 1))
    os.utime(dep, (100, 100))
    assert drop_stale(str(module), str(dep)) == 1
    assert not old.exists() and new.exists() and other.exists()


def test_custom_cache_dirs_are_left_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    assert drop_stale(str(tmp_path / "m.py"), str(tmp_path / "missing.py")) == 0
