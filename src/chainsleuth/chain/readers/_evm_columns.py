"""Vectorised conversion of export-style text columns into canonical Arrow columns.

Every EVM source (ethereum-etl CSV/JSON exports, JSON-RPC replies) is first brought to
:class:`Rows`: string columns named as ethereum-etl names them (decimal integers, ``0x`` hex
for hashes, addresses and data, ``","``-joined lists). The functions here turn one such
column into its canonical type without a Python loop per row (hex via one ``unhexlify``
over the column's data buffer, integers via Arrow casts after a regex check); they walk the
rows one by one only to name the first bad record in a :class:`MalformedRecord`.
"""

from __future__ import annotations

import binascii
from dataclasses import dataclass, replace
from typing import NoReturn

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from chainsleuth.chain.amounts import MAX_DECIMAL, amount_arrays
from chainsleuth.chain.schema import AMOUNT, AMOUNT_OVERFLOW, TIME
from chainsleuth.errors import Invalid, MalformedRecord

_DIGITS = r"^[0-9]+$"
_HEX = "0123456789abcdefABCDEF"
_MAX_HI, _MAX_LO = divmod(MAX_DECIMAL, 2**64)


@dataclass(frozen=True)
class Rows:
    """Export-style records of one kind (blocks, transactions, logs, ...) from one source.

    ``records[i]`` numbers row ``i`` in the source (its line in a file, its block in an RPC
    reply) so that errors can name it as ``f"{unit} {records[i]}"``. Rows gathered from
    several files also carry ``files[i]``, the index of row ``i``'s file in ``paths``.
    """

    table: pa.Table
    path: str
    records: np.ndarray
    unit: str = "line"
    files: np.ndarray | None = None
    paths: tuple[str, ...] = ()

    def __len__(self) -> int:
        return int(self.table.num_rows)

    def fail(self, row: int, field: str | None, reason: str) -> NoReturn:
        path = self.path if self.files is None else self.paths[int(self.files[row])]
        raise MalformedRecord(
            path=path, record=f"{self.unit} {self.records[row]}", field=field, reason=reason
        )

    def with_table(self, table: pa.Table) -> Rows:
        """The same records (same order) with another table."""
        return replace(self, table=table)

    def filter(self, keep: np.ndarray) -> Rows:
        """The rows where the boolean mask ``keep`` is true."""
        files = None if self.files is None else self.files[keep]
        table = self.table.filter(pa.array(keep, pa.bool_()))
        return replace(self, table=table, records=self.records[keep], files=files)

    def has(self, name: str) -> bool:
        return name in self.table.column_names

    def text(self, name: str, *, nullable: bool = False) -> pa.StringArray:
        """The column as one string array; nulls only where ``nullable``."""
        if not self.has(name):
            if nullable:
                return pa.nulls(len(self), pa.string())
            raise MalformedRecord(path=self.path, record="header", field=name, reason="missing")
        col = self.table.column(name).combine_chunks()
        if col.type != pa.string():
            col = col.cast(pa.string())
        if not nullable and col.null_count:
            self.fail(_first(col.is_null()), name, "empty")
        return col


def _first(mask: pa.Array | np.ndarray) -> int:
    """Index of the first true value of a boolean mask (nulls count as false)."""
    if isinstance(mask, np.ndarray):
        return int(np.flatnonzero(mask)[0])
    return int(np.flatnonzero(mask.fill_null(False).to_numpy(zero_copy_only=False))[0])


def _check(rows: Rows, name: str, ok: pa.Array, reason: str) -> None:
    """Fail at the first row where ``ok`` is false (nulls pass)."""
    bad = pc.invert(ok.fill_null(True))
    if pc.any(bad).as_py():
        rows.fail(_first(bad), name, reason)


