"""Export files in block order: as they are, or as a sorted copy of a file out of order.

ethereum-etl and bitcoin-etl export a block range in batches (``--batch-size``) on a pool
of workers (``--max-workers``), each batch written as it finishes: a file is in block
order within a batch, but its batches come in completion order. The streaming readers
need each file in block order, so they first scan it (:func:`block_order`, a compiled
byte scan of the block numbers only: :mod:`._block_numbers`), then read it through
:func:`in_block_order`: a file in order as it is, one out of order from a copy sorted by
(block, original line) in a fresh temporary folder, removed when done.

The copy is an external merge sort that never holds the file in memory:

1. runs: about :data:`RUN_BYTES` of lines at a time are sorted in memory and appended to
   a runs file, byte for byte;
2. merge order: DuckDB sorts every line's (block, line, run, length), a few bytes per line
   whatever its length, spilling to the folder beyond :data:`SORT_MEMORY`;
3. merge: in that order the lines are taken from the front of their runs, about
   :data:`COPY_BYTES` at a time, each run read forwards only.

Every value keeps its exact text, rows of one block keep their order, lines whose block
number cannot be read go first (the reader refuses them there) and blank lines go.
Beside the copy lies the original line of each of its rows, so that errors still name
it (:meth:`Readable.line`). Disk: the runs and the copy, each about the file's size.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from io import BufferedRandom
from pathlib import Path
from typing import BinaryIO

import duckdb
import numpy as np
import pyarrow as pa
from numba import njit

from chainsleuth.chain.readers._block_numbers import (
    BLANK,
    I64,
    NL,
    U8,
    Layout,
    Order,
    block_order,
    csv_layout,
    header,
    json_layout,
    pieces,
)

__all__ = [
    "Layout",
    "Order",
    "Readable",
    "block_order",
    "csv_layout",
    "in_block_order",
    "json_layout",
]

RUN_BYTES = 128 << 20  # lines sorted in memory at a time
COPY_BYTES = 16 << 20  # lines merged into the copy at a time
SORT_MEMORY = "512MB"  # DuckDB's memory limit while sorting; beyond it, it spills to disk
SORT_THREADS = 2  # each needs its share of SORT_MEMORY
_OUT_ROWS = 65_536  # rows per batch read back from DuckDB
_SCHEMA = pa.schema([(name, pa.int64()) for name in ("key", "line", "run", "length")])
Piece = tuple[int, int, I64, I64]  # first line, offset, line ends, block numbers


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
            out[at] = NL
            at += 1


@njit(cache=True)
def _merge(src: U8, fronts: I64, runs: I64, lengths: I64, out: U8) -> None:
    """Each line in turn from the front of its run: run ``r``'s next bytes in ``src`` are
    at ``fronts[r]`` (moved on as lines are taken)."""
    at = 0
    for row in range(len(runs)):
        front, size = fronts[runs[row]], lengths[row]
        out[at : at + size] = src[front : front + size]
        fronts[runs[row]] = front + size
        at += size


def _run(path: Path, group: list[Piece], out: BinaryIO, sizes: list[int]) -> pa.RecordBatch:
    """Append the lines of the pieces ``group`` to ``out`` sorted by (block, line), as run
    ``len(sizes)`` (its size goes to ``sizes``); its rows for DuckDB."""
    first_line, offset = group[0][0], group[0][1]
    ends = np.concatenate([at - offset + e for _, at, e, _ in group])
    keys = np.concatenate([k for *_, k in group])
    lines = np.arange(first_line, first_line + len(ends), dtype=np.int64)
    starts = np.concatenate([[0], ends[:-1] + 1])
    kept = np.flatnonzero(keys != BLANK)
    order = kept[np.lexsort((lines[kept], keys[kept]))]  # NONE (-1) first
    size = min(int(ends[-1]) + 1, path.stat().st_size - offset)
    data = np.fromfile(path, np.uint8, count=size, offset=offset)
    lengths = (ends + 1 - starts)[order]
    text = np.empty(int(lengths.sum()), np.uint8)
    _gather(data, starts[order], lengths, text)
    out.write(text.data)
    key, run = keys[order], np.full(len(order), len(sizes))
    sizes.append(len(text))
    columns = [pa.array(key, mask=key < 0), lines[order], run, lengths]
    return pa.record_batch([pa.array(c, pa.int64()) for c in columns], schema=_SCHEMA)


def _runs(path: Path, layout: Layout, out: BinaryIO, sizes: list[int]) -> Iterator[pa.RecordBatch]:
    """Write ``path`` into ``out`` as sorted runs of about RUN_BYTES (their sizes go to
    ``sizes``); yield the rows of each run for DuckDB."""
    group: list[Piece] = []
    for piece in pieces(path, layout):
        group.append(piece)
        _, offset, ends, _ = piece
        if offset + int(ends[-1]) + 1 - group[0][1] >= RUN_BYTES:
            yield _run(path, group, out, sizes)
            group = []
    if group:
        yield _run(path, group, out, sizes)


def _copy(sorted_runs: BufferedRandom, reads: I64, rows: pa.RecordBatch, out: BinaryIO) -> None:
    """Append ``rows`` (run, length) to ``out``, each run read on from ``reads[run]``."""
    run, size = (np.asarray(rows.column(i), np.int64) for i in (0, 1))
    cuts = np.searchsorted(np.cumsum(size), np.arange(COPY_BYTES, int(size.sum()), COPY_BYTES))
    for part in np.split(np.arange(len(run)), np.unique(cuts + 1)):
        if not len(part):
            continue
        need = np.bincount(run[part], weights=size[part], minlength=len(reads)).astype(np.int64)
        fronts = np.cumsum(need) - need
        src = np.empty(int(need.sum()), np.uint8)
        for r in np.flatnonzero(need).tolist():  # one read per run touched
            sorted_runs.seek(int(reads[r]))
            sorted_runs.readinto(src[fronts[r] : fronts[r] + need[r]].data)
        reads += need
        text = np.empty(int(size[part].sum()), np.uint8)
        _merge(src, fronts, run[part], size[part], text)
        out.write(text.data)


def _sorted_copy(path: Path, layout: Layout, folder: Path) -> Readable:
    """Write ``path`` sorted by (block, line) into ``folder``; unreadable blocks first."""
    copy, runs, origin = folder / path.name, folder / "runs", folder / "lines.int64"
    config: dict[str, str | bool | int | float | list[str]] = {
        "memory_limit": SORT_MEMORY,
        "threads": SORT_THREADS,
        "temp_directory": str(folder / "spill"),
        "preserve_insertion_order": False,
    }
    con = duckdb.connect(config=config)
    sizes: list[int] = []
    try:
        with runs.open("w+b") as sorted_runs:
            rows = _runs(path, layout, sorted_runs, sizes)
            con.register("lines", pa.RecordBatchReader.from_batches(_SCHEMA, rows))
            query = "SELECT run, length, line FROM lines ORDER BY key NULLS FIRST, line"
            merged = con.sql(query).to_arrow_reader(_OUT_ROWS)
            with copy.open("wb") as out, origin.open("wb") as numbers:
                if layout.csv:
                    out.write(header(path))
                reads: I64 | None = None
                for batch in merged:  # the runs are all written once the first comes
                    if reads is None:
                        reads = np.cumsum([0, *sizes[:-1]]).astype(np.int64)
                    _copy(sorted_runs, reads, batch, out)
                    np.asarray(batch.column(2), np.int64).tofile(numbers)
    finally:
        con.close()
        runs.unlink(missing_ok=True)
        shutil.rmtree(folder / "spill", ignore_errors=True)
    count = origin.stat().st_size // 8
    mapped = np.memmap(origin, np.int64, mode="r") if count else np.zeros(0, np.int64)
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
