"""bitcoin-etl JSON lines read in chunks by ``pyarrow.json`` into Arrow tables.

One explicit schema covers block and transaction records (the stream form mixes them in
one file); fields outside it (``script_asm``, the inputs' ``script_hex``...) are skipped
while parsing. Each chunk is whole lines; its table gains ``_line``, the line each record
came from. When pyarrow refuses a chunk, its lines are walked in Python against the schema
to name the line and field at fault. A file out of block order (bitcoin-etl's parallel
batches) is read from a sorted copy (:mod:`._block_order`); lines keep their numbers.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import pyarrow as pa
import pyarrow.json as pj

from chainsleuth.chain.readers._block_order import (
    Readable,
    block_order,
    in_block_order,
    json_layout,
)
from chainsleuth.chain.readers._etl_columns import I64
from chainsleuth.chain.readers._etl_tables import record_kind
from chainsleuth.errors import MalformedRecord

_TEXT, _INT = pa.string(), pa.int64()
_INPUT = pa.struct(
    [
        ("index", _INT),
        ("spent_transaction_hash", _TEXT),
        ("spent_output_index", _INT),
        ("sequence", _INT),
        ("type", _TEXT),
        ("addresses", pa.list_(_TEXT)),
        ("value", _INT),
    ]
)
_OUTPUT = pa.struct([("index", _INT), ("script_hex", _TEXT), ("value", _INT)])
# fmt: off
SCHEMA = pa.schema(
    [("type", _TEXT), ("hash", _TEXT), ("size", _INT), ("version", _INT)]
    + [(name, _INT) for name in ("number", "timestamp", "weight", "transaction_count")]
    + [(name, _TEXT) for name in ("merkle_root", "nonce", "bits", "coinbase_param")]
    + [(name, _INT) for name in ("virtual_size", "lock_time", "block_number", "index",
                                 "input_count", "output_count")]
    + [("block_hash", _TEXT), ("is_coinbase", pa.bool_()),
       ("inputs", pa.list_(_INPUT)), ("outputs", pa.list_(_OUTPUT))]
)
# fmt: on
_PARSE = pj.ParseOptions(explicit_schema=SCHEMA, unexpected_field_behavior="ignore")
LAYOUT = json_layout("number", "block_number")  # a block's height, a transaction's block
CHUNK_BYTES = 32 << 20
PARSE_BLOCK = 4 << 20  # pyarrow parses blocks of a chunk on its threads


def _mismatch(value: Any, typ: pa.DataType, name: str) -> tuple[str, str] | None:
    """(field, reason) where ``value`` does not fit ``typ``; None when it does."""
    if pa.types.is_integer(typ):
        ok = isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63
        return None if ok else (name, f"not a number: {value!r}")
    if pa.types.is_string(typ):
        return None if isinstance(value, str) else (name, f"not text: {value!r}")
    if pa.types.is_boolean(typ):
        return None if isinstance(value, bool) else (name, f"not a boolean: {value!r}")
    if pa.types.is_list(typ):
        if not isinstance(value, list):
            return name, f"not a list: {value!r}"
        found = (_mismatch(v, typ.value_type, f"{name}[{i}]") for i, v in enumerate(value))
        return next((m for m in found if m is not None), None)
    if not isinstance(value, dict):
        return name, f"expected an object, got {type(value).__name__}"
    return _walk(value, typ, f"{name}.")


def _walk(record: dict[str, Any], fields: Any, prefix: str = "") -> tuple[str, str] | None:
    """The first field of ``record`` that the Arrow ``fields`` cannot hold, and why."""
    for f in fields:
        value = record.get(f.name)
        found = None if value is None else _mismatch(value, f.type, f"{prefix}{f.name}")
        if found is not None:
            return found
    return None


def streamable(path: Path) -> bool:
    """Whether the file is bitcoin-etl's own JSON lines of blocks and nested transactions."""
    with path.open("rb") as fh:
        first = next((line for line in fh if line.strip()), b"")
    try:
        record = json.loads(first)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return False
    if not isinstance(record, dict) or _walk(record, SCHEMA) is not None:
        return False
    kind = record_kind(record, record.get("type"))
    nested = isinstance(record.get("inputs"), list) and isinstance(record.get("outputs"), list)
    return kind == "blocks" or (kind == "transactions" and nested)


def _locate(path: Path, first_line: int, chunk: bytes, exc: Exception, src: Readable) -> NoReturn:
    """Raise for the first line of a refused chunk that does not fit the schema."""
    for number, line in enumerate(chunk.split(b"\n"), first_line):
        if not line.strip():
            continue
        where = f"line {src.line(number)}"
        try:
            record = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise MalformedRecord(path=path, record=where, reason=f"bad JSON: {err}") from exc
        if not isinstance(record, dict):
            reason = f"expected an object, got {type(record).__name__}"
            raise MalformedRecord(path=path, record=where, reason=reason) from exc
        found = _walk(record, SCHEMA)
        if found is not None:
            raise MalformedRecord(path=path, record=where, field=found[0], reason=found[1]) from exc
    ends = sorted(src.line(n) for n in (first_line, first_line + chunk.count(b"\n") - 1))
    reason = f"not bitcoin-etl JSON: {exc}"
    raise MalformedRecord(path=path, record=f"lines {ends[0]}-{ends[1]}", reason=reason) from exc


def _line_numbers(chunk: bytes, rows: int, first_line: int) -> I64:
    """The line of each record: the chunk's non-blank lines (pyarrow skips blank ones)."""
    ends = np.flatnonzero(np.frombuffer(chunk, np.uint8) == 10)
    starts = np.concatenate([[0], ends[:-1] + 1]) if len(ends) else np.zeros(0, np.int64)
    filled = np.flatnonzero(ends - starts > 0)
    if len(filled) != rows:  # lines of spaces or "\r" only
        filled = np.array([i for i, line in enumerate(chunk.split(b"\n")) if line.strip()])
    return (filled + first_line).astype(np.int64)


def _pieces(path: Path) -> Iterator[tuple[int, bytes]]:
    """(first line number, bytes) of whole-line pieces of about CHUNK_BYTES."""
    line, rest = 1, b""
    with path.open("rb") as fh:
        while block := fh.read(CHUNK_BYTES):
            cut = block.rfind(b"\n") + 1
            if cut == 0:
                rest += block
                continue
            piece, rest = rest + block[:cut], block[cut:]
            yield line, piece
            line += piece.count(b"\n")
    if rest.strip():
        yield line, rest + b"\n"


def _parse(piece: bytes, block_size: int) -> pa.Table:
    options = pj.ReadOptions(block_size=block_size)
    return pj.read_json(pa.BufferReader(piece), read_options=options, parse_options=_PARSE)


def read_chunks(path: Path, *, tmp_dir: Path | None = None) -> Generator[pa.Table, None, None]:
    """The records of a JSON-lines file in tables of about CHUNK_BYTES of text.

    A file out of block order is read from a sorted copy under ``tmp_dir``; ``_line``
    is always the line in ``path``.
    """
    order = block_order(path, LAYOUT)
    with in_block_order(path, LAYOUT, order, tmp_dir=tmp_dir) as src:
        for first_line, piece in _pieces(src.path):
            try:
                table = _parse(piece, PARSE_BLOCK)
            except pa.ArrowInvalid:
                try:  # a line longer than a parse block, or a bad record: parse it whole
                    table = _parse(piece, len(piece) + 1)
                except pa.ArrowInvalid as exc:
                    _locate(path, first_line, piece, exc, src)
            lines = _line_numbers(piece, table.num_rows, first_line)
            yield table.append_column("_line", pa.array(src.lines(lines)))
