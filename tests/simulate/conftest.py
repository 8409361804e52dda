"""One classroom world shared by the simulator's tests (it takes about a second)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chainsleuth.simulate import MANIFEST, simulate_world


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world")
    simulate_world(out, preset="classroom", seed=5)
    return out


@pytest.fixture(scope="session")
def manifest(world: Path) -> dict[str, Any]:
    return dict(json.loads((world / MANIFEST).read_text()))
