"""Vectorised checks and conversions of bitcoin-etl columns, with located errors.

Every check works on a whole column; when one fails, :class:`Rows` names the file, line and
field of the first bad row, as the record-by-record path would.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from chainsleuth.errors import MalformedRecord

I64 = npt.NDArray[np.int64]
U8 = npt.NDArray[np.uint8]

_HEX = np.full(256, 255, np.uint8)
_HEX[np.frombuffer(b"0123456789abcdef", np.uint8)] = np.arange(16, dtype=np.uint8)
_HEX[np.frombuffer(b"ABCDEF", np.uint8)] = np.arange(10, 16, dtype=np.uint8)


@dataclass(frozen=True)
class Rows:
    """Where each row of a table came from: file number and line, and a field prefix.

    Nested rows (an input of a transaction) keep their parent's place and position.
    """

    paths: Sequence[Path]
    files: I64
    lines: I64
    prefix: str = ""
    positions: I64 | None = None

    def fail(self, row: int, field: str | None, reason: str) -> NoReturn:
        name = self.prefix.rstrip(".") or None
        if self.positions is not None:
            name = f"{self.prefix}[{int(self.positions[row])}]"
        if field is not None:
            name = f"{name}.{field}" if name else field
        raise MalformedRecord(
            path=self.paths[int(self.files[row])],
            record=f"line {int(self.lines[row])}",
            field=name,
            reason=reason,
        )

    def nested(self, name: str, parents: I64, positions: I64) -> Rows:
        """The rows of a nested list column, located through their parent rows."""
        return Rows(self.paths, self.files[parents], self.lines[parents], name, positions)

    def take(self, picks: I64) -> Rows:
        """The rows at ``picks``."""
        positions = None if self.positions is None else self.positions[picks]
        return Rows(self.paths, self.files[picks], self.lines[picks], self.prefix, positions)

    def first(self, bad: npt.NDArray[np.bool_], field: str | None, reason: str) -> None:
        """Fail on the first row where ``bad`` holds."""
        if bad.any():
            self.fail(int(np.argmax(bad)), field, reason)


def required(rows: Rows, col: pa.Array, field: str) -> pa.Array:
    """The column, failing on its first null."""
    if col.null_count:
        rows.first(np.asarray(col.is_null()), field, "missing or null")
    return col


def integers(rows: Rows, col: pa.Array, field: str, lo: int, hi: int) -> I64:
    """A required integer column checked to lie in ``lo..hi``."""
    values = np.asarray(required(rows, col, field), np.int64)
    bad = (values < lo) | (values > hi)
    if bad.any():
        row = int(np.argmax(bad))
        rows.fail(row, field, f"{int(values[row])} is outside {lo}..{hi}")
    return values


def lengths(col: pa.Array) -> I64:
    """Element counts of a list column, a null list counting as empty."""
    return np.asarray(pc.fill_null(pc.list_value_length(col), 0), np.int64)


def _string_parts(col: pa.Array) -> tuple[I64, U8]:
    """Offsets (from 0) and the bytes of a string column without nulls."""
    col = col.cast(pa.large_string()) if col.type != pa.large_string() else col
    offsets = np.frombuffer(col.buffers()[1], np.int64)[col.offset : col.offset + len(col) + 1]
    data = col.buffers()[2]
    raw = np.frombuffer(data, np.uint8) if data is not None else np.zeros(0, np.uint8)
    return offsets - offsets[0], raw[offsets[0] : offsets[-1]]


def hex_bytes(rows: Rows, col: pa.Array, field: str) -> tuple[I64, U8]:
    """Decode a required hex text column: (offsets, bytes) of the decoded values."""
    offsets, text = _string_parts(required(rows, col, field))
    sizes = np.diff(offsets)
    rows.first(sizes % 2 == 1, field, "not hex: odd number of digits")
    nibbles = _HEX[text]
    bad_at = np.flatnonzero(nibbles == 255)
    if bad_at.size:
        row = int(np.searchsorted(offsets, bad_at[0], "right") - 1)
        rows.fail(row, field, f"not hex: {str(col[row])[:80]!r}")
    decoded = ((nibbles[0::2] << 4) | nibbles[1::2]).astype(np.uint8, copy=False)
    return offsets // 2, decoded


def binary_array(offsets: I64, data: U8) -> pa.Array:
    """A ``binary`` Arrow array over decoded bytes."""
    return pa.Array.from_buffers(
        pa.binary(),
        len(offsets) - 1,
        [None, pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(data)],
    )


def hashes(rows: Rows, col: pa.Array, field: str) -> U8:
    """A required column of 32-byte hashes in hex, as an (n, 32) byte matrix."""
    offsets, data = hex_bytes(rows, col, field)
    sizes = np.diff(offsets)
    bad = sizes != 32
    if bad.any():
        row = int(np.argmax(bad))
        rows.fail(row, field, f"a hash has 32 bytes, got {int(sizes[row])}")
    return data.reshape(-1, 32)


def hash_array(matrix: U8) -> pa.Array:
    """A ``binary(32)`` Arrow array from an (n, 32) byte matrix."""
    flat = np.ascontiguousarray(matrix)
    return pa.Array.from_buffers(pa.binary(32), len(flat), [None, pa.py_buffer(flat)])


def spans(data: U8, starts: I64, sizes: I64) -> pa.Array:
    """A ``binary`` array of the byte ranges ``data[start:start+size]``."""
    offsets = np.zeros(len(sizes) + 1, np.int64)
    np.cumsum(sizes, out=offsets[1:])
    picks = np.repeat(starts - offsets[:-1], sizes) + np.arange(offsets[-1])
    return binary_array(offsets, data[picks])
