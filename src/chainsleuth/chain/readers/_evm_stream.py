"""Streaming assembly of ethereum-etl export files into canonical account batches.

Every file is read in block order (a file out of order, as ethereum-etl's parallel
batches leave it, from a sorted copy: see :mod:`._block_order`), so a block is complete
once every file has read past it (a file not yet opened has "read" up to its lowest
block). The files are read piece by piece, always the one that is furthest behind;
whenever the complete blocks grow, their rows are turned into canonical tables (receipts
and block times joined, token transfers decoded) and a batch is emitted for every
``batch_blocks`` blocks at hand. Only rows of unfinished blocks, and fewer than
``batch_blocks`` converted blocks, stay buffered. Rows given twice (a CSV and a JSON copy
of one export, overlapping partitions, one file repeating a row) arrive before their
block completes and are kept once. A row whose block was already taken (its block number
was unreadable when the file was sorted, yet parsed) is refused with an error naming its
file and line.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from chainsleuth.chain.batch import ChainBatch
from chainsleuth.chain.readers._evm import (
    block_numbers,
    block_slices,
    blocks_table,
    join_block_times,
    join_receipts,
    ordered_tables,
    token_transfers_table,
    traces_table,
    transactions_table,
    transfers_from_logs,
)
from chainsleuth.chain.readers._evm_columns import Rows, integers
from chainsleuth.chain.readers._evm_files import Chunk, Source
from chainsleuth.chain.schema import empty_table

_END = np.iinfo(np.int64).max  # "below" once every file is read
_NO_BLOCKS = empty_table(pa.schema({"number": pa.string(), "timestamp": pa.string()}))


@dataclass(frozen=True)
class _Piece:
    """Rows of one file read but not yet taken, sorted by block."""

    file: int
    table: pa.Table
    lines: np.ndarray
    blocks: np.ndarray

    def cut(self, at: int) -> _Piece:
        return _Piece(self.file, self.table.slice(at), self.lines[at:], self.blocks[at:])


def _tables(rows: dict[str, Rows], kinds: set[str], empty: Rows) -> dict[str, pa.Table]:
    """Canonical tables of the rows of complete blocks, by kind."""
    tables: dict[str, pa.Table] = {}
    blocks = rows.get("blocks")
    if blocks is not None:
        tables["blocks"] = blocks_table(blocks)
    if (txs := rows.get("transactions")) is not None:
        if (receipts := rows.get("receipts")) is not None and not txs.has("receipt_gas_used"):
            txs = join_receipts(txs, receipts)
        if blocks is None and "blocks" in kinds:
            blocks = empty  # a blocks file was given, but holds none of these blocks
        tables["transactions"] = transactions_table(join_block_times(txs, blocks))
    if (traces := rows.get("traces")) is not None:
        tables["traces"] = traces_table(traces)
    if (logs := rows.get("logs")) is not None:
        tables["token_transfers"] = transfers_from_logs(logs)
    elif (transfers := rows.get("token_transfers")) is not None:
        tables["token_transfers"] = token_transfers_table(transfers)
    return tables


class _Window:
    """Rows of blocks not yet taken, and converted blocks not yet emitted."""

    def __init__(self, sources: Sequence[Source], batch_blocks: int, source: str) -> None:
        self.sources, self.batch_blocks, self.source = sources, batch_blocks, source
        self.paths = tuple(str(s.path) for s in sources)
        self.kinds = {s.kind for s in sources}
        self.pieces: list[_Piece] = []
        self.below = 0  # every block under it was taken
        self.ready: dict[str, pa.Table] = {}
        self.empty = Rows(_NO_BLOCKS, "", np.zeros(0, np.int64))

    def add(self, file: int, chunk: Chunk) -> int:
        """Buffer a piece of ``file``; the highest block it holds (-1: none)."""
        table, lines = chunk
        if not table.num_rows:
            return -1
        src = self.sources[file]
        rows = Rows(table, str(src.path), lines)
        blocks = integers(rows, src.key, pa.int64()).to_numpy()
        late = blocks < self.below
        if late.any():
            rows.fail(int(np.argmax(late)), src.key, _late(int(blocks[late][0]), self.below))
        if (np.diff(blocks) < 0).any():
            order = np.argsort(blocks, kind="stable")
            table, lines, blocks = table.take(order), lines[order], blocks[order]
        self.pieces.append(_Piece(file, table, lines, blocks))
        return int(blocks[-1])

    def take(self, below: int) -> Iterator[ChainBatch]:
        """Convert the rows of blocks under ``below``; emit every full batch at hand."""
        taken: dict[str, list[_Piece]] = {}
        kept = []
        for piece in sorted(self.pieces, key=lambda p: p.file):  # stable: file, then line
            at = int(np.searchsorted(piece.blocks, below, "left"))
            if at:
                taken.setdefault(self.sources[piece.file].kind, []).append(piece)
            if at < len(piece.blocks):
                kept.append(piece.cut(at))
        self.pieces, self.below = kept, below
        rows = {kind: self._rows(parts, below) for kind, parts in taken.items()}
        fresh = ordered_tables(_tables(rows, self.kinds, self.empty))
        for name, table in fresh.items():
            old = self.ready.get(name)
            self.ready[name] = table if old is None else pa.concat_tables([old, table])
        yield from self._emit(final=below == _END)

    def _rows(self, parts: list[_Piece], below: int) -> Rows:
        """One :class:`Rows` of the taken rows of pieces of one kind."""
        ends = [int(np.searchsorted(p.blocks, below, "left")) for p in parts]
        table = pa.concat_tables(
            [p.table.slice(0, n) for p, n in zip(parts, ends, strict=True)],
            promote_options="permissive",
        )
        lines = np.concatenate([p.lines[:n] for p, n in zip(parts, ends, strict=True)])
        files = np.concatenate([np.full(n, p.file) for p, n in zip(parts, ends, strict=True)])
        path = " + ".join(dict.fromkeys(self.paths[p.file] for p in parts))
        return Rows(table, path, lines, files=files, paths=self.paths)

    def _emit(self, *, final: bool) -> Iterator[ChainBatch]:
        numbers = block_numbers(self.ready)
        size = self.batch_blocks
        whole = len(numbers) if final else len(numbers) - len(numbers) % size
        for start in range(0, whole, size):
            lo, hi = numbers[start], numbers[min(start + size, whole) - 1]
            part = block_slices(self.ready, lo, hi)
            yield ChainBatch("account", {n: _one_chunk(t) for n, t in part.items()}, self.source)
        if whole == len(numbers):
            self.ready = {}
        elif whole:
            self.ready = block_slices(self.ready, numbers[whole], numbers[-1])


def _one_chunk(table: pa.Table) -> pa.Table:
    """The table in one chunk per column, copying only when it spans several."""
    if all(col.num_chunks <= 1 for col in table.columns):
        return table
    return table.combine_chunks()


def _late(block: int, below: int) -> str:
    return (
        f"block {block} comes after blocks up to {below - 1} were read: its block number "
        "was not readable when the file's block order was checked"
    )


def stream_batches(
    sources: Sequence[Source], *, batch_blocks: int, source: str
) -> Iterator[ChainBatch]:
    """Canonical batches of ``batch_blocks`` blocks from export files of known kinds."""
    window = _Window(sources, batch_blocks, source)
    # a file not yet opened has passed every block before its first
    passed = {i: -1 if s.first_block is None else s.first_block for i, s in enumerate(sources)}
    opened: dict[int, Generator[Chunk, None, None]] = {}
    try:
        while passed:
            behind = min(passed, key=lambda i: (passed[i], i))
            if behind not in opened:
                opened[behind] = sources[behind].open()
            chunk = next(opened[behind], None)
            if chunk is None:
                del passed[behind], opened[behind]
            else:
                passed[behind] = max(passed[behind], window.add(behind, chunk))
            below = min(passed.values(), default=_END)
            if below > window.below:
                yield from window.take(below)
    finally:  # sorted copies of files not read to the end are removed now
        for pieces in opened.values():
            pieces.close()
