"""Render docs/cli.md from the real ``--help`` of every command.

Run ``python -m chainsleuth.cli._docs > docs/cli.md``; a test fails when the file is stale.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import typer
from typer.testing import CliRunner

from chainsleuth.cli import app

HEADER = """# Command reference

Generated from the real `--help` by `python -m chainsleuth.cli._docs > docs/cli.md`;
`tests/cli/test_docs.py` fails when this file is stale.
"""


def _paths(command: typer.core.TyperGroup | object, prefix: list[str]) -> Iterator[list[str]]:
    yield prefix
    commands = getattr(command, "commands", None)
    if commands:
        for name in sorted(commands):
            yield from _paths(commands[name], [*prefix, name])


def render_cli_docs() -> str:
    """The markdown reference of every command, in name order."""
    root = typer.main.get_command(app)
    runner = CliRunner(env={"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"})
    parts = [HEADER]
    for path in _paths(root, []):
        result = runner.invoke(app, [*path, "--help"], prog_name="chainsleuth", terminal_width=100)
        text = "\n".join(line.rstrip() for line in result.stdout.strip("\n").splitlines())
        title = " ".join(["chainsleuth", *path])
        parts.append(f"## `{title}`\n\n```text\n{text}\n```\n")
    return "\n".join(parts)


if __name__ == "__main__":
    os.environ.setdefault("COLUMNS", "100")
    print(render_cli_docs(), end="")
