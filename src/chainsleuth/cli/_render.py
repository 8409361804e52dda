"""One emitter for every command: a JSON document with ``--json``, else rich output."""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from rich.console import Console, RenderableType
from rich.table import Table

console = Console()
err_console = Console(stderr=True)

MAX_SAFE_INT = 2**53


def plain(value: Any) -> Any:
    """Turn read models into JSON-ready data; integers beyond 2**53 become exact strings."""
    if isinstance(value, BaseModel):
        return plain(value.model_dump(mode="python"))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return plain(dataclasses.asdict(value))
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, float | str):
        return value
    if isinstance(value, int):
        return str(value) if abs(value) >= MAX_SAFE_INT else value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    return str(value)


def emit(data: Any, *, as_json: bool, render: Callable[[Any], RenderableType]) -> None:
    """Print ``data`` as one JSON document or through ``render``."""
    if as_json:
        sys.stdout.write(json.dumps(plain(data), indent=2, sort_keys=False) + "\n")
    else:
        console.print(render(data))


def kv_table(title: str, rows: Sequence[tuple[str, Any]]) -> Table:
    """A two-column table of labelled values."""
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column(overflow="fold")
    for key, val in rows:
        table.add_row(key, "" if val is None else str(val))
    return table


def btc(sat: int | None) -> str:
    """Satoshi as BTC text with all eight decimals."""
    if sat is None:
        return "unknown"
    sign = "-" if sat < 0 else ""
    whole, frac = divmod(abs(sat), 100_000_000)
    return f"{sign}{whole:,}.{frac:08d} BTC"
