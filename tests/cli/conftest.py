"""Run the real CLI in-process against a fresh home (store + SQLite) per test."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner, Result

from chainsleuth.chain.readers import read_raw_blocks
from chainsleuth.cli import app
from chainsleuth.config import get_settings
from chainsleuth.store import open_store
from tests.conftest import DATA

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


@pytest.fixture(scope="session")
def _first_blocks_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("first-blocks") / "store"
    target = open_store(root)
    target.ingest(
        read_raw_blocks(DATA / "btc-blocks-hadoopcryptoledger" / "firstblocks.blk"), chain="btc"
    )
    target.build_index("btc")
    return root


@pytest.fixture
def store(_first_blocks_base: Path, tmp_path: Path) -> Path:
    """A store of the real first 590 mainnet blocks with its graph index, for one test."""
    return Path(shutil.copytree(_first_blocks_base, tmp_path / "store"))


def run_json(group: typer.Typer, store: Path, *args: str) -> Any:
    """Run a command group on ``store`` with ``--json`` and return the parsed output."""
    result = CliRunner().invoke(group, [*args, "--store", str(store), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)
