"""Errors of the chain store.

::

    ChainsleuthError
     ├── NotFound
     │    └── UnknownChain      no chain of that name in the store
     ├── Invalid
     │    └── BadBatch          a batch breaks the store's rules; names chain, block height/hash
     └── Conflict
          ├── ForkConflict      a block neither extends nor replaces the stored chain
          └── StoreLocked       another process is writing the store
"""

from __future__ import annotations

from chainsleuth.errors import Conflict, Invalid, NotFound


class UnknownChain(NotFound):
    """No chain of that name in the store."""


class BadBatch(Invalid):
    """A batch breaks the store's rules; the store is left untouched."""


class ForkConflict(Conflict):
    """A block does not fit the stored chain (its parent is stored with another hash)."""


class StoreLocked(Conflict):
    """Another process holds the writer lock."""
