"""The arrays behind :class:`~chainsleuth.analysis.graph.UtxoGraph` and ``AccountGraph``.

``ChainStore.build_index`` writes them into the index directory as ``.npy`` files, one
per field, streamed batch by batch into memory-mapped files (memory is bounded by the
largest batch plus O(blocks) for the account edge order), and ``utxo_graph`` /
``account_graph`` memory-map them back.

UTXO arrays are in ``tx_id`` order: transaction ``t`` is row ``t``, its outputs are the
store's global output rows (``out_index``) and its inputs the global input rows, both
in ``tx_id`` order. ``tx_id`` is the ingest order, which is height order unless a gap
was filled later; then a transaction may spend an output with a higher row number, and
analyses that need time order read ``tx_height``.

Account edges are in replay order over the whole chain: block number, then transaction
index (block-level edges such as rewards after the block's transactions), then the
transaction itself, its internal traces in source order (depth first for Parity and
geth traces) and its token transfers by log index. The order in which traces and logs
interleave inside a transaction is not recorded, so traces come before transfers.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from chainsleuth.analysis.graph import AccountGraph, Adjacency, UtxoGraph
from chainsleuth.errors import NotFound
from chainsleuth.store.csr import Chunks, filled, read_meta, scatter
from chainsleuth.store.keys import NO_ID
from chainsleuth.store.layout import Staging
from chainsleuth.store.limbs import limbs_of_bytes, limbs_of_decimals, limbs_to_float
from chainsleuth.store.manifest import BatchRecord, ChainEntry

Arr = npt.NDArray[Any]
I64 = npt.NDArray[np.int64]

_TX = {
    "tx_height": ("height", np.int32, 0),
    "tx_version": ("version", np.int32, 0),
    "tx_locktime": ("locktime", np.uint32, 0),
    "tx_vsize": ("vsize", np.int32, 0),
    "tx_fee": ("fee", np.int64, -1),
    "tx_coinbase": ("is_coinbase", np.bool_, False),
}
_IN = {
    "in_prev_out": ("prev_out", np.int64, -1),
    "in_value": ("value", np.int64, -1),
    "in_addr": ("addr_id", np.uint32, int(NO_ID)),
    "in_sequence": ("sequence", np.uint32, 0),
}
_OUT = {
    "out_value": ("value", np.int64, 0),
    "out_addr": ("addr_id", np.uint32, int(NO_ID)),
    "out_type": ("script_type", np.uint8, 0),
}
_EDGE: dict[str, npt.DTypeLike] = {
    "edge_src": np.uint32,
    "edge_dst": np.uint32,
    "edge_tx": np.uint32,
    "edge_kind": np.uint8,
    "edge_token": np.uint32,
    "edge_value": np.float64,
    "edge_value_hi": np.uint64,
    "edge_value_lo": np.uint64,
    "edge_overflow": np.bool_,
    "edge_block": np.int64,
    "edge_time": np.int64,
}
_TX_COLS = ["tx_id", "block_number", "transaction_index", "from_id", "to_id", "value"]
_TX_COLS += ["receipt_status"]
_TRACE_COLS = ["tx_id", "block_number", "trace_address", "from_id", "to_id", "value", "status"]
_TOKEN_COLS = ["tx_id", "token_id", "from_id", "to_id", "value", "value_overflow"]
_TOKEN_COLS += ["block_number", "log_index"]
_LAST = np.int64(2**31)  # tx position of block-level edges: after every transaction
_STEP = 1 << 22  # rows per chunk when scanning a written array


class _Files:
    """``.npy`` arrays being written under ``rel`` in the staging dir, memory-mapped."""

    def __init__(self, staging: Staging, rel: str) -> None:
        self.staging, self.rel = staging, rel
        self.open: list[np.memmap[Any, Any]] = []

    def new(self, name: str, dtype: npt.DTypeLike, n: int) -> np.memmap[Any, Any]:
        path = self.staging.path(f"{self.rel}/{name}.npy")
        arr = np.lib.format.open_memmap(path, "w+", dtype, (n,))
        self.open.append(arr)
        return arr

    def close(self) -> None:
        for arr in self.open:
            arr.flush()
        self.open.clear()


def _read(chain_dir: Path, rec: BatchRecord, table: str, columns: list[str]) -> pa.Table:
    return pq.read_table(chain_dir / rec["files"][table], columns=columns)


def _unix_seconds(times: pa.ChunkedArray) -> I64:
    # Parquet keeps second timestamps as milliseconds; read back, they are in ms
    secs = times.cast(pa.timestamp("s", tz="UTC")).cast(pa.int64())
    return np.asarray(secs.to_numpy(), np.int64)


def _ids_chunks(ids: Arr) -> Chunks:
    """(row = id, val = position) for every entry of ``ids`` that is not NO_ID."""

    def gen() -> Iterator[dict[str, Arr]]:
        for lo in range(0, len(ids), _STEP):
            chunk = np.asarray(ids[lo : lo + _STEP])
            has = chunk != NO_ID
            yield {"row": chunk[has].astype(np.int64), "val": np.flatnonzero(has) + lo}

    return gen


def _adjacency(staging: Staging, rel: str, n_rows: int, ids: Arr) -> None:
    scatter(staging, rel, n_rows, _ids_chunks(ids), row="row", val="val", dtype=np.int64)


def write_utxo(staging: Staging, rel: str, chain_dir: Path, entry: ChainEntry) -> None:
    """The UtxoGraph arrays of ``entry`` (``out_spent`` comes from :func:`csr.build_utxo`)."""
    n = entry["counts"]
    files = _Files(staging, rel)
    tx = {k: files.new(k, d, n["txs"]) for k, (_, d, _) in _TX.items()}
    tx["tx_time"] = files.new("tx_time", np.int64, n["txs"])
    ins = {k: files.new(k, d, n["inputs"]) for k, (_, d, _) in _IN.items()}
    outs = {k: files.new(k, d, n["outputs"]) for k, (_, d, _) in _OUT.items()}
    starts = {k: files.new(k, np.int64, n["txs"] + 1) for k in ("in_start", "out_start")}
    for s in starts.values():
        s[0] = 0
    for rec in entry["batches"]:
        _utxo_batch(chain_dir, rec, tx, starts)
        for table, arrays, spec in (("inputs", ins, _IN), ("outputs", outs, _OUT)):
            t = _read(chain_dir, rec, table, [c for c, _, _ in spec.values()])
            lo = rec["base"][table]
            for k, (col, dtype, fill) in spec.items():
                arrays[k][lo : lo + t.num_rows] = filled(t, col, fill).astype(dtype)
    files.close()
    _adjacency(staging, f"{rel}/addr_outputs", n["addresses"], outs["out_addr"])
    _adjacency(staging, f"{rel}/addr_inputs", n["addresses"], ins["in_addr"])


def _utxo_batch(
    chain_dir: Path, rec: BatchRecord, tx: Mapping[str, Arr], starts: Mapping[str, Arr]
) -> None:
    cols = [c for c, _, _ in _TX.values()]
    t = _read(chain_dir, rec, "transactions", [*cols, "block_hash", "input_count", "output_count"])
    lo, hi = rec["base"]["txs"], rec["base"]["txs"] + t.num_rows
    for k, (col, dtype, fill) in _TX.items():
        tx[k][lo:hi] = filled(t, col, fill).astype(dtype)
    blocks = _read(chain_dir, rec, "blocks", ["hash", "time"])
    at = pc.index_in(t["block_hash"], blocks["hash"])
    tx["tx_time"][lo:hi] = _unix_seconds(blocks["time"].take(at))
    for name, count, base in (
        ("in_start", "input_count", "inputs"),
        ("out_start", "output_count", "outputs"),
    ):
        counts = t[count].to_numpy().astype(np.int64)
        starts[name][lo + 1 : hi + 1] = rec["base"][base] + np.cumsum(counts)


def write_account(staging: Staging, rel: str, chain_dir: Path, entry: ChainEntry) -> None:
    """The AccountGraph edge arrays in replay order, and addr_out/addr_in/tx_edges over them.

    Edges are placed by a counting sort on the block number (a block lives in one batch),
    so the chain-wide order needs O(blocks) memory, not O(edges).
    """
    batches = entry["batches"]
    first = min((b["min_height"] for b in batches), default=0)
    last = max((b["max_height"] for b in batches), default=-1)
    per_block = np.zeros(last - first + 1, np.int64)
    for rec in batches:
        blocks = _batch_edges(chain_dir, rec)["edge_block"] - first
        per_block += np.bincount(blocks, minlength=len(per_block))
    start = np.concatenate([[0], np.cumsum(per_block)]).astype(np.int64)
    files = _Files(staging, rel)
    out = {k: files.new(k, d, int(start[-1])) for k, d in _EDGE.items()}
    for rec in batches:
        edges = _batch_edges(chain_dir, rec)
        block = edges["edge_block"] - first
        pos = start[block] + np.arange(len(block)) - np.searchsorted(block, block)
        for k, arr in out.items():
            arr[pos] = edges[k]
    files.close()
    n = entry["counts"]
    _adjacency(staging, f"{rel}/addr_out", n["addresses"], out["edge_src"])
    _adjacency(staging, f"{rel}/addr_in", n["addresses"], out["edge_dst"])
    _adjacency(staging, f"{rel}/tx_edges", n["txs"], out["edge_tx"])


def _batch_edges(chain_dir: Path, rec: BatchRecord) -> dict[str, Arr]:
    """The value-transfer edges of one batch, sorted in replay order."""
    txs = _read(chain_dir, rec, "transactions", _TX_COLS)
    # tx position in its block by tx id (traces' own index may be absent); past the end: _LAST
    tx_index = np.append(txs["transaction_index"].to_numpy().astype(np.int64), _LAST)
    parts = [
        _tx_edges(txs),
        _trace_edges(_read(chain_dir, rec, "traces", _TRACE_COLS)),
        _token_edges(_read(chain_dir, rec, "token_transfers", _TOKEN_COLS)),
    ]
    edges = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    local = edges.pop("tx_id64") - rec["base"]["txs"]
    outside = (local < 0) | (local >= len(tx_index))
    txpos = tx_index[np.where(outside, -1, local)]
    order = np.lexsort((edges.pop("sub"), edges.pop("group"), txpos, edges["edge_block"]))
    edges = {k: v[order] for k, v in edges.items()}
    blocks = _read(chain_dir, rec, "blocks", ["number", "time"])
    at = pc.index_in(pa.array(edges["edge_block"]), blocks["number"])
    edges["edge_time"] = _unix_seconds(blocks["time"].take(at))
    return edges


def _edges(t: pa.Table, limbs: npt.NDArray[np.uint64], kind: Arr, **extra: Arr) -> dict[str, Arr]:
    tx = filled(t, "tx_id", int(NO_ID)).astype(np.uint32)
    out = {
        "edge_src": filled(t, "from_id", int(NO_ID)).astype(np.uint32),
        "edge_dst": filled(t, "to_id", int(NO_ID)).astype(np.uint32),
        "edge_tx": tx,
        "tx_id64": np.where(tx == NO_ID, -1, tx.astype(np.int64)),
        "edge_kind": kind.astype(np.uint8),
        "edge_token": np.full(t.num_rows, NO_ID, np.uint32),
        "edge_value": limbs_to_float(limbs),
        "edge_value_hi": limbs[:, 2].copy(),
        "edge_value_lo": limbs[:, 3].copy(),
        "edge_overflow": (limbs[:, :2] != 0).any(axis=1),
        "edge_block": t["block_number"].to_numpy().astype(np.int64),
    }
    return out | extra


def _tx_edges(txs: pa.Table) -> dict[str, Arr]:
    """Successful transactions (a null receipt status counts as success), value or not."""
    t = txs.filter(pc.fill_null(pc.not_equal(txs["receipt_status"], 0), True))
    n = t.num_rows
    zero = np.zeros(n, np.int64)
    return _edges(t, limbs_of_decimals(t["value"]), zero, group=zero, sub=zero)


def _trace_edges(traces: pa.Table) -> dict[str, Arr]:
    """Successful non-root traces that move value; a trace without a tx is a reward (kind 3)."""
    t = traces.append_column("_row", pa.array(np.arange(traces.num_rows, dtype=np.int64)))
    no_tx = pc.is_null(t["tx_id"])
    keep = pc.and_(
        pc.equal(t["status"], 1),
        pc.and_(pc.is_valid(t["value"]), pc.or_(no_tx, pc.not_equal(t["trace_address"], ""))),
    )
    t = t.filter(keep)
    limbs = limbs_of_decimals(t["value"])
    moves = (limbs != 0).any(axis=1)
    t, limbs = t.filter(pa.array(moves)), limbs[moves]
    kind = np.where(pc.is_null(t["tx_id"]).to_numpy(zero_copy_only=False), 3, 1)
    ones = np.ones(t.num_rows, np.int64)
    return _edges(t, limbs, kind, group=ones, sub=t["_row"].to_numpy())


def _token_edges(tokens: pa.Table) -> dict[str, Arr]:
    big = pc.is_null(tokens["value"]).to_numpy(zero_copy_only=False)
    limbs = limbs_of_decimals(tokens["value"])
    if big.any():
        over = tokens["value_overflow"].filter(pa.array(big)).combine_chunks()
        limbs[big] = limbs_of_bytes(over)
    n = tokens.num_rows
    edges = _edges(
        tokens,
        limbs,
        np.full(n, 2),
        group=np.full(n, 2, np.int64),
        sub=tokens["log_index"].to_numpy().astype(np.int64),
    )
    edges["edge_token"] = filled(tokens, "token_id", int(NO_ID)).astype(np.uint32)
    return edges


def _mmap(index_dir: Path, name: str) -> Arr:
    try:
        arr: Arr = np.load(index_dir / f"{name}.npy", mmap_mode="r", allow_pickle=False)
    except FileNotFoundError:
        raise NotFound(f"{index_dir}: graph index has no {name}; run build_index again") from None
    return arr


def _adj(index_dir: Path, name: str) -> Adjacency:
    return Adjacency(_mmap(index_dir, f"{name}.indptr"), _mmap(index_dir, f"{name}.indices"))


def load_utxo(index_dir: Path) -> UtxoGraph:
    names = [*_TX, "tx_time", "in_start", *_IN, "out_start", *_OUT]
    return UtxoGraph(
        n_addresses=read_meta(index_dir)["n_addresses"],
        out_spent_tx=_mmap(index_dir, "out_spent"),
        addr_outputs=_adj(index_dir, "addr_outputs"),
        addr_inputs=_adj(index_dir, "addr_inputs"),
        **{k: _mmap(index_dir, k) for k in names},
    )


def load_account(index_dir: Path) -> AccountGraph:
    meta = read_meta(index_dir)
    return AccountGraph(
        n_addresses=meta["n_addresses"],
        n_txs=meta["n_txs"],
        addr_out=_adj(index_dir, "addr_out"),
        addr_in=_adj(index_dir, "addr_in"),
        **{k: _mmap(index_dir, k) for k in _EDGE},
    )
