"""Point look-ups that stay fast on a full chain: O(log n) per key, one partition per id.

A query such as ``WHERE txid = ?`` or ``WHERE addr_id = ?`` over the catalog views reads
that column of every partition: fine for a sample, minutes for a billion transactions.
Here a hash or address key becomes its id through the id maps (binary search), an id
becomes its key through the per-batch key arrays, and the rows of an id are read from the
one batch partition that holds it (ids are dense and given in ingest order, so the
batch is the one whose base is the largest at or below the id).

What touched an address, and which transaction spent an output, come from the graph
index for the batches it *covers*: those committed before it was built and not rewritten
since (late resolution writes new input partitions; a reorg drops batches and reuses
their ids, and the batches after it are newer than the index). Batches it does not
cover are read from their own partitions, so answers are complete with a stale index,
and without one they fall back to reading every partition.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from chainsleuth.store.csr import read_meta
from chainsleuth.store.idmap import IdMap
from chainsleuth.store.keys import NO_ID
from chainsleuth.store.manifest import BatchRecord, ChainEntry
from chainsleuth.store.segments import KeyPieces, Segments
from chainsleuth.store.state import load_run

I64 = npt.NDArray[np.int64]


def _seq(rel: str) -> int:
    """The commit sequence number a store path carries (``part-12.parquet``, ``index-9``)."""
    found = re.findall(r"\d+", rel.rsplit("/", 1)[-1])
    return int(found[-1]) if found else -1


def _key_bytes(pieces: KeyPieces, ids: I64) -> list[bytes]:
    seg = np.searchsorted(np.asarray(pieces.bases, np.int64), ids, "right") - 1
    out = []
    for s, i in zip(seg.tolist(), ids.tolist(), strict=True):
        data, off = pieces.piece(s)
        local = i - pieces.bases[s]
        out.append(bytes(data[off[local] : off[local + 1]]))
    return out


class IndexArrays:
    """The graph index's arrays by name, each memory-mapped on first use: a look-up needs
    a few of the index's thirty, and mapping one costs about a millisecond."""

    def __init__(self, index_dir: Path) -> None:
        self.dir = index_dir
        self._arrays: dict[str, npt.NDArray[Any]] = {}

    def __getitem__(self, name: str) -> npt.NDArray[Any]:
        if name not in self._arrays:
            self._arrays[name] = np.load(self.dir / f"{name}.npy", mmap_mode="r")
        return self._arrays[name]

    def row(self, adjacency: str, i: int) -> I64:
        """Row ``i`` of a CSR adjacency (``addr_outputs``, ``addr_in``…)."""
        indptr = self[f"{adjacency}.indptr"]
        return np.asarray(self[f"{adjacency}.indices"][indptr[i] : indptr[i + 1]], np.int64)

    @cached_property
    def n_addresses(self) -> int:
        return int(read_meta(self.dir)["n_addresses"])


@dataclass
class Lookup:
    """The id maps, key arrays, batch records and graph index of one chain."""

    chain_dir: Path
    entry: ChainEntry

    @cached_property
    def _seg(self) -> Segments:
        return Segments.open(self.chain_dir, self.entry["batches"], self.entry["family"] == "utxo")

    def _map(self, kind: str) -> IdMap:
        runs = [load_run(self.chain_dir, p) for p in self.entry["runs"][kind]]
        counts = self.entry["counts"]
        if kind == "tx":
            return IdMap("tx", runs, self._seg.tx_keys, counts["txs"])
        return IdMap("addr", runs, self._seg.addr_keys, counts["addresses"])

    @cached_property
    def _tx_map(self) -> IdMap:
        return self._map("tx")

    @cached_property
    def _addr_map(self) -> IdMap:
        return self._map("addr")

    def tx_id(self, key: bytes) -> int | None:
        """The first tx_id of a transaction hash (display order), None if not stored."""
        found = int(self._tx_map.lookup(pa.array([key], pa.binary()))[0])
        return None if found == NO_ID else found

    def addr_id(self, key: bytes) -> int | None:
        """The addr_id of an address key, None if not seen."""
        found = int(self._addr_map.lookup(pa.array([key], pa.binary()))[0])
        return None if found == NO_ID else found

    def tx_keys(self, ids: I64) -> list[bytes]:
        """Transaction hashes (display order) of tx_ids."""
        return _key_bytes(self._seg.tx_keys, np.asarray(ids, np.int64))

    def addr_keys(self, ids: I64) -> list[bytes]:
        """Address keys of addr_ids."""
        return _key_bytes(self._seg.addr_keys, np.asarray(ids, np.int64))

    def batches_of(self, kind: str, ids: I64) -> list[BatchRecord]:
        """The batches holding the ids of ``kind`` (``txs``, ``outputs``…), each once."""
        batches = self.entry["batches"]
        bases = np.array([b["base"][kind] for b in batches], np.int64)
        at = np.unique(np.searchsorted(bases, np.asarray(ids, np.int64), "right") - 1)
        return [batches[i] for i in at.tolist() if i >= 0]

    def files(self, table: str, batches: list[BatchRecord]) -> list[str]:
        """Absolute paths of ``table``'s partitions of ``batches``."""
        return [str(self.chain_dir / b["files"][table]) for b in batches]

    @cached_property
    def _index_seq(self) -> int:
        return _seq(self.entry["index"]) if self.entry["index"] else -1

    def _covered(self, batch: BatchRecord) -> bool:
        return all(_seq(rel) < self._index_seq for rel in batch["files"].values())

    @cached_property
    def covered(self) -> list[BatchRecord]:
        """Batches the graph index describes as they are now."""
        return [b for b in self.entry["batches"] if self._covered(b)]

    @cached_property
    def uncovered(self) -> list[BatchRecord]:
        """Batches to read from their partitions (all of them without an index)."""
        return [b for b in self.entry["batches"] if not self._covered(b)]

    @cached_property
    def index(self) -> IndexArrays | None:
        """The graph index's arrays, when an index exists and covers a batch."""
        if not self.covered:
            return None
        return IndexArrays(self.chain_dir / str(self.entry["index"]))

    def covered_txs(self, tx_ids: I64) -> npt.NDArray[np.bool_]:
        """Which tx_ids lie in covered batches."""
        batches = self.entry["batches"]
        if not batches:
            return np.zeros(len(tx_ids), bool)
        bases = np.array([b["base"]["txs"] for b in batches], np.int64)
        flags = np.array([self._covered(b) for b in batches], bool)
        return flags[np.searchsorted(bases, np.asarray(tx_ids, np.int64), "right") - 1]
