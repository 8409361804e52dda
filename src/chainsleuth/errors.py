"""The few error kinds every domain subclasses.

::

    ChainsleuthError
     ├── NotFound        a named thing (block, tx, address, record) does not exist
     ├── Invalid         input that breaks a format or a rule
     │    └── MalformedRecord   a record in a file or reply; names path, record and field
     ├── Conflict        the action clashes with the current state
     ├── Forbidden       the actor may not do this
     └── Unavailable     a service (database, node RPC) cannot be reached or keeps failing

The CLI turns any of them into one stderr line and exit code 1; the web app maps kind to status.
"""

from __future__ import annotations

from pathlib import Path


class ChainsleuthError(Exception):
    """Base of every error chainsleuth raises on purpose."""


class NotFound(ChainsleuthError):
    """A named thing does not exist."""


class Invalid(ChainsleuthError):
    """Input breaks a format or a rule."""


class Conflict(ChainsleuthError):
    """The action clashes with the current state."""


class Forbidden(ChainsleuthError):
    """The actor may not do this."""


class MalformedRecord(Invalid):
    """A record in a source file or RPC reply is malformed.

    ``record`` says where in the source (block 3, line 17, byte offset 1234, txid ...);
    ``field`` names the field when one is to blame.
    """

    def __init__(
        self, *, path: str | Path, record: str | int, reason: str, field: str | None = None
    ) -> None:
        self.path = str(path)
        self.record = record
        self.field = field
        self.reason = reason
        where = f"{self.path}: record {record}"
        if field:
            where += f", field {field!r}"
        super().__init__(f"{where}: {reason}")


class Unavailable(ChainsleuthError):
    """A service (database, node RPC) cannot be reached or keeps failing."""
