"""Streaming assembly of bitcoin-etl JSON lines into canonical batches.

Each file is read in block order (one out of order, as bitcoin-etl's parallel batches
leave it, from a sorted copy: see :mod:`._block_order`), so a block is complete once
every file has read past its height. The files are read chunk by chunk, always the one
that is furthest behind; a batch is emitted as soon as ``batch_blocks`` complete blocks
are at hand, and only the records of unfinished blocks stay buffered. A block given
twice is refused, and so is a record whose block was already emitted (its block number
was unreadable when the file's order was checked), with an error naming it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from chainsleuth.chain.batch import ChainBatch
from chainsleuth.chain.readers._etl_blocks import Parent, block_fields, block_table
from chainsleuth.chain.readers._etl_build import transaction_tables
from chainsleuth.chain.readers._etl_columns import Rows, integers
from chainsleuth.chain.readers._etl_json import SCHEMA, read_chunks
from chainsleuth.chain.readers._utxo_rows import INT32, Fields, source_name
from chainsleuth.chain.schema import empty_table


def _rows(paths: Sequence[Path], table: pa.Table) -> Rows:
    files = np.asarray(table["_file"], np.int64)
    return Rows(paths, files, np.asarray(table["_line"], np.int64))


def _split(table: pa.Table, rows: Rows) -> tuple[pa.Table, pa.Table]:
    """(block records, transaction records) of a chunk, by ``type`` or by their keys."""
    kind = pc.fill_null(table["type"], "")
    typed = pc.is_in(kind, pa.array(["block", "transaction"]))
    by_keys = pc.invert(typed)
    is_block = pc.or_(pc.equal(kind, "block"), pc.and_(by_keys, pc.is_valid(table["merkle_root"])))
    is_tx = pc.or_(
        pc.equal(kind, "transaction"),
        pc.and_(by_keys, pc.and_(pc.invert(is_block), pc.is_valid(table["virtual_size"]))),
    )
    neither = ~np.asarray(pc.or_(is_block, is_tx))
    rows.first(neither, None, "neither a block nor a transaction record")
    return table.filter(is_block), table.filter(is_tx)


@dataclass
class _Window:
    """Records of blocks not yet emitted, and what has been emitted so far."""

    paths: Sequence[Path]
    blocks: dict[int, Fields] = field(default_factory=dict)
    txs: list[pa.Table] = field(default_factory=list)
    emitted: int = -1  # the highest height emitted
    parent: Parent = None
    with_txs: bool = False

    def add(self, table: pa.Table) -> int:
        """Buffer a chunk's records; the highest height it holds (-1: none)."""
        block_part, tx_part = _split(table, _rows(self.paths, table))
        top = -1
        for row in block_part.select(["number", "hash", *_BLOCK_FIELDS]).to_pylist():
            blk = block_fields(row, self.paths)
            height = blk.integer("number", 0, INT32[1])
            if height in self.blocks:
                blk.fail("number", f"block {height} appears twice")
            if height <= self.emitted:
                blk.fail("number", _late(height, self.emitted))
            self.blocks[height] = blk
            top = max(top, height)
        if tx_part.num_rows:
            rows = _rows(self.paths, tx_part)
            heights = integers(rows, tx_part["block_number"], "block_number", 0, INT32[1])
            rows.first(heights <= self.emitted, "block_number", _late(None, self.emitted))
            self.txs.append(tx_part)
            self.with_txs = True
            top = max(top, int(heights.max()))
        return top

    def ready(self, below: float) -> list[int]:
        return sorted(h for h in self.blocks if h < below)

    def emit(self, heights: list[int]) -> ChainBatch:
        """The batch of the blocks ``heights`` (sorted) and their transactions."""
        txs = self._take_txs(heights[-1])
        tx_heights = np.asarray(txs["block_number"], np.int64)
        rows = _rows(self.paths, txs)
        known = np.asarray(heights, np.int64)
        slot = np.searchsorted(known, tx_heights)
        orphan = known[np.minimum(slot, len(known) - 1)] != tx_heights
        if orphan.any():
            at = int(np.argmax(orphan))
            rows.fail(at, "block_number", f"no block {int(tx_heights[at])} in the read")
        blocks = [self.blocks.pop(h) for h in heights]
        counts = np.bincount(slot, minlength=len(known)).tolist() if self.with_txs else None
        table = block_table(blocks, self.parent, counts)
        hashes = np.frombuffer(b"".join(table["hash"].to_pylist()), np.uint8).reshape(-1, 32)
        tables = {"blocks": table, **transaction_tables(txs, rows, hashes[slot])}
        self.emitted, self.parent = heights[-1], (heights[-1], hashes[-1].tobytes())
        return ChainBatch("utxo", tables, source_name(self.paths))

    def _take_txs(self, top: int) -> pa.Table:
        """Remove and return the buffered transactions of heights up to ``top``, in order."""
        if not self.txs:
            return _EMPTY_TXS
        pending = pa.concat_tables(self.txs).combine_chunks()
        pending = pending.append_column("_order", pa.array(np.arange(pending.num_rows)))
        mine = pc.less_equal(pending["block_number"], top)
        rest = pending.filter(pc.invert(mine)).drop_columns("_order")
        self.txs = [rest] if rest.num_rows else []
        return _in_block_order(pending.filter(mine))

    def orphans(self) -> None:
        """At the end of the read: transactions whose block never came."""
        if self.txs:
            txs = self._take_txs(INT32[1])
            height = txs["block_number"][0].as_py()
            _rows(self.paths, txs).fail(0, "block_number", f"no block {height} in the read")


