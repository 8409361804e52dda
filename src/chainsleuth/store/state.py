"""The working state of one chain during an ingest: id maps, arrays, the block index.

The block index (height -> hash, prev hash) is three NumPy arrays sorted by height; it
decides which incoming blocks are new, already stored (skipped) or a reorg.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from chainsleuth.chain.batch import ChainBatch, Family
from chainsleuth.chain.schema import empty_table
from chainsleuth.store.errors import ForkConflict
from chainsleuth.store.idmap import IdMap, Run
from chainsleuth.store.manifest import ChainEntry
from chainsleuth.store.segments import Segments

BLOCK_COLUMNS: dict[Family, tuple[str, str, str]] = {
    "utxo": ("height", "hash", "prev_hash"),
    "account": ("number", "hash", "parent_hash"),
}
I64 = npt.NDArray[np.int64]
H32 = npt.NDArray[np.uint8]  # (n, 32)


def _hashes(col: pa.ChunkedArray | pa.Array) -> H32:
    """32-byte hashes as an (n, 32) array; an unknown (null) parent hash becomes all zeros."""
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    if not len(arr):
        return np.zeros((0, 32), np.uint8)
    arr = pc.fill_null(arr.cast(pa.binary(32)), pa.scalar(bytes(32), pa.binary(32)))
    data = np.frombuffer(arr.buffers()[1], np.uint8)
    return data[arr.offset * 32 : (arr.offset + len(arr)) * 32].reshape(-1, 32)


def load_run(chain_dir: Path, prefix: str) -> Run:
    h = np.load(chain_dir / f"{prefix}.h.npy", mmap_mode="r")
    ids = np.load(chain_dir / f"{prefix}.i.npy", mmap_mode="r")
    return Run(h, ids, prefix)


@dataclass
class Blocks:
    """Stored blocks by height: heights ascending, hashes and prev hashes as (n, 32) bytes."""

    heights: I64
    hashes: H32
    prevs: H32

    @classmethod
    def of(cls, table: pa.Table, family: Family) -> Blocks:
        hc, hashc, prevc = BLOCK_COLUMNS[family]
        heights = table[hc].to_numpy().astype(np.int64)
        order = np.argsort(heights, kind="stable")
        return cls(heights[order], _hashes(table[hashc])[order], _hashes(table[prevc])[order])

    def merge(self, other: Blocks) -> Blocks:
        heights = np.concatenate([self.heights, other.heights])
        order = np.argsort(heights, kind="stable")
        return Blocks(
            heights[order],
            np.concatenate([self.hashes, other.hashes])[order],
            np.concatenate([self.prevs, other.prevs])[order],
        )

    def below(self, height: int) -> Blocks:
        keep = self.heights < height
        return Blocks(self.heights[keep], self.hashes[keep], self.prevs[keep])

    def find(self, heights: I64) -> tuple[I64, npt.NDArray[np.bool_]]:
        pos = np.searchsorted(self.heights, heights)
        found = pos < len(self.heights)
        found[found] = self.heights[pos[found]] == heights[found]
        return np.minimum(pos, max(len(self.heights) - 1, 0)), found


class ChainState:
    """Ids, arrays and blocks of one chain as committed, plus what this ingest added."""

    def __init__(self, root: Path, name: str, entry: ChainEntry) -> None:
        self.name = name
        self.dir = root / "chains" / name
        self.entry: ChainEntry = copy.deepcopy(entry)
        self.family: Family = entry["family"]
        self.seg = Segments.open(self.dir, entry["batches"], self.family == "utxo")
        counts = entry["counts"]
        runs = {k: [load_run(self.dir, p) for p in v] for k, v in entry["runs"].items()}
        self.txmap = IdMap("tx", runs["tx"], self.seg.tx_keys, counts["txs"])
        self.addrmap = IdMap("addr", runs["addr"], self.seg.addr_keys, counts["addresses"])
        tables = [
            pq.read_table(self.dir / b["files"]["blocks"], columns=list(BLOCK_COLUMNS[self.family]))
            for b in entry["batches"]
        ]
        cols = list(BLOCK_COLUMNS[self.family])
        empty = pa.schema(
            [(c, pa.int64() if i == 0 else pa.binary(32)) for i, c in enumerate(cols)]
        )
        table = pa.concat_tables(tables) if tables else empty_table(empty)
        self.blocks = Blocks.of(table, self.family)

    def classify(self, chain: str, batch: ChainBatch) -> tuple[npt.NDArray[np.bool_], int | None]:
        """(which blocks to ingest, fork height if the batch replaces stored blocks)."""
        new = Blocks.of(batch["blocks"], self.family)
        order = np.argsort(np.argsort(batch["blocks"][BLOCK_COLUMNS[self.family][0]].to_numpy()))
        pos, present = self.blocks.find(new.heights)
        same = np.zeros(len(pos), bool)
        same[present] = (self.blocks.hashes[pos[present]] == new.hashes[present]).all(axis=1)
        differ = present & ~same
        fork = int(new.heights[differ].min()) if differ.any() else None
        keep = ~same if fork is None else ~(same & (new.heights < fork))
        base = self.blocks if fork is None else self.blocks.below(fork)
        self._check_links(chain, base, new, keep)
        return keep[order], fork

    def _check_links(self, chain: str, base: Blocks, new: Blocks, keep: Any) -> None:
        """Each kept block's parent, where known, must be the block its prev hash names."""
        mine = Blocks(new.heights[keep], new.hashes[keep], new.prevs[keep])
        world = base.merge(mine)
        if not len(mine.heights):
            return
        # an all-zero parent hash means the source did not say (bitcoin-etl): not checked
        ppos, pfound = world.find(mine.heights - 1)
        bad = pfound & mine.prevs.any(axis=1) & (world.hashes[ppos] != mine.prevs).any(axis=1)
        cpos, cfound = world.find(mine.heights + 1)
        child_prev = world.prevs[cpos]
        bad |= cfound & child_prev.any(axis=1) & (child_prev != mine.hashes).any(axis=1)
        _, dup = (
            base.find(mine.heights)
            if len(base.heights)
            else (None, np.zeros(len(keep[keep]), bool))
        )
        bad |= dup
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ForkConflict(
                f"chain {chain!r}: block {int(mine.heights[i])} "
                f"{bytes(mine.hashes[i]).hex()} does not link to the stored blocks around it"
            )

    def add_blocks(self, batch: ChainBatch) -> None:
        self.blocks = self.blocks.merge(Blocks.of(batch["blocks"], self.family))
