"""A failed write leaves the old file; a good one replaces it; no temporary file stays."""

from __future__ import annotations

from pathlib import Path

import pytest

from chainsleuth.atomic import atomic_path


def test_success_replaces_and_failure_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "out" / "trace.json"
    with atomic_path(target) as tmp:
        tmp.write_text("first")
    assert target.read_text() == "first"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("crash mid-write")
    assert target.read_text() == "first"
    assert [p.name for p in target.parent.iterdir()] == ["trace.json"]
