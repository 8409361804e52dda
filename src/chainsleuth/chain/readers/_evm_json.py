"""ethereum-etl JSON lines parsed by ``pyarrow.json`` into string columns, piece by piece.

Every value becomes the text ethereum-etl's CSV would hold (see :func:`text`): numbers
in decimal (read as ``decimal256``, so wei and token amounts stay exact), booleans
``true``/``false``, lists ``","``-joined. A file's field types are taken from its first
record and corrected as pyarrow meets other ones (``Column(/x) changed from string to
number``); fields holding objects (``withdrawals``) are not read, since no table uses
them. A piece pyarrow still refuses (bad JSON, a number beyond 76 digits, a fraction) is
parsed line by line with :mod:`json` instead, which also names the line at fault.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from chainsleuth.errors import MalformedRecord

NUMBER = pa.decimal256(76, 0)
PARSE_BLOCK = 1 << 20  # pyarrow parses blocks of a piece on its threads
_TYPES: dict[str, pa.DataType] = {
    "number": NUMBER,
    "string": pa.string(),
    "boolean": pa.bool_(),
    "array": pa.list_(pa.string()),
}
_CHANGED = re.compile(r"Column\(/([^/)]+)(/\[\])?\) changed from \w+ to (\w+)")


def text(value: Any) -> str | None:
    """A JSON value as ethereum-etl's CSV would print it; lists are ``","``-joined."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return ",".join(text(v) or "" for v in value)
    return json.dumps(value)


def _type_of(value: Any) -> pa.DataType | None:
    """The Arrow type to read a field as, from one of its values; None: not read."""
    if isinstance(value, dict):
        return None
    if isinstance(value, list):
        item = next((v for v in value if v is not None), "")
        inner = _type_of(item)
        return None if inner is None or pa.types.is_list(inner) else pa.list_(inner)
    if isinstance(value, bool):
        return pa.bool_()
    if isinstance(value, int | float):
        return NUMBER
    return pa.string()  # text, or null: text until pyarrow says otherwise


class JsonFields:
    """The field types of one file, corrected as pieces show other ones."""

    def __init__(self, first: dict[str, Any]) -> None:
        self.types = {name: _type_of(value) for name, value in first.items()}

    def options(self) -> pj.ParseOptions:
        schema = pa.schema([(n, t) for n, t in self.types.items() if t is not None])
        return pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")

    def correct(self, message: str) -> bool:
        """Adopt the type an error message reports; False when it reports none."""
        found = _CHANGED.search(message)
        if found is None or found[1] not in self.types:
            return False
        name, item, kind = found[1], found[2], found[3]
        new = _TYPES.get(kind)
        if new is not None and item:
            new = None if pa.types.is_list(new) else pa.list_(new)
        if new == self.types[name]:
            return False
        self.types[name] = new
        return True


def _read(piece: memoryview, fields: JsonFields, block_size: int) -> pa.Table:
    options = pj.ReadOptions(block_size=block_size)
    return pj.read_json(
        pa.BufferReader(piece), read_options=options, parse_options=fields.options()
    )


def _arrow(piece: memoryview, fields: JsonFields) -> pa.Table | None:
    """The piece read by pyarrow, fields corrected as needed; None when it cannot be."""
    block = PARSE_BLOCK
    for _ in range(3 * len(fields.types) + 2):
        try:
            return _read(piece, fields, block)
        except pa.ArrowInvalid as exc:
            if "straddl" in str(exc) and block <= len(piece):
                block = len(piece) + 1  # a line longer than a parse block: one block
            elif not fields.correct(str(exc)):
                return None
    return None


def _as_text(col: pa.Array) -> pa.Array:
    """One parsed column as the text :func:`text` gives."""
    if pa.types.is_list(col.type):
        items = col.values if pa.types.is_string(col.values.type) else _as_text(col.values)
        filled = pa.ListArray.from_arrays(col.offsets, items.fill_null(""), mask=col.is_null())
        return pc.binary_join(filled, ",")
    return col if pa.types.is_string(col.type) else pc.cast(col, pa.string())


def _line_numbers(piece: memoryview, rows: int, first_line: int) -> np.ndarray:
    """The line of each record: the piece's non-blank lines (pyarrow skips blank ones)."""
    ends = np.flatnonzero(np.frombuffer(piece, np.uint8) == 10)
    starts = np.concatenate([[0], ends[:-1] + 1]) if len(ends) else np.zeros(0, np.int64)
    filled = np.flatnonzero(ends - starts > 0)
    if len(filled) != rows:  # lines of spaces or "\r" only
        filled = np.array([i for i, line in enumerate(bytes(piece).split(b"\n")) if line.strip()])
    return (filled + first_line).astype(np.int64)


def _python(
    path: Path, piece: memoryview, first_line: int, origin: Callable[[int], int]
) -> tuple[pa.Table, np.ndarray]:
    """The piece parsed line by line: slower, but names the line pyarrow refused."""
    records: list[dict[str, Any]] = []
    lines: list[int] = []
    for number, line in enumerate(bytes(piece).split(b"\n"), first_line):
        if not line.strip():
            continue
        where = f"line {origin(number)}"
        try:
            record = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise MalformedRecord(path=path, record=where, reason=str(exc)) from exc
        if not isinstance(record, dict):
            raise MalformedRecord(path=path, record=where, reason="not an object")
        records.append(record)
        lines.append(number)
    names = list(dict.fromkeys(k for r in records for k in r))
    table = pa.table({k: pa.array([text(r.get(k)) for r in records], pa.string()) for k in names})
    return table, np.array(lines, np.int64)


def parse_piece(
    path: Path,
    piece: memoryview,
    first_line: int,
    fields: JsonFields,
    origin: Callable[[int], int],
) -> tuple[pa.Table, np.ndarray]:
    """String columns of the records of ``piece`` (whole lines) and their line numbers.

    ``origin`` maps a line number to the one an error names (see :mod:`._block_order`).
    """
    table = _arrow(piece, fields)
    if table is None:
        return _python(path, piece, first_line, origin)
    columns = [_as_text(col.combine_chunks()) for col in table.columns]
    strings = pa.Table.from_arrays(columns, names=table.column_names)
    return strings, _line_numbers(piece, table.num_rows, first_line)
