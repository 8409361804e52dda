"""The Typer app object and the one place errors become a stderr line and an exit code."""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup

from chainsleuth.cli._render import err_console
from chainsleuth.errors import ChainsleuthError


def _fail(message: str) -> typer.Exit:
    err_console.print(f"error: {message}", markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(code=1)


class _CleanErrors(TyperGroup):
    """Turn chainsleuth and OS errors into one line on stderr and exit code 1."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except ChainsleuthError as exc:
            raise _fail(str(exc)) from exc
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            raise _fail(f"{where}{exc.strerror or exc}") from exc


def group(help_text: str) -> typer.Typer:
    """A command group that shares the error handling."""
    return typer.Typer(
        help=help_text,
        cls=_CleanErrors,
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )


app = group("chainsleuth: blockchain forensics for investigators and law enforcement.")
