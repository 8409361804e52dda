"""docs/cli.md is the real --help of every command (regenerate: python -m chainsleuth.cli._docs)."""

from __future__ import annotations

from pathlib import Path

from chainsleuth.cli._docs import render_cli_docs

DOCS = Path(__file__).parents[2] / "docs" / "cli.md"


def test_cli_reference_is_current() -> None:
    assert DOCS.read_text(encoding="utf-8") == render_cli_docs(), (
        "docs/cli.md is stale: run `python -m chainsleuth.cli._docs > docs/cli.md`"
    )


def test_every_command_has_a_heading() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for command in ("ingest", "stats", "show tx", "show address", "show block", "jobs list"):
        assert f"## `chainsleuth {command}`" in text
