"""Options several commands share, and the store they name."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from chainsleuth.config import get_settings
from chainsleuth.errors import NotFound
from chainsleuth.store import ChainInfo, ChainStore, open_store

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


def pick_chain(store: ChainStore, chain: str | None, *, family: str | None = None) -> ChainInfo:
    """The chain named by ``--chain``, or the store's only chain (of ``family``)."""
    known = [c for c in store.chains() if family in (None, c.family)]
    found = [c for c in known if chain in (None, c.name)]
    if len(found) != 1:
        kind = f"{family} " if family else ""
        names = ", ".join(c.name for c in known) or "none"
        want = f"chain {chain!r}" if chain else f"one {kind}chain (use --chain)"
        raise NotFound(f"expected {want}; {kind}chains in the store: {names}")
    return found[0]


def clusters_folder(store: ChainStore, chain: str) -> Path:
    """Where ``cluster build`` keeps a chain's clusters: ``<store>/clusters/<chain>``."""
    return store.root / "clusters" / chain
