"""Block order of export files: a cheap check, and a sorted copy of a file out of order.

ethereum-etl and bitcoin-etl export a block range in batches (``--batch-size``) on a pool
of workers (``--max-workers``), each batch written as it finishes: a file is in block
order within a batch, but its batches come in completion order. The streaming readers
need each file in block order, so:

- :func:`block_order` scans a file's block numbers once: a compiled byte scan per line
  (the CSV field the header names, quotes respected, or a top-level key of a JSON line,
  strings and nested objects skipped), without parsing the rest of the row;
- :func:`in_block_order` hands a file in order over as it is, and one out of order as a
  copy sorted by (block, original line) in a fresh temporary folder, removed afterwards.
  DuckDB sorts each line's (block, line, offset, length), a few bytes per line, spilling
  to that folder beyond :data:`SORT_MEMORY`; the lines are then copied byte for byte in
  that order, so every value keeps its exact text and rows of one block keep their order.
  Beside the copy lies the original line number of each of its rows, so that errors
  still name the original line (:meth:`Readable.line`).

Memory holds one piece of :data:`SCAN_BYTES` (memory-mapped) and DuckDB's budget, never
the file. A line whose block number cannot be read here (bad JSON, a short CSV row, a
number in another form) goes first in the copy: the reader then refuses it, or, if it
parses it after all, meets it out of order and refuses that. Blank lines are left out of
the copy.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa
from numba import njit

I64 = npt.NDArray[np.int64]
U8 = npt.NDArray[np.uint8]
SCAN_BYTES = 16 << 20  # text scanned per piece
SCAN_THREADS = 2
SORT_MEMORY = "512MB"  # DuckDB's memory limit while sorting; beyond it, it spills to disk
SORT_THREADS = 2  # each needs its share of SORT_MEMORY
COPY_BYTES = 16 << 20  # lines gathered into the copy per write
_OUT_ROWS = 65_536  # rows per batch read back from the sort
_NONE, _BLANK = -1, -2  # no block number readable on the line; a blank line
_NL, _CR, _QUOTE, _COMMA, _COLON, _BACKSLASH = 10, 13, 34, 44, 58, 92
_SCHEMA = pa.schema([(name, pa.int64()) for name in ("key", "line", "start", "length")])


@dataclass(frozen=True)
class Layout:
    """Where a row's block number is: CSV ``column`` (header on line 1) or JSON ``keys``."""

    column: int = -1
    keys: tuple[str, ...] = ()

    @property
    def csv(self) -> bool:
        return self.column >= 0


def csv_layout(column: int) -> Layout:
    return Layout(column=column)


def json_layout(*keys: str) -> Layout:
    """JSON lines whose block number is the first of ``keys`` found (at most two)."""
    return Layout(keys=keys)


@dataclass(frozen=True)
class Order:
    """What a scan found: whether block numbers never go down, and the lowest one."""

    ordered: bool
    first: int | None


@njit(cache=True)
def _number(buf: U8, i: int, end: int) -> tuple[int, int]:
    """(value, position after it) of decimal digits at ``i``, quoted or not; -1: none."""
    quoted = i < end and buf[i] == _QUOTE
    start = i = i + 1 if quoted else i
    value = 0
    while i < end and 48 <= buf[i] <= 57 and i - start < 18:
        value = value * 10 + int(buf[i]) - 48
        i += 1
    if i == start or (i < end and 48 <= buf[i] <= 57):
        return -1, i
    if quoted:
        if i >= end or buf[i] != _QUOTE:
            return -1, i
        i += 1
    return value, i


@njit(cache=True)
def _skip_space(buf: U8, i: int, end: int) -> int:
    while i < end and (buf[i] == 32 or buf[i] == 9 or buf[i] == _CR):
        i += 1
    return i


@njit(cache=True)
def _same(buf: U8, start: int, stop: int, key: U8) -> bool:
    if len(key) == 0 or stop - start != len(key):
        return False
    k = 0
    while k < len(key) and buf[start + k] == key[k]:
        k += 1
    return k == len(key)


@njit(cache=True)
def _closing(buf: U8, i: int, end: int) -> int:
    """The position of the quote closing the string opened at ``i`` (``end``: none)."""
    j = i + 1
    while True:
        while j < end and buf[j] != _QUOTE:
            j += 1
        b = j - 1
        while buf[b] == _BACKSLASH:
            b -= 1
        if j >= end or (j - 1 - b) % 2 == 0:  # not escaped
            return j
        j += 1


@njit(cache=True)
def _json_block(buf: U8, i: int, end: int, keys: tuple[U8, U8]) -> int:
    """The number under top-level key ``keys[0]`` or ``keys[1]`` of the JSON line ``[i, end)``."""
    i = _skip_space(buf, i, end)
    if i == end:
        return _BLANK
    depth = 0
    while i < end:
        c = buf[i]
        if c == _QUOTE:
            j = _closing(buf, i, end)
            if depth == 1:
                k = _skip_space(buf, j + 1, end)
                named = _same(buf, i + 1, j, keys[0]) or _same(buf, i + 1, j, keys[1])
                if named and k < end and buf[k] == _COLON:
                    value, k = _number(buf, _skip_space(buf, k + 1, end), end)
                    k = _skip_space(buf, k, end)
                    ends = k < end and buf[k] in (_COMMA, 125)  # , or }
                    return value if ends else _NONE
            i = j + 1
        else:
            if c in (123, 91):  # { [
                depth += 1
            elif c in (125, 93):  # } ]
                depth -= 1
            i += 1
    return _NONE


