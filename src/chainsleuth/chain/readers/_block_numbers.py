"""Block numbers of export files, read by a compiled byte scan: are they in order?

A file is memory-mapped in pieces of whole lines (:data:`SCAN_BYTES`), scanned on
:data:`SCAN_THREADS` threads. For each line the scan reads only its block number: the CSV
field the header names (quoted fields respected), or a top-level key of a JSON line
(strings, nested objects and arrays skipped), a decimal number, bare or quoted. The rest
of the row is not parsed. A line without a number readable there (bad JSON, a short CSV
row, a number in another form) is marked :data:`NONE`; a blank one :data:`BLANK`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from numba import njit

I64 = npt.NDArray[np.int64]
U8 = npt.NDArray[np.uint8]
SCAN_BYTES = 16 << 20  # text scanned per piece
SCAN_THREADS = 2
NONE, BLANK = -1, -2  # no block number readable on the line; a blank line
NL = 10
_CR, _QUOTE, _COMMA, _COLON, _BACKSLASH = 13, 34, 44, 58, 92


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
        return BLANK
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
                    return value if ends else NONE
            i = j + 1
        else:
            if c in (123, 91):  # { [
                depth += 1
            elif c in (125, 93):  # } ]
                depth -= 1
            i += 1
    return NONE


@njit(cache=True)
def _csv_block(buf: U8, i: int, end: int, column: int) -> int:
    """The number in field ``column`` of the CSV line ``[i, end)``."""
    if i == end or (end == i + 1 and buf[i] == _CR):
        return BLANK
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
        return NONE
    if i == end and i > start and buf[i - 1] == _CR:
        i -= 1
    value, stop = _number(buf, start, i)
    return value if stop == i else NONE


@njit(cache=True, nogil=True)
def _scan(buf: U8, ends: I64, column: int, names: tuple[U8, U8]) -> I64:
    """The block number of each line (ending before ``ends``), or NONE / BLANK."""
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
        found = np.flatnonzero(data[-tail:] == NL)
        if len(found):
            return len(data) - min(tail, len(data)) + int(found[-1])
        if tail >= len(data):
            return -1
        tail *= 4


def header(path: Path) -> bytes:
    with path.open("rb") as fh:
        return fh.readline()


def _windows(path: Path, csv: bool) -> Iterator[U8]:
    """The bytes of ``path`` (a CSV header left out) in pieces of whole lines of about
    SCAN_BYTES; the last line may lack its newline."""
    size = path.stat().st_size
    start = len(header(path)) if csv and size else 0
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
    """(end of each line, its block number or NONE / BLANK) of whole lines ``data``."""
    ends = np.flatnonzero(data == NL)
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


def pieces(path: Path, layout: Layout) -> Iterator[tuple[int, int, I64, I64]]:
    """(first line number, offset, line ends, block numbers) of the pieces of ``path``."""
    line, offset = (2, len(header(path))) if layout.csv else (1, 0)
    for scan in _scanned(path, layout):
        ends, keys = scan.result()
        yield line, offset, ends, keys
        line += len(ends)
        offset += int(ends[-1]) + 1


def block_order(path: Path, layout: Layout) -> Order:
    """Whether the block numbers along ``path`` never go down (unreadable ones skipped)."""
    last, first, ordered = -1, None, True
    for _, _, _, found in pieces(path, layout):
        keys = found[found >= 0]
        if not len(keys):
            continue
        low = int(keys.min())
        first = low if first is None else min(first, low)
        ordered = ordered and keys[0] >= last and bool((np.diff(keys) >= 0).all())
        last = max(last, int(keys[-1]))
    return Order(ordered, first)
