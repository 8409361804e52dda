"""Options several commands share, and the store they name."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from chainsleuth.config import get_settings
from chainsleuth.store import ChainStore, open_store

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]
StoreOption = Annotated[
    Path | None,
    typer.Option("--store", help="Chain store folder [env CHAINSLEUTH_STORE].", show_default=False),
]
ChainOption = Annotated[
    str | None,
    typer.Option("--chain", help="Chain name in the store (btc, eth, ...).", show_default=False),
]


def store_at(path: Path | None, *, create: bool = False) -> ChainStore:
    """The chain store named by ``--store`` or the settings."""
    return open_store(path or get_settings().store_dir, create=create)