def _unhex(rows: Rows, name: str, col: pa.StringArray) -> pa.BinaryArray:
    """Decode ``0x`` hex strings into a binary array; nulls stay null."""
    _check(rows, name, pc.starts_with(col, "0x"), "not 0x-prefixed hex")
    body = pc.utf8_slice_codeunits(col, 2)
    if body.offset:
        body = pa.concat_arrays([body])
    lengths = pc.utf8_length(body)
    _check(rows, name, pc.equal(pc.bit_wise_and(lengths, 1), 0), "odd number of hex digits")
    validity, offsets_buf, data_buf = body.buffers()
    offsets = np.frombuffer(offsets_buf, np.int32)[: len(body) + 1]
    try:
        raw = binascii.unhexlify(memoryview(data_buf)[offsets[0] : offsets[-1]])
    except binascii.Error:
        bad = [not all(c in _HEX for c in s or "") for s in body.to_pylist()]
        rows.fail(_first(np.array(bad)), name, "not hexadecimal")
    half = ((offsets - offsets[0]) // 2).astype(np.int32)
    buffers = [validity, pa.py_buffer(half.tobytes()), pa.py_buffer(raw)]
    return pa.Array.from_buffers(pa.binary(), len(body), buffers, null_count=body.null_count)


def hex_bytes(rows: Rows, name: str, *, nullable: bool = False) -> pa.BinaryArray:
    """A ``0x`` hex column as variable-length bytes."""
    return _unhex(rows, name, rows.text(name, nullable=nullable))


def hex_fixed(
    rows: Rows, name: str, size: int, *, nullable: bool = False, col: pa.Array | None = None
) -> pa.FixedSizeBinaryArray:
    """A ``0x`` hex column of exactly ``size`` bytes (hash 32, address 20)."""
    text = rows.text(name, nullable=nullable) if col is None else col
    _check(rows, name, pc.equal(pc.utf8_length(text), 2 + 2 * size), f"not {size} hex bytes")
    filled = text.fill_null("0x" + "00" * size) if text.null_count else text
    raw = _unhex(rows, name, filled).buffers()[2]
    fixed = pa.Array.from_buffers(pa.binary(size), len(text), [None, raw])
    if text.null_count:
        return pc.if_else(text.is_null(), pa.scalar(None, pa.binary(size)), fixed)
    return fixed


def method_ids(rows: Rows, name: str = "input") -> pa.BinaryArray:
    """The first 4 bytes of call data (the function selector); ``b""`` for ``0x``."""
    return _unhex(rows, name, pc.utf8_slice_codeunits(rows.text(name), 0, 10))


def integers(rows: Rows, name: str, typ: pa.DataType, *, nullable: bool = False) -> pa.Array:
    """A decimal-integer column cast to ``typ``; range errors name the row."""
    col = rows.text(name, nullable=nullable)
    _check(rows, name, pc.match_substring_regex(col, _DIGITS), "not a non-negative integer")
    try:
        return pc.cast(col, typ)
    except pa.ArrowInvalid:
        limit = np.iinfo(typ.to_pandas_dtype()).max
        big = [v is not None and int(v) > limit for v in col.to_pylist()]
        rows.fail(_first(np.array(big)), name, f"does not fit {typ}")


def timestamps(rows: Rows, name: str) -> pa.Array:
    """Unix seconds as UTC timestamps."""
    return pc.cast(integers(rows, name, pa.int64()), TIME)


def amounts(rows: Rows, name: str, *, nullable: bool = False) -> tuple[pa.Array, pa.Array]:
    """Decimal integer text as exact (decimal128, overflow bytes) columns."""
    col = rows.text(name, nullable=nullable)
    _check(rows, name, pc.match_substring_regex(col, _DIGITS), "not a non-negative integer")
    long = pc.greater(pc.utf8_length(col), 38).fill_null(False)
    dec = pc.cast(pc.if_else(long, pa.scalar(None, pa.string()), col), AMOUNT)
    over = pa.nulls(len(col), AMOUNT_OVERFLOW)
    if pc.any(long).as_py():
        idx = np.flatnonzero(long.to_numpy(zero_copy_only=False))
        try:
            d, o = amount_arrays([int(v) for v in col.take(idx).to_pylist()])
        except Invalid as exc:
            rows.fail(int(idx[0]), name, str(exc))
        dec = pc.replace_with_mask(dec, long, d)
        over = pc.replace_with_mask(over, long, o)
    return dec, over


def ether(rows: Rows, name: str, *, nullable: bool = False) -> pa.Array:
    """A native-coin amount (wei, fee per gas), which must fit 38 digits."""
    dec, over = amounts(rows, name, nullable=nullable)
    if over.null_count != len(over):
        rows.fail(_first(over.is_valid()), name, "exceeds 38 digits")
    return dec


def uint256_amounts(words: np.ndarray) -> tuple[pa.Array, pa.Array]:
    """Big-endian 32-byte words (n, 32) as exact (decimal128, overflow bytes) columns."""
    n = len(words)
    hi = words[:, 16:24].copy().view(">u8").ravel()
    lo = words[:, 24:].copy().view(">u8").ravel()
    fits = ~words[:, :16].any(axis=1) & ((hi < _MAX_HI) | ((hi == _MAX_HI) & (lo <= _MAX_LO)))
    little = np.ascontiguousarray(words[:, 16:][:, ::-1])
    dec = pa.Array.from_buffers(AMOUNT, n, [None, pa.py_buffer(little.tobytes())])
    dec = pc.if_else(pa.array(fits), dec, pa.scalar(None, AMOUNT))
    over = pa.nulls(n, AMOUNT_OVERFLOW)
    if not fits.all():
        big = pa.array([w.tobytes() for w in words[~fits]], AMOUNT_OVERFLOW)
        over = pc.replace_with_mask(over, pa.array(~fits), big)
    return dec, over
