"""The address -> address money-flow graph that neighbour and path search walk.

Address A links to address B when a transaction spends a coin of A and pays B (UTXO) or
an edge moves value from A to B (account). The graph is kept twice, once per direction
(:class:`FlowCsr`): per address its *pairs* (one per peer, sorted by peer, with the total
value) and per pair its *hops* (one per transaction, chain order, with the value moved in
it), so a search can use the totals or re-add the hops a filter keeps. Self-flows
(change back to the paying address) are left out.

UTXO value of a hop is the usual proportional estimate (GraphSense's address relations):
B's output times A's share of the transaction's input value, rounded down to whole base
units. A transaction with ``i`` input and ``o`` output addresses yields ``i * o`` hops;
beyond ``max_pairs_per_tx`` only the largest outputs are linked (``cap // i`` of them, at
least one, and the ``cap`` largest inputs if ``i`` alone exceeds it), so a 5,000 x 5,000
CoinJoin costs ``cap`` hops, not 25 million; :attr:`FlowGraph.n_capped_txs` counts them.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

import numba
import numpy as np
import numpy.typing as npt

from chainsleuth.analysis.graph import NO_ID, AccountGraph, UtxoGraph

I64 = npt.NDArray[np.int64]
U32 = npt.NDArray[np.uint32]
F64 = npt.NDArray[np.float64]

DEFAULT_MAX_PAIRS = 10_000
_CHUNK_TXS = 1 << 20


@dataclass(frozen=True, eq=False)
class FlowCsr:
    """One direction of the flow graph.

    Address ``a`` has pairs ``addr_ptr[a]:addr_ptr[a + 1]``; pair ``p`` reaches ``peer[p]``
    with ``value[p]`` in total over hops ``hop_ptr[p]:hop_ptr[p + 1]``, hop ``h`` moving
    ``hop_value[h]`` in transaction ``hop_tx[h]``.
    """

    addr_ptr: I64
    peer: U32
    value: F64
    hop_ptr: I64
    hop_tx: U32
    hop_value: F64


@dataclass(frozen=True, eq=False)
class FlowGraph:
    """Money flow between addresses: ``out`` (where each address sent) and ``inc`` (who
    paid it); ``tx_time`` (unix seconds per tx) serves time-window filters."""

    n_addresses: int
    tx_time: npt.NDArray[np.int64]
    out: FlowCsr
    inc: FlowCsr
    n_capped_txs: int = 0

    @property
    def n_pairs(self) -> int:
        return len(self.out.peer)

    @property
    def n_hops(self) -> int:
        return len(self.out.hop_tx)


@numba.njit(cache=True)
def _stable_by(keys: U32, n_buckets: int, order: I64) -> I64:
    """``order`` re-sorted stably by ``keys[order]`` (one counting-sort pass)."""
    count = np.zeros(n_buckets + 1, np.int64)
    for i in range(order.shape[0]):
        count[keys[order[i]] + 1] += 1
    for b in range(n_buckets):
        count[b + 1] += count[b]
    out = np.empty_like(order)
    for i in range(order.shape[0]):
        k = keys[order[i]]
        out[count[k]] = order[i]
        count[k] += 1
    return out


def _direction(n: int, n_txs: int, hops: tuple[U32, U32, U32, F64]) -> FlowCsr:
    """Group hops (src, dst, tx, value) by (src, dst, tx) into one direction's CSR (LSD
    radix sort, three counting passes: O(hops + addresses + txs))."""
    src, dst, tx, value = hops
    order = np.arange(len(src), dtype=np.int64)
    for keys, buckets in ((tx, n_txs), (dst, n), (src, n)):
        order = _stable_by(keys, buckets, order)
    s, d, t = src[order], dst[order], tx[order]
    new_hop = np.ones(len(s), np.bool_)
    new_hop[1:] = (s[1:] != s[:-1]) | (d[1:] != d[:-1]) | (t[1:] != t[:-1])
    hop_start = np.flatnonzero(new_hop)
    hop_value = np.add.reduceat(value[order], hop_start) if len(s) else np.zeros(0)
    s, d, t = s[hop_start], d[hop_start], t[hop_start]
    new_pair = np.ones(len(s), np.bool_)
    new_pair[1:] = (s[1:] != s[:-1]) | (d[1:] != d[:-1])
    pair_start = np.flatnonzero(new_pair)
    hop_ptr = np.append(pair_start, len(s)).astype(np.int64)
    addr_ptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(s[pair_start], minlength=n), out=addr_ptr[1:])
    return FlowCsr(
        addr_ptr=addr_ptr,
        peer=d[pair_start],
        value=np.add.reduceat(hop_value, pair_start) if len(s) else np.zeros(0),
        hop_ptr=hop_ptr,
        hop_tx=t,
        hop_value=hop_value,
    )


def _flow(n: int, hops: tuple[U32, U32, U32, F64], tx_time: I64, *, capped: int = 0) -> FlowGraph:
    src, dst, tx, value = hops
    keep = (src != NO_ID) & (dst != NO_ID) & (tx != NO_ID) & (src != dst)
    src, dst, tx, value = src[keep], dst[keep], tx[keep], value[keep]
    n_txs = len(tx_time)
    return FlowGraph(
        n_addresses=n,
        tx_time=tx_time,
        out=_direction(n, n_txs, (src, dst, tx, value)),
        inc=_direction(n, n_txs, (dst, src, tx, value)),
        n_capped_txs=capped,
    )


def _per_tx_groups(tx: I64, addr: U32, value: I64, n_txs: int) -> tuple[I64, U32, F64, I64]:
    """One row per (tx, address), summed, sorted by tx then value (largest first).

    Returns the rows' tx, address, value and each tx's first row (``n_txs + 1`` long).
    """
    key = (tx.astype(np.uint64) << np.uint64(32)) | addr.astype(np.uint64)
    uniq, inverse = np.unique(key, return_inverse=True)
    weights = value.astype(np.float64)
    total = np.asarray(np.bincount(inverse, weights=weights, minlength=len(uniq)), np.float64)
    g_tx = (uniq >> np.uint64(32)).astype(np.int64)
    order = np.lexsort((-total, g_tx))
    start = np.zeros(n_txs + 1, np.int64)
    np.cumsum(np.bincount(g_tx, minlength=n_txs), out=start[1:])
    return g_tx[order], (uniq[order] & np.uint64(0xFFFFFFFF)).astype(np.uint32), total[order], start


def _share(out: F64, part: F64, total: F64) -> F64:
    """``floor(out * part / total)``, exact in int64 where the product fits (nearly always)."""
    o, p, t = out.astype(np.int64), part.astype(np.int64), np.maximum(total, 1).astype(np.int64)
    fits = o <= np.iinfo(np.int64).max // np.maximum(p, 1)
    exact = np.where(fits, o * np.where(fits, p, 0), 0) // t
    return np.where(fits, exact, np.floor(out * (part / np.maximum(total, 1)))).astype(np.float64)


def _utxo_chunk(g: UtxoGraph, t0: int, t1: int, cap: int) -> tuple[U32, U32, U32, F64, int]:
    """Hops of transactions ``t0:t1``: input addresses x output addresses per tx."""
    n = t1 - t0
    i0, i1 = g.in_start[t0], g.in_start[t1]
    o0, o1 = g.out_start[t0], g.out_start[t1]
    in_tx = np.repeat(np.arange(n, dtype=np.int64), np.diff(g.in_start[t0 : t1 + 1]))
    out_tx = np.repeat(np.arange(n, dtype=np.int64), np.diff(g.out_start[t0 : t1 + 1]))
    ok_in = (g.in_addr[i0:i1] != NO_ID) & (g.in_value[i0:i1] >= 0)
    ok_out = g.out_addr[o0:o1] != NO_ID
    a_tx, a_addr, a_val, a_start = _per_tx_groups(
        in_tx[ok_in], g.in_addr[i0:i1][ok_in], g.in_value[i0:i1][ok_in], n
    )
    _, b_addr, b_val, b_start = _per_tx_groups(
        out_tx[ok_out], g.out_addr[o0:o1][ok_out], g.out_value[o0:o1][ok_out], n
    )
    n_in, n_out = np.diff(a_start), np.diff(b_start)
    over = n_in * n_out > cap
    m_out = np.where(over, np.minimum(n_out, np.maximum(1, cap // np.maximum(n_in, 1))), n_out)
    m_in = np.where(over, np.minimum(n_in, np.maximum(1, cap // np.maximum(m_out, 1))), n_in)
    in_total = np.asarray(np.bincount(a_tx, weights=a_val, minlength=n), np.float64)
    rank = np.arange(len(a_tx)) - a_start[a_tx]
    kept = rank < m_in[a_tx]
    a_tx, a_addr, a_val = a_tx[kept], a_addr[kept], a_val[kept]
    reps = m_out[a_tx]
    first = np.cumsum(reps) - reps
    src_row = np.repeat(np.arange(len(a_tx)), reps)
    out_row = b_start[a_tx][src_row] + np.arange(int(reps.sum())) - first[src_row]
    value = _share(b_val[out_row], a_val[src_row], in_total[a_tx][src_row])
    tx = (a_tx[src_row] + t0).astype(np.uint32)
    return a_addr[src_row], b_addr[out_row], tx, value, int(over.sum())


def utxo_flow_graph(g: UtxoGraph, *, max_pairs_per_tx: int = DEFAULT_MAX_PAIRS) -> FlowGraph:
    """The flow graph of a UTXO chain (see the module notes on value and the per-tx cap)."""
    parts = [
        _utxo_chunk(g, t0, min(t0 + _CHUNK_TXS, g.n_txs), max_pairs_per_tx)
        for t0 in range(0, g.n_txs, _CHUNK_TXS)
    ]
    src, dst, tx, value = (
        np.concatenate([p[k] for p in parts]) if parts else np.zeros(0, dt)
        for k, dt in enumerate((np.uint32, np.uint32, np.uint32, np.float64))
    )
    capped = sum(p[4] for p in parts)
    return _flow(g.n_addresses, (src, dst, tx, value), g.tx_time, capped=capped)


def account_flow_graph(g: AccountGraph, *, asset: int = int(NO_ID)) -> FlowGraph:
    """The flow graph of one asset of an account chain (NO_ID: the native coin; else the
    token contract's addr_id). Values are float64 base units: exact up to 2**53, about
    16 significant digits beyond; edges without a transaction (block rewards) are left out.
    """
    keep = g.edge_token == np.uint32(asset)
    tx_time = np.zeros(g.n_txs, np.int64)
    has_tx = g.edge_tx != NO_ID
    tx_time[g.edge_tx[has_tx]] = g.edge_time[has_tx]
    hops = (g.edge_src[keep], g.edge_dst[keep], g.edge_tx[keep], g.edge_value[keep])
    return _flow(g.n_addresses, hops, tx_time)


def save_flow_graph(flow: FlowGraph, folder: Path) -> None:
    """Write ``flow`` as ``.npy`` files into ``folder`` (for :func:`load_flow_graph`)."""
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / "tx_time.npy", flow.tx_time)
    np.save(folder / "meta.npy", np.array([flow.n_addresses, flow.n_capped_txs], np.int64))
    for name in ("out", "inc"):
        csr = getattr(flow, name)
        for f in fields(FlowCsr):
            np.save(folder / f"{name}.{f.name}.npy", getattr(csr, f.name))


def load_flow_graph(folder: Path) -> FlowGraph:
    """A flow graph written by :func:`save_flow_graph`, memory-mapped."""

    def csr(name: str) -> FlowCsr:
        arrays = {
            f.name: np.load(folder / f"{name}.{f.name}.npy", mmap_mode="r") for f in fields(FlowCsr)
        }
        return FlowCsr(**arrays)

    n, capped = np.load(folder / "meta.npy").tolist()
    return FlowGraph(
        n_addresses=n,
        tx_time=np.load(folder / "tx_time.npy", mmap_mode="r"),
        out=csr("out"),
        inc=csr("inc"),
        n_capped_txs=capped,
    )