def _in_block_order(txs: pa.Table) -> pa.Table:
    """By block, then ``index``; without index (not given), file order with coinbase first."""
    if txs["index"].null_count == 0:
        keys = [("block_number", "ascending"), ("index", "ascending")]
    else:
        txs = txs.append_column("_later", pc.invert(pc.fill_null(txs["is_coinbase"], False)))
        keys = [("block_number", "ascending"), ("_later", "ascending"), ("_order", "ascending")]
    return txs.take(pc.sort_indices(txs, sort_keys=keys))


def _late(height: int | None, emitted: int) -> str:
    what = "this block" if height is None else f"block {height}"
    return (
        f"{what} comes after block {emitted} was read: it appears twice, or its block "
        "number was not readable when the file's block order was checked"
    )


_BLOCK_FIELDS = (
    "merkle_root",
    "version",
    "timestamp",
    "bits",
    "nonce",
    "size",
    "weight",
    "transaction_count",
    "coinbase_param",
    "_file",
    "_line",
)
_EMPTY_TXS = empty_table(
    SCHEMA.append(pa.field("_line", pa.int64())).append(pa.field("_file", pa.int64()))
)


def stream_json(
    paths: Sequence[Path], batch_blocks: int, *, tmp_dir: Path | None = None
) -> Iterator[ChainBatch]:
    """Canonical batches of ``batch_blocks`` blocks from bitcoin-etl JSON-lines files.

    Sorted copies of files out of block order go under ``tmp_dir``.
    """
    window = _Window(paths)
    sources = {i: read_chunks(path, tmp_dir=tmp_dir) for i, path in enumerate(paths)}
    passed = dict.fromkeys(sources, -1)
    try:
        while sources:
            behind = min(sources, key=lambda i: passed[i])
            chunk = next(sources[behind], None)
            if chunk is None:
                del sources[behind]
            else:
                chunk = chunk.append_column("_file", pa.array(np.full(chunk.num_rows, behind)))
                passed[behind] = max(passed[behind], window.add(chunk))
            below = min((passed[i] for i in sources), default=float("inf"))
            ready = window.ready(below)
            while ready and (len(ready) >= batch_blocks or not sources):
                yield window.emit(ready[:batch_blocks])
                ready = ready[batch_blocks:]
    finally:  # sorted copies of files not read to the end are removed now
        for chunks in sources.values():
            chunks.close()
    window.orphans()
