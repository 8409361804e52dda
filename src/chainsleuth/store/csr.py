"""CSR adjacency arrays over dense ids, memory-mapped ``.npy`` files (the BlockSci layout).

UTXO chains: ``addr_out`` (address -> txs it received in, one entry per output),
``addr_in`` (address -> txs it spent in, one entry per resolved input), ``tx_out``
(tx -> output addresses), ``tx_in`` (tx -> input addresses), plus ``out_spent`` (global
output index -> spending tx id or NO_ID). Account chains: transfer edges (``edge_src``,
``edge_dst``, ``edge_tx``, ``edge_kind``: 0 transaction, 1 trace, 2 token transfer) with
``addr_out``/``addr_in`` (address -> edge ids) and ``tx_edges`` (tx -> edge ids), written
with the other edge arrays by :mod:`chainsleuth.store.graph_arrays`. Rows keep ingest order,
so an address's entries are in ascending tx id. Built in two streaming passes (count,
then scatter): memory is O(rows of the CSR), not O(entries).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow.compute as pc
import pyarrow.parquet as pq

from chainsleuth.store.keys import NO_ID
from chainsleuth.store.layout import Staging
from chainsleuth.store.manifest import ChainEntry

I64 = npt.NDArray[np.int64]
U32 = npt.NDArray[np.uint32]
Chunks = Callable[[], Iterator[dict[str, npt.NDArray[Any]]]]


@dataclass(frozen=True, eq=False)
class Csr:
    """Row ``i`` is ``indices[indptr[i]:indptr[i + 1]]``."""

    indptr: I64
    indices: npt.NDArray[np.integer[Any]]

    def row(self, i: int) -> npt.NDArray[np.integer[Any]]:
        return self.indices[self.indptr[i] : self.indptr[i + 1]]

    @property
    def n_rows(self) -> int:
        return len(self.indptr) - 1


@dataclass(frozen=True, eq=False)
class CsrGraph:
    """The graph arrays of one chain, as of manifest ``generation``."""

    family: str
    n_addresses: int
    n_txs: int
    generation: int
    adjacency: Mapping[str, Csr]
    arrays: Mapping[str, npt.NDArray[Any]]


def filled(table: Any, name: str, fill: int) -> npt.NDArray[Any]:
    """Column ``name`` of ``table`` as numpy, nulls replaced by ``fill``."""
    return np.asarray(pc.fill_null(table[name], fill).to_numpy())


def scatter(
    staging: Staging,
    rel: str,
    n_rows: int,
    chunks: Chunks,
    *,
    row: str,
    val: str,
    dtype: npt.DTypeLike = np.uint32,
) -> None:
    """Write ``rel.indptr.npy`` / ``rel.indices.npy``: row ``c[row]`` gets ``c[val]``, in order.

    ``chunks`` is read twice (count, then scatter); entries keep their order within a row.
    """
    counts = np.zeros(n_rows, np.int64)
    for c in chunks():
        counts += np.bincount(c[row], minlength=n_rows)
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    staging.npy(f"{rel}.indptr.npy", indptr)
    indices = np.lib.format.open_memmap(
        staging.path(f"{rel}.indices.npy"), "w+", dtype, (int(indptr[-1]),)
    )
    cursor = indptr[:-1].copy()
    for c in chunks():
        rows = c[row]
        order = np.argsort(rows, kind="stable")
        rs = rows[order]
        uniq, first, cnt = np.unique(rs, return_index=True, return_counts=True)
        rank = np.arange(len(rs)) - np.repeat(first, cnt)
        indices[cursor[rs] + rank] = c[val][order]
        cursor[uniq] += cnt
    indices.flush()
    del indices


def _utxo_chunks(chain_dir: Path, entry: ChainEntry, table: str) -> Chunks:
    cols = ["tx_id", "addr_id", "out_index" if table == "outputs" else "prev_out"]

    def gen() -> Iterator[dict[str, npt.NDArray[Any]]]:
        for b in entry["batches"]:
            t = pq.read_table(chain_dir / b["files"][table], columns=cols)
            addr = filled(t, "addr_id", int(NO_ID)).astype(np.uint32)
            has = addr != NO_ID
            tx = t["tx_id"].to_numpy().astype(np.uint32)
            yield {
                "addr": addr[has].astype(np.int64),
                "tx": tx[has].astype(np.int64),
                "tx_val": tx[has],
                "addr_val": addr[has],
                "out": filled(t, cols[2], -1).astype(np.int64),
                "all_tx": tx,
            }

    return gen


def build_utxo(staging: Staging, rel: str, chain_dir: Path, entry: ChainEntry) -> None:
    n_addr, n_tx = entry["counts"]["addresses"], entry["counts"]["txs"]
    for table, a, t in (("outputs", "addr_out", "tx_out"), ("inputs", "addr_in", "tx_in")):
        chunks = _utxo_chunks(chain_dir, entry, table)
        scatter(staging, f"{rel}/{a}", n_addr, chunks, row="addr", val="tx_val")
        scatter(staging, f"{rel}/{t}", n_tx, chunks, row="tx", val="addr_val")
    spent = np.lib.format.open_memmap(
        staging.path(f"{rel}/out_spent.npy"), "w+", np.uint32, (entry["counts"]["outputs"],)
    )
    spent[:] = NO_ID
    for c in _utxo_chunks(chain_dir, entry, "inputs")():
        ok = c["out"] >= 0
        spent[c["out"][ok]] = c["all_tx"][ok]
    spent.flush()
    del spent


def write_meta(staging: Staging, rel: str, entry: ChainEntry, generation: int) -> None:
    meta = {
        "family": entry["family"],
        "n_addresses": entry["counts"]["addresses"],
        "n_txs": entry["counts"]["txs"],
        "generation": generation,
    }
    staging.path(f"{rel}/graph.json").write_text(json.dumps(meta), encoding="utf-8")


# What a CsrGraph shows of the index dir (adjacency, plain arrays); graph_arrays has the rest.
_SHOWN = {
    "utxo": (("addr_out", "addr_in", "tx_out", "tx_in"), ("out_spent",)),
    "account": (
        ("addr_out", "addr_in", "tx_edges"),
        ("edge_src", "edge_dst", "edge_tx", "edge_kind"),
    ),
}


def _mmap(path: Path) -> npt.NDArray[Any]:
    arr: npt.NDArray[Any] = np.load(path, mmap_mode="r", allow_pickle=False)
    return arr


def read_meta(index_dir: Path) -> dict[str, Any]:
    """The index's ``graph.json``: family, n_addresses, n_txs, generation."""
    meta: dict[str, Any] = json.loads((index_dir / "graph.json").read_text(encoding="utf-8"))
    return meta


def load(index_dir: Path) -> CsrGraph:
    meta = read_meta(index_dir)
    adj_names, array_names = _SHOWN[meta["family"]]
    adjacency = {
        n: Csr(_mmap(index_dir / f"{n}.indptr.npy"), _mmap(index_dir / f"{n}.indices.npy"))
        for n in adj_names
    }
    arrays = {n: _mmap(index_dir / f"{n}.npy") for n in array_names}
    return CsrGraph(
        meta["family"], meta["n_addresses"], meta["n_txs"], meta["generation"], adjacency, arrays
    )
