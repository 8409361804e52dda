"""Run the real CLI in-process against a fresh home (store + SQLite) per test."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from chainsleuth.cli import app
from chainsleuth.config import get_settings

Run = Callable[..., Result]


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    """``cli("stats", "--json")`` runs chainsleuth with its home under tmp_path."""
    for key in ("CHAINSLEUTH_STORE", "CHAINSLEUTH_DATABASE_URL", "CHAINSLEUTH_CONFIG"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("CHAINSLEUTH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COLUMNS", "200")  # a wide terminal: full addresses on one line
    get_settings.cache_clear()
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(app, list(args))

    yield run  # type: ignore[misc]
    get_settings.cache_clear()


def as_json(result: Result) -> Any:
    assert result.exit_code == 0, result.output + result.stderr
    return json.loads(result.stdout)
