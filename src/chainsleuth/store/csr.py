"""CSR adjacency arrays over dense ids, memory-mapped ``.npy`` files (the BlockSci layout).

UTXO chains: ``addr_out`` (address -> txs it received in, one entry per output),
``addr_in`` (address -> txs it spent in, one entry per resolved input), ``tx_out``
(tx -> output addresses), ``tx_in`` (tx -> input addresses), plus ``out_spent`` (global
output index -> spending tx id or NO_ID). Account chains: transfer edges (``edge_src``,
``edge_dst``, ``edge_tx``, ``edge_kind``: 0 transaction, 1 trace, 2 token transfer) with
``addr_out``/``addr_in`` (address -> edge ids) and ``tx_edges`` (tx -> edge ids).
Rows keep ingest order, so an address's entries are in ascending tx id. Built in two
streaming passes over the partitions (count, then scatter): memory is O(ids), not O(edges).
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
    indices: U32

    def row(self, i: int) -> U32:
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


def _col(table: Any, name: str, fill: int) -> npt.NDArray[Any]:
    return np.asarray(pc.fill_null(table[name], fill).to_numpy())


def _scatter(
    staging: Staging, rel: str, n_rows: int, chunks: Chunks, *, row: str, val: str
) -> None:
    counts = np.zeros(n_rows, np.int64)
    for c in chunks():
        counts += np.bincount(c[row], minlength=n_rows)
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    staging.npy(f"{rel}.indptr.npy", indptr)
    indices = np.lib.format.open_memmap(
        staging.path(f"{rel}.indices.npy"), "w+", np.uint32, (int(indptr[-1]),)
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
            addr = _col(t, "addr_id", int(NO_ID)).astype(np.uint32)
            has = addr != NO_ID
            tx = t["tx_id"].to_numpy().astype(np.uint32)
            yield {
                "addr": addr[has].astype(np.int64),
                "tx": tx[has].astype(np.int64),
                "tx_val": tx[has],
                "addr_val": addr[has],
                "out": _col(t, cols[2], -1).astype(np.int64),
                "all_tx": tx,
            }

    return gen


def build_utxo(staging: Staging, rel: str, chain_dir: Path, entry: ChainEntry) -> None:
    n_addr, n_tx = entry["counts"]["addresses"], entry["counts"]["txs"]
    for table, a, t in (("outputs", "addr_out", "tx_out"), ("inputs", "addr_in", "tx_in")):
        chunks = _utxo_chunks(chain_dir, entry, table)
        _scatter(staging, f"{rel}/{a}", n_addr, chunks, row="addr", val="tx_val")
        _scatter(staging, f"{rel}/{t}", n_tx, chunks, row="tx", val="addr_val")
    spent = np.lib.format.open_memmap(
        staging.path(f"{rel}/out_spent.npy"), "w+", np.uint32, (entry["counts"]["outputs"],)
    )
    spent[:] = NO_ID
    for c in _utxo_chunks(chain_dir, entry, "inputs")():
        ok = c["out"] >= 0
        spent[c["out"][ok]] = c["all_tx"][ok]
    spent.flush()
    del spent


def _account_edges(chain_dir: Path, entry: ChainEntry) -> Chunks:
    def gen() -> Iterator[dict[str, npt.NDArray[Any]]]:
        for b in entry["batches"]:
            for kind, table, where in (
                (0, "transactions", None),
                (1, "traces", "status = 1 AND (transaction_hash IS NULL OR trace_address <> '')"),
                (2, "token_transfers", None),
            ):
                t = pq.read_table(chain_dir / b["files"][table])
                if where:
                    keep = pc.and_(
                        pc.equal(t["status"], 1),
                        pc.or_(
                            pc.is_null(t["transaction_hash"]), pc.not_equal(t["trace_address"], "")
                        ),
                    )
                    t = t.filter(keep)
                yield {
                    "src": _col(t, "from_id", int(NO_ID)).astype(np.uint32),
                    "dst": _col(t, "to_id", int(NO_ID)).astype(np.uint32),
                    "tx": _col(t, "tx_id", int(NO_ID)).astype(np.uint32),
                    "kind": np.full(t.num_rows, kind, np.uint8),
                }

    return gen


def _once(chunk: dict[str, npt.NDArray[Any]]) -> Chunks:
    def gen() -> Iterator[dict[str, npt.NDArray[Any]]]:
        yield chunk

    return gen


def build_account(staging: Staging, rel: str, chain_dir: Path, entry: ChainEntry) -> None:
    edges = _account_edges(chain_dir, entry)
    parts: dict[str, list[npt.NDArray[Any]]] = {"src": [], "dst": [], "tx": [], "kind": []}
    # edge arrays are written in one go here; at full-chain scale they would be streamed
    # into memmaps like the CSR indices
    for c in edges():
        for k, lst in parts.items():
            lst.append(c[k])
    arrays = {k: np.concatenate(v) if v else np.zeros(0, np.uint32) for k, v in parts.items()}
    for k, arr in arrays.items():
        staging.npy(f"{rel}/edge_{k}.npy", arr)
    n_edges = len(arrays["src"])
    eid = np.arange(n_edges, dtype=np.uint32)
    n_addr, n_tx = entry["counts"]["addresses"], entry["counts"]["txs"]
    for name, key, n in (
        ("addr_out", "src", n_addr),
        ("addr_in", "dst", n_addr),
        ("tx_edges", "tx", n_tx),
    ):
        has = arrays[key] != NO_ID
        chunk = {"row": arrays[key][has].astype(np.int64), "val": eid[has]}
        _scatter(staging, f"{rel}/{name}", n, _once(chunk), row="row", val="val")


def write_meta(staging: Staging, rel: str, entry: ChainEntry, generation: int) -> None:
    meta = {
        "family": entry["family"],
        "n_addresses": entry["counts"]["addresses"],
        "n_txs": entry["counts"]["txs"],
        "generation": generation,
    }
    staging.path(f"{rel}/graph.json").write_text(json.dumps(meta), encoding="utf-8")


def load(index_dir: Path) -> CsrGraph:
    meta = json.loads((index_dir / "graph.json").read_text(encoding="utf-8"))
    adjacency: dict[str, Csr] = {}
    arrays: dict[str, npt.NDArray[Any]] = {}
    for path in sorted(index_dir.glob("*.npy")):
        name = path.name.removesuffix(".npy")
        arr = np.load(path, mmap_mode="r")
        if name.endswith(".indices"):
            base = name.removesuffix(".indices")
            indptr = np.load(index_dir / f"{base}.indptr.npy", mmap_mode="r")
            adjacency[base] = Csr(indptr, arr)
        elif not name.endswith(".indptr"):
            arrays[name] = arr
    return CsrGraph(
        meta["family"], meta["n_addresses"], meta["n_txs"], meta["generation"], adjacency, arrays
    )
