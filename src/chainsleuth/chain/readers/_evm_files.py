"""ethereum-etl export files opened for streaming: their kind, first block and pieces.

A file is read in pieces of whole lines of about ``chunk_bytes``; each piece becomes a
table of string columns (empty CSV fields and JSON nulls are null) with the line number
of every row. Opening a file reads its header or first record, to tell its kind, and
scans its block numbers (:func:`~._block_order.block_order`), to learn the block it
starts at and whether it is in block order, so that a partitioned export is read one
file at a time. A file out of order is read from a copy in block order, made when the
file is first read and removed when it is done; line numbers stay the original ones.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from chainsleuth.chain.readers._block_order import (
    Layout,
    Order,
    block_order,
    csv_layout,
    in_block_order,
    json_layout,
)
from chainsleuth.chain.readers._evm import block_key
from chainsleuth.chain.readers._evm_json import JsonFields, parse_piece
from chainsleuth.errors import MalformedRecord

# Kind -> the columns that tell it; checked in order, the first full match wins.
KINDS: dict[str, frozenset[str]] = {
    "token_transfers": frozenset({"token_address", "log_index", "value"}),
    "traces": frozenset({"trace_type", "trace_address"}),
    "logs": frozenset({"log_index", "topics", "data"}),
    "receipts": frozenset({"transaction_hash", "cumulative_gas_used"}),
    "transactions": frozenset({"hash", "from_address", "nonce", "input"}),
    "blocks": frozenset({"number", "parent_hash", "miner"}),
}
CSV_BLOCK = 1 << 20  # pyarrow parses blocks of a piece on its threads
_ROW = re.compile(r"Row #-?\d+: ")

Chunk = tuple[pa.Table, np.ndarray]  # string columns, line number per row
Origin = Callable[[int], int]  # line of the file read -> line of the original file


@dataclass(frozen=True)
class Source:
    """One export file: its kind, its block column, its block order (scanned once, when
    first asked, so that files left unread are not scanned) and its pieces."""

    path: Path
    kind: str
    order: Callable[[], Order]
    open: Callable[[], Generator[Chunk, None, None]]

    @property
    def key(self) -> str:
        return block_key(self.kind)

    @property
    def first_block(self) -> int | None:
        """The lowest block of the file, if any can be read."""
        return self.order().first


def kind_of(path: Path, columns: Any, *, explicit: bool) -> str | None:
    """The export kind told by ``columns``; None (or an error, if named) when unknown."""
    have = set(columns)
    for kind, needed in KINDS.items():
        if needed <= have:
            return kind
    if explicit:
        raise MalformedRecord(
            path=path, record="header", reason="not an ethereum-etl export of a known kind"
        )
    return None


def pieces(fh: BinaryIO, first_line: int, chunk_bytes: int) -> Iterator[tuple[int, memoryview]]:
    """(first line number, bytes) of whole-line pieces of about ``chunk_bytes``."""
    line = first_line
    while block := fh.read(chunk_bytes):
        start = fh.tell() - len(block)
        cut = block.rfind(b"\n") + 1
        while cut == 0:  # a line longer than a piece: read on to its end
            more = fh.read(chunk_bytes)
            if not more:
                block, cut = block + b"\n", len(block) + 1
            else:
                found = more.rfind(b"\n") + 1
                cut = len(block) + found if found else 0
                block += more
        if cut < len(block):  # the next piece starts where this one's last line ends
            fh.seek(start + cut)
        yield line, memoryview(block)[:cut]
        line += block.count(b"\n", 0, cut)


def open_source(
    path: Path, *, explicit: bool, chunk_bytes: int, tmp_dir: Path | None = None
) -> Source | None:
    """The file as a :class:`Source`; None when it is empty or (found in a folder) unknown.

    A copy in block order, if the file needs one, goes under ``tmp_dir`` (default: the
    system's temporary folder).
    """
    if path.stat().st_size == 0:  # ethereum-etl writes empty files for empty ranges
        return None
    if path.name.endswith(".csv"):
        return _open_csv(path, explicit=explicit, chunk_bytes=chunk_bytes, tmp_dir=tmp_dir)
    return _open_json(path, explicit=explicit, chunk_bytes=chunk_bytes, tmp_dir=tmp_dir)


def _scan(path: Path, layout: Layout | None) -> Callable[[], Order]:
    """The file's block order, scanned at the first call only."""
    return functools.cache(
        lambda: Order(True, None) if layout is None else block_order(path, layout)
    )


def _open_csv(
    path: Path, *, explicit: bool, chunk_bytes: int, tmp_dir: Path | None
) -> Source | None:
    with path.open(newline="") as f:
        header = f.readline().strip().split(",")
    kind = kind_of(path, header, explicit=explicit)
    if kind is None:
        return None
    key = block_key(kind)
    layout = csv_layout(header.index(key)) if key in header else None
    order = _scan(path, layout)

    def chunks() -> Generator[Chunk, None, None]:
        copy = in_block_order(path, layout or Layout(), order(), tmp_dir=tmp_dir)
        with copy as src, src.path.open("rb") as fh:
            fh.readline()
            for line, piece in pieces(fh, 2, chunk_bytes):
                table = _csv_piece(path, piece, line, header, src.line)
                yield table, src.lines(np.arange(line, line + table.num_rows, dtype=np.int64))

    return Source(path, kind, order, chunks)


def _csv_piece(
    path: Path, piece: memoryview, first_line: int, header: list[str], origin: Origin
) -> pa.Table:
    """Every column as strings; a bad row raises naming its (original) line."""
    try:
        return _parse_csv(path, piece, first_line, header, origin, threads=True)
    except MalformedRecord:  # once more on one thread, to learn the line
        return _parse_csv(path, piece, first_line, header, origin, threads=False)


def _parse_csv(
    path: Path,
    piece: memoryview,
    first_line: int,
    header: list[str],
    origin: Origin,
    *,
    threads: bool,
) -> pa.Table:
    bad: list[Any] = []

    def on_bad_row(row: Any) -> str:
        bad.append(row)
        return "error"

    convert = pacsv.ConvertOptions(
        column_types=dict.fromkeys(header, pa.string()),
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
    )
    block = CSV_BLOCK if threads else len(piece) + 1
    for attempt in (block, len(piece) + 1):
        try:
            return pacsv.read_csv(
                pa.BufferReader(piece),
                read_options=pacsv.ReadOptions(
                    column_names=header, use_threads=threads, block_size=attempt
                ),
                parse_options=pacsv.ParseOptions(invalid_row_handler=on_bad_row),
                convert_options=convert,
            )
        except pa.ArrowInvalid as exc:
            if "straddl" in str(exc) and attempt <= len(piece):
                continue  # a row longer than a parse block: the piece as one block
            number = bad[0].number if bad and bad[0].number and bad[0].number > 0 else None
            record = "?" if number is None else f"line {origin(first_line + number - 1)}"
            reason = _ROW.sub("", str(exc))  # pyarrow counts rows of the piece, not the file
            raise MalformedRecord(path=path, record=record, reason=reason) from exc
    raise AssertionError("unreachable: the last attempt parses the piece as one block")


def _first_record(path: Path, *, explicit: bool) -> dict[str, Any] | None:
    """The first record of a JSON-lines file; None when it is not JSON lines (in a folder)."""
    with path.open("rb") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                if not explicit:
                    return None  # e.g. a pretty-printed RPC reply beside the exports
                raise MalformedRecord(path=path, record=f"line {number}", reason=str(exc)) from exc
            if not isinstance(record, dict):
                raise MalformedRecord(path=path, record=f"line {number}", reason="not an object")
            return record
    return {}


def _open_json(
    path: Path, *, explicit: bool, chunk_bytes: int, tmp_dir: Path | None
) -> Source | None:
    record = _first_record(path, explicit=explicit)
    if record is None:
        return None
    kind = kind_of(path, record, explicit=explicit)
    if kind is None:
        return None
    layout = json_layout(block_key(kind))
    order = _scan(path, layout)

    def chunks() -> Generator[Chunk, None, None]:
        fields = JsonFields(record)
        copy = in_block_order(path, layout, order(), tmp_dir=tmp_dir)
        with copy as src, src.path.open("rb") as fh:
            for line, piece in pieces(fh, 1, chunk_bytes):
                table, lines = parse_piece(path, piece, line, fields, src.line)
                yield table, src.lines(lines)

    return Source(path, kind, order, chunks)