@njit(cache=True)
def _csv_block(buf: U8, i: int, end: int, column: int) -> int:
    """The number in field ``column`` of the CSV line ``[i, end)``."""
    if i == end or (end == i + 1 and buf[i] == _CR):
        return _BLANK
    field, start, quoted = 0, i, False
    while i < end:
        c = buf[i]
        if c == _QUOTE:
            quoted = not quoted
        elif c == _COMMA and not quoted:
            if field == column:
                break
            field += 1
            start = i + 1
        i += 1
    if field != column:
        return _NONE
    if i == end and i > start and buf[i - 1] == _CR:
        i -= 1
    value, stop = _number(buf, start, i)
    return value if stop == i else _NONE


@njit(cache=True, nogil=True)
def _scan(buf: U8, ends: I64, column: int, names: tuple[U8, U8]) -> I64:
    """The block number of each line (ending before ``ends``), or _NONE / _BLANK."""
    keys = np.empty(len(ends), np.int64)
    start = 0
    for n in range(len(ends)):
        end = ends[n]
        if column >= 0:
            keys[n] = _csv_block(buf, start, end, column)
        else:
            keys[n] = _json_block(buf, start, end, names)
        start = end + 1
    return keys


def _window(path: Path, start: int, size: int) -> U8:
    """Bytes ``start..start+size`` of ``path``, memory-mapped (unmapped once dropped)."""
    return np.asarray(np.memmap(path, np.uint8, mode="r", offset=start, shape=(size,)))


def _last_newline(data: U8) -> int:
    """The position of the last newline in ``data``; -1: none."""
    tail = 1 << 16
    while True:
        found = np.flatnonzero(data[-tail:] == _NL)
        if len(found):
            return len(data) - min(tail, len(data)) + int(found[-1])
        if tail >= len(data):
            return -1
        tail *= 4


def _header(path: Path) -> bytes:
    with path.open("rb") as fh:
        return fh.readline()


def _windows(path: Path, csv: bool) -> Iterator[U8]:
    """The bytes of ``path`` (a CSV header left out) in pieces of whole lines of about
    SCAN_BYTES; the last line may lack its newline."""
    size = path.stat().st_size
    start = len(_header(path)) if csv and size else 0
    while start < size:
        span = min(SCAN_BYTES, size - start)
        data = _window(path, start, span)
        while start + span < size and (cut := _last_newline(data)) < 0:  # a very long line
            span = min(2 * span, size - start)
            data = _window(path, start, span)
        if start + span < size:
            data = data[: cut + 1]
        yield data
        start += len(data)


def _piece_keys(data: U8, layout: Layout) -> tuple[I64, I64]:
    """(end of each line, its block number or _NONE / _BLANK) of whole lines ``data``."""
    ends = np.flatnonzero(data == _NL)
    if not len(ends) or ends[-1] != len(data) - 1:  # the last line, without its newline
        ends = np.append(ends, len(data))
    one, two = (np.frombuffer(k.encode(), np.uint8) for k in (*layout.keys, "", "")[:2])
    return ends, _scan(data, ends, layout.column, (one, two))


def _scanned(path: Path, layout: Layout) -> Iterator[Future[tuple[I64, I64]]]:
    """The scans of the pieces of ``path`` (:func:`_piece_keys`), in order, run on
    SCAN_THREADS threads (numpy and the kernel let go of the GIL) at most SCAN_THREADS
    pieces ahead of the caller."""
    with ThreadPoolExecutor(SCAN_THREADS) as pool:
        ahead: deque[Future[tuple[I64, I64]]] = deque()
        for data in _windows(path, layout.csv):
            ahead.append(pool.submit(_piece_keys, data, layout))
            if len(ahead) > SCAN_THREADS:
                yield ahead.popleft()
        yield from ahead


def _pieces(path: Path, layout: Layout) -> Iterator[tuple[int, int, I64, I64]]:
    """(first line number, offset, line ends, block numbers) of the pieces of ``path``."""
    line, offset = (2, len(_header(path))) if layout.csv else (1, 0)
    for scan in _scanned(path, layout):
        ends, keys = scan.result()
        yield line, offset, ends, keys
        line += len(ends)
        offset += int(ends[-1]) + 1


def block_order(path: Path, layout: Layout) -> Order:
    """Whether the block numbers along ``path`` never go down (unreadable ones skipped)."""
    last, first, ordered = -1, None, True
    for _, _, _, found in _pieces(path, layout):
        keys = found[found >= 0]
        if not len(keys):
            continue
        low = int(keys.min())
        first = low if first is None else min(first, low)
        ordered = ordered and keys[0] >= last and bool((np.diff(keys) >= 0).all())
        last = max(last, int(keys[-1]))
    return Order(ordered, first)


