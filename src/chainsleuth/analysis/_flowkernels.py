"""numba kernels shared by neighbour and path search: expanding one node of a flow graph.

Arrays travel as tuples so that every kernel takes the same few arguments:

- ``csr``: one :class:`~chainsleuth.analysis.flowgraph.FlowCsr` direction,
  ``(addr_ptr, peer, value, hop_ptr, hop_tx, hop_value)``;
- ``flt``: ``(tx_time, tx_excluded, t0, t1, min_value, use_hops)``; ``tx_excluded`` may be
  empty; ``use_hops`` says whether hops must be re-added (a tx or time filter is set);
- ``grp``: ``(group, member_ptr, member_ids)``; an empty ``group`` means address level,
  else nodes are clusters (``group[addr]``) expanded through their members;
- a *mark set* ``(stamp, slot, epoch)``: node ``v`` is in the set when ``stamp[v]`` equals
  the set's current epoch, so a new search starts by bumping the epoch instead of clearing
  an array the size of the chain.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

Arrays = tuple[Any, ...]
_EPOCH_LIMIT = 0xFFFFFFFE


@numba.njit(cache=True)
def bump(marks: Arrays) -> int:
    """Start a new epoch of a mark set (clearing it only when the counter wraps)."""
    stamp, _, epoch = marks
    e = int(epoch[0]) + 1
    if e >= _EPOCH_LIMIT:
        stamp[:] = 0
        e = 1
    epoch[0] = e
    return e


@numba.njit(cache=True, inline="always")
def _hop_ok(h: int, csr: Arrays, flt: Arrays) -> bool:
    t = csr[4][h]
    if flt[1].shape[0] > 0 and flt[1][t]:
        return False
    when = flt[0][t]
    return bool(when >= flt[2] and when < flt[3])


@numba.njit(cache=True)
def scratch(size: int) -> Arrays:
    """Buffers :func:`expand` writes into: (peers, values, tx counts)."""
    return np.empty(size, np.int64), np.empty(size, np.float64), np.empty(size, np.int64)


@numba.njit(cache=True)
def room(v: int, csr: Arrays, ctx: Arrays) -> int:
    """The buffer size :func:`expand` needs for node ``v``."""
    ptr, hop_ptr, grp = csr[0], csr[3], ctx[3]
    if grp[0].shape[0] == 0:
        return int(ptr[v + 1] - ptr[v])
    total = 0
    for i in range(grp[1][v], grp[1][v + 1]):
        m = grp[2][i]
        total += hop_ptr[ptr[m + 1]] - hop_ptr[ptr[m]]
    return int(total)


@numba.njit(cache=True)
def _expand_address(v: int, csr: Arrays, flt: Arrays, buf: Arrays) -> int:
    ptr, peer, value, hop_ptr, _, hop_value = csr
    peers, vals, cnts = buf
    k = 0
    for p in range(ptr[v], ptr[v + 1]):
        if flt[5]:
            val, c = 0.0, 0
            for h in range(hop_ptr[p], hop_ptr[p + 1]):
                if _hop_ok(h, csr, flt):
                    val += hop_value[h]
                    c += 1
        else:
            val, c = value[p], hop_ptr[p + 1] - hop_ptr[p]
        if c > 0 and val >= flt[4]:
            peers[k], vals[k], cnts[k] = peer[p], val, c
            k += 1
    return k


@numba.njit(cache=True)
def _expand_cluster(v: int, csr: Arrays, ctx: Arrays, buf: Arrays) -> int:
    ptr, peer, _, hop_ptr, hop_tx, hop_value = csr
    flt, (group, mptr, mids), agg = ctx[2], ctx[3], ctx[5]
    stamp, slot, _ = agg
    peers, vals, cnts = buf
    e = bump(agg)
    keys = np.empty(peers.shape[0], np.uint64)
    nc, nk = 0, 0
    for i in range(mptr[v], mptr[v + 1]):
        m = mids[i]
        for p in range(ptr[m], ptr[m + 1]):
            w = group[peer[p]]
            if w == v:
                continue
            for h in range(hop_ptr[p], hop_ptr[p + 1]):
                if flt[5] and not _hop_ok(h, csr, flt):
                    continue
                if stamp[w] != e:
                    stamp[w], slot[w] = e, nc
                    peers[nc], vals[nc], cnts[nc] = w, 0.0, 0
                    nc += 1
                s = slot[w]
                vals[s] += hop_value[h]
                keys[nk] = (np.uint64(s) << np.uint64(32)) | np.uint64(hop_tx[h])
                nk += 1
    # distinct transactions per neighbour: a tx linking several member pairs counts once
    keys = np.sort(keys[:nk])
    for j in range(nk):
        if j == 0 or keys[j] != keys[j - 1]:
            cnts[keys[j] >> np.uint64(32)] += 1
    k = 0
    for j in range(nc):
        if vals[j] >= flt[4]:
            peers[k], vals[k], cnts[k] = peers[j], vals[j], cnts[j]
            k += 1
    return k


@numba.njit(cache=True)
def expand(v: int, csr: Arrays, ctx: Arrays, buf: Arrays) -> int:
    """Node ``v``'s neighbours in one direction after filters, written to the start of
    ``buf`` (peers, values, tx counts), which must hold :func:`room` entries; returns
    how many. Callers keep one buffer and grow it rarely: no allocation per node."""
    if ctx[3][0].shape[0] == 0:
        return _expand_address(v, csr, ctx[2], buf)
    return _expand_cluster(v, csr, ctx, buf)


@numba.njit(cache=True)
def top(vals: Any, k: int) -> Any:
    """Positions of the ``k`` largest values (ties: earlier first)."""
    return np.argsort(-vals, kind="mergesort")[:k]


@numba.njit(cache=True)
def hop_txs(src: int, dst: int, csr: Arrays, flt: Arrays, grp: Arrays) -> Arrays:
    """The transactions moving money from node ``src`` to node ``dst`` (``csr`` = out)."""
    ptr, peer, _, hop_ptr, hop_tx, hop_value = csr
    group, mptr, mids = grp
    clustered = group.shape[0] > 0
    members = mids[mptr[src] : mptr[src + 1]] if clustered else np.array([src], np.uint32)
    txs = [np.int64(x) for x in range(0)]
    vals = [np.float64(x) for x in range(0)]
    for m in members:
        lo, hi = ptr[m], ptr[m + 1]
        if not clustered:  # peers are sorted: one pair at most
            lo = lo + np.searchsorted(peer[lo:hi], dst)
            hi = min(hi, lo + 1)
        for p in range(lo, hi):
            if (group[peer[p]] if clustered else peer[p]) != dst:
                continue
            for h in range(hop_ptr[p], hop_ptr[p + 1]):
                if not flt[5] or _hop_ok(h, csr, flt):
                    txs.append(np.int64(hop_tx[h]))
                    vals.append(hop_value[h])
    tx_arr, val_arr = np.array(txs), np.array(vals)
    order = np.argsort(tx_arr, kind="mergesort")
    tx_arr, val_arr = tx_arr[order], val_arr[order]
    first = np.ones(tx_arr.shape[0], np.bool_)
    first[1:] = tx_arr[1:] != tx_arr[:-1]
    run = np.cumsum(first) - 1
    sums = np.zeros(int(first.sum()), np.float64)
    for j in range(run.shape[0]):
        sums[run[j]] += val_arr[j]
    return tx_arr[first], sums
