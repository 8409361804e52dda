"""``simulate``: the command writes a world and prints its manifest as JSON."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from chainsleuth.cli.simulate import simulate


def test_simulate_json(tmp_path: Path) -> None:
    app = typer.Typer()
    app.command()(simulate)
    app.command("other")(lambda: None)  # two commands keep `simulate` a named subcommand
    done = CliRunner().invoke(
        app, ["simulate", str(tmp_path), "--preset", "classroom", "--seed", "3", "--json"]
    )
    assert done.exit_code == 0, done.output
    doc = json.loads(done.stdout)
    assert doc["preset"] == "classroom" and doc["seed"] == 3
    assert json.loads((tmp_path / "manifest.json").read_text()) == doc