@dataclass(frozen=True)
class Readable:
    """The file to read (the original, or its copy in block order) and its line numbers."""

    path: Path
    origin: I64 | None = None  # the original line of each row of the copy
    first_row: int = 1  # the copy's line holding its first row

    def lines(self, numbers: I64) -> I64:
        """Original line numbers of lines ``numbers`` of :attr:`path`."""
        if self.origin is None:
            return numbers
        return np.asarray(self.origin[np.asarray(numbers) - self.first_row], np.int64)

    def line(self, number: int) -> int:
        """The original line number of line ``number`` of :attr:`path`."""
        return int(self.lines(np.array([number], np.int64))[0])


def _batches(path: Path, layout: Layout) -> Iterator[pa.RecordBatch]:
    """Every non-blank line of ``path``: block number (null: unreadable), line, bytes."""
    for first_line, offset, ends, keys in _pieces(path, layout):
        starts = np.concatenate([[0], ends[:-1] + 1])
        columns = [keys, np.arange(first_line, first_line + len(ends)), offset + starts]
        columns.append(ends + 1 - starts)  # with the newline (one past the end, at the end)
        batch = pa.record_batch(
            [pa.array(c, pa.int64(), mask=keys < 0 if c is keys else None) for c in columns],
            schema=_SCHEMA,
        )
        yield batch.filter(pa.array(keys != _BLANK))


@njit(cache=True)
def _gather(data: U8, starts: I64, lengths: I64, out: U8) -> None:
    """Lines ``starts``/``lengths`` of ``data`` back to back into ``out``; a line running
    past the end of ``data`` (the last, without its newline) ends in a newline."""
    at = 0
    for row in range(len(starts)):
        start = starts[row]
        stop = min(start + lengths[row], len(data))
        out[at : at + stop - start] = data[start:stop]
        at += stop - start
        if stop < start + lengths[row]:
            out[at] = _NL
            at += 1


def _copy_lines(path: Path, out: BinaryIO, starts: I64, lengths: I64) -> None:
    """Write lines of ``path`` in the order given, COPY_BYTES or so at a time."""
    ends = np.cumsum(lengths)
    cuts = np.searchsorted(ends, np.arange(COPY_BYTES, int(ends[-1]), COPY_BYTES))
    for part in np.split(np.arange(len(starts)), np.unique(cuts + 1)):
        if not len(part):
            continue
        data = np.asarray(np.memmap(path, np.uint8, mode="r"))  # unmapped after each part
        chunk = np.empty(int(lengths[part].sum()), np.uint8)
        _gather(data, starts[part], lengths[part], chunk)
        out.write(chunk.data)


def _sorted_copy(path: Path, layout: Layout, folder: Path) -> Readable:
    """Write ``path`` sorted by (block, line) into ``folder``; unreadable blocks first.

    DuckDB sorts (block, line, offset, length) only, a few bytes per line whatever its
    length, and spills them to ``folder`` beyond SORT_MEMORY; the lines are then copied
    from the original in that order.
    """
    copy, origin = folder / path.name, folder / "lines.int64"
    config: dict[str, str | bool | int | float | list[str]] = {
        "memory_limit": SORT_MEMORY,
        "threads": SORT_THREADS,
        "temp_directory": str(folder / "spill"),
        "preserve_insertion_order": False,
    }
    con = duckdb.connect(config=config)
    try:
        con.register("lines", pa.RecordBatchReader.from_batches(_SCHEMA, _batches(path, layout)))
        query = "SELECT start, length, line FROM lines ORDER BY key NULLS FIRST, line"
        with copy.open("wb") as out, origin.open("wb") as numbers:
            if layout.csv:
                out.write(_header(path))
            for batch in con.sql(query).to_arrow_reader(_OUT_ROWS):
                starts, lengths, lines = (np.asarray(c, np.int64) for c in batch.columns)
                _copy_lines(path, out, starts, lengths)
                lines.tofile(numbers)
    finally:
        con.close()
    shutil.rmtree(folder / "spill", ignore_errors=True)
    rows = origin.stat().st_size // 8
    mapped = np.memmap(origin, np.int64, mode="r") if rows else np.zeros(0, np.int64)
    return Readable(copy, mapped, 2 if layout.csv else 1)


@contextmanager
def in_block_order(
    path: Path, layout: Layout, order: Order, *, tmp_dir: Path | None = None
) -> Iterator[Readable]:
    """The file as it is when ``order`` says it is in order, else a sorted copy.

    The copy lives in a new folder under ``tmp_dir`` (default: the system's temporary
    folder) and is removed when the block ends, by error or not.
    """
    if order.ordered:
        yield Readable(path)
        return
    if tmp_dir is not None:
        tmp_dir.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="chainsleuth-order-", dir=tmp_dir))
    try:
        yield _sorted_copy(path, layout, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
