"""numba walks of the UTXO taint models (TRACING.md), one transaction at a time.

Forward pops transactions in ascending id from a heap, so every input's taint is final
when its spender runs (backward, in ``_taint_utxo_back``, mirrors it). Traced coins sit
in a ``coins`` table (one int64 row each, columns ``C_*``) found through a typed dict
from output row to slot; ordered models keep the coin's tainted runs in ``runs``
(``C_RP``/``C_RN`` point into it).

Tuples keep the signatures short: ``g`` = (out_start, in_start, in_prev, in_value,
out_value, out_addr, out_spent, tx_time, tx_coinbase, in_addr); ``opt`` = (cluster,
stop_addr, max_hops, dust, t_lo, t_hi, model, proportional).
"""

# ruff: noqa: PLR0917  (numba kernels take their arrays positionally)
from __future__ import annotations

import heapq
from typing import Any

import numba
import numpy as np
from numba import types
from numba.typed import Dict, List

from chainsleuth.analysis._taint_lines import (
    apportion,
    cut,
    grow,
    highest_first,
    mirror,
    normalize,
)

Arrays = tuple[Any, ...]

POISON, HAIRCUT, FIFO, LIFO, TIHO = 0, 1, 2, 3, 4
FOLLOWED, UNSPENT, HOP, DUST, TIME, LABEL, ORIGIN, PENDING = 0, 1, 2, 3, 4, 5, 6, 7
C_ROW, C_TAINT, C_HOP, C_STATUS, C_NEXT, C_RP, C_RN = 0, 1, 2, 3, 4, 5, 6
_NO_ID = 0xFFFFFFFF
_FAR = 1 << 62


@numba.njit(cache=True, inline="always")
def _slot(index: Any, row: int) -> int:
    return index[row] if row in index else -1  # noqa: SIM401 (typed dict .get is Optional)


@numba.njit(cache=True)
def _reason(coins: Any, s: int, t: int, g: Arrays, opt: Arrays) -> int:
    """Why coin ``s`` is not followed into tx ``t`` (FOLLOWED when it is)."""
    hop, taint = coins[s, C_HOP], coins[s, C_TAINT]
    if hop >= opt[2]:
        return HOP
    if taint < opt[3]:
        return DUST
    if g[7][t] < opt[4] or g[7][t] >= opt[5]:
        return TIME
    if opt[1].shape[0] > 0 and hop > 0:
        a = g[5][coins[s, C_ROW]]
        if a != _NO_ID and opt[1][a]:
            return LABEL
    return FOLLOWED


@numba.njit(cache=True)
def _put(st: Arrays, row: int, taint: int, hop: int, r_off: Any, r_len: Any, value: int) -> Arrays:
    """Add taint to coin ``row`` (new, or a start coin reached again); returns the state
    and the units lost to overlap (taint capped by the coin, runs merged)."""
    coins, runs, nc, nr, index, ordered = st
    s = _slot(index, row)
    lost = 0
    if s < 0:
        s = nc
        coins = grow(coins, nc + 1)
        coins[s, C_ROW], coins[s, C_HOP], coins[s, C_NEXT] = row, hop, -1
        coins[s, C_STATUS] = PENDING
        index[row] = s
        nc += 1
    else:
        hop = min(hop, coins[s, C_HOP])
        coins[s, C_HOP] = hop
    if ordered:
        p, n = coins[s, C_RP], coins[s, C_RN]
        o2, l2 = normalize(
            np.concatenate((runs[p : p + n, 0], r_off)), np.concatenate((runs[p : p + n, 1], r_len))
        )
        runs = grow(runs, nr + o2.shape[0])
        runs[nr : nr + o2.shape[0], 0] = o2
        runs[nr : nr + o2.shape[0], 1] = l2
        coins[s, C_RP], coins[s, C_RN] = nr, o2.shape[0]
        nr += o2.shape[0]
        total = coins[s, C_TAINT] + taint
        coins[s, C_TAINT] = l2.sum()
    else:
        total = coins[s, C_TAINT] + taint
        coins[s, C_TAINT] = min(total, value)
    lost = total - coins[s, C_TAINT]
    return (coins, runs, nc, nr, index, ordered), lost


@numba.njit(cache=True)
def _coin_runs(st: Arrays, s: int, width: int, backwards: bool) -> Arrays:
    coins, runs = st[0], st[1]
    p, n = coins[s, C_RP], coins[s, C_RN]
    if backwards:
        return mirror(runs[p : p + n, 0], runs[p : p + n, 1], width)
    return runs[p : p + n, 0].copy(), runs[p : p + n, 1].copy()


@numba.njit(cache=True)
def _hops(base: int, slots: Any, peer_addr: Any, st: Arrays, g: Arrays, opt: Arrays) -> Any:
    """Hop of each new coin: ``base`` + 1, or at cluster level the hop of a followed coin
    of the same cluster (value staying inside a cluster is no hop)."""
    out = np.full(peer_addr.shape[0], base + 1, np.int64)
    cluster = opt[0]
    if cluster.shape[0] == 0:
        return out
    for k in range(peer_addr.shape[0]):
        a = peer_addr[k]
        if a == _NO_ID:
            continue
        for s in slots:
            b = g[5][st[0][s, C_ROW]]
            if b != _NO_ID and cluster[b] == cluster[a]:
                out[k] = min(out[k], st[0][s, C_HOP])
    return out


@numba.njit(cache=True)
def _follow(st: Arrays, rows: Any, t: int, g: Arrays, opt: Arrays) -> Any:
    """Decide the pending coins among ``rows`` entering tx ``t``; slot per row (-1: none)."""
    coins, index = st[0], st[4]
    slot = np.full(rows.shape[0], -1, np.int64)
    for k in range(rows.shape[0]):
        s = _slot(index, rows[k]) if rows[k] >= 0 else -1
        if s < 0 or coins[s, C_STATUS] != PENDING:
            continue
        r = _reason(coins, s, t, g, opt)
        coins[s, C_STATUS] = r
        if r == FOLLOWED:
            coins[s, C_NEXT] = t
            slot[k] = s
    return slot


@numba.njit(cache=True)
def _line(st: Arrays, slot: Any, w: Any, kept: Any, order: Any, lifo: bool) -> Arrays:
    """Lay the followed segments end to end in ``order``, each cut to its ``kept`` head;
    returns the line runs and the tainted units cut off (the proportional fee)."""
    n_runs = 0
    for k in range(slot.shape[0]):
        if slot[k] >= 0:
            n_runs += st[0][slot[k], C_RN]
    off = np.empty(n_runs, np.int64)
    ln = np.empty(n_runs, np.int64)
    m, base, dropped = 0, 0, 0
    for k in order:
        if slot[k] >= 0:
            ro, rl = _coin_runs(st, slot[k], w[k], lifo)
            for r in range(ro.shape[0]):
                keep = max(0, min(rl[r], kept[k] - ro[r]))
                dropped += rl[r] - keep
                if keep > 0:
                    off[m], ln[m] = base + ro[r], keep
                    m += 1
        base += kept[k]
    return off[:m], ln[:m], dropped


@numba.njit(cache=True)
def _bounds(widths: Any, order: Any) -> Any:
    b = np.zeros(widths.shape[0] + 1, np.int64)
    for i in range(order.shape[0]):
        b[i + 1] = b[i] + widths[order[i]]
    return b


@numba.njit(cache=True)
def _fwd_amounts(
    st: Arrays, slot: Any, w: Any, f: Any, outv: Any, total: int, opt: Arrays
) -> Arrays:
    """Output taints and tainted fee for poison, haircut and TIHO (forward)."""
    model = opt[6]
    fee = total - outv.sum()
    t_in = np.zeros(slot.shape[0], np.int64)
    for k in range(slot.shape[0]):
        if slot[k] >= 0:
            t_in[k] = st[0][slot[k], C_TAINT]
    taint = t_in.sum()
    if model == POISON:
        return outv.copy(), fee
    if model == HAIRCUT:
        sh = apportion(taint, np.append(outv, fee), total)
        return sh[:-1], sh[-1]
    fee_t = 0
    for k in range(slot.shape[0]):
        if slot[k] >= 0:
            fee_t += max(0, f[k] - (w[k] - t_in[k]))  # TIHO: fees eat clean units first
    outs = highest_first(taint - fee_t, outv)
    return outs, taint - outs.sum()


@numba.njit(cache=True)
def _pieces_by_seg(n_seg: int, seg: Any) -> Any:
    ptr = np.zeros(n_seg + 2, np.int64)
    for s in seg:
        ptr[s + 1] += 1
    return np.cumsum(ptr)


@numba.njit(cache=True)
def new_state(ordered: bool) -> Arrays:
    """An empty coin table, run table and index."""
    index = Dict.empty(key_type=types.int64, value_type=types.int64)
    return (np.zeros((64, 7), np.int64), np.zeros((64, 2), np.int64), 0, 0, index, ordered)


@numba.njit(cache=True)
def seed(st: Arrays, rows: Any, taint: Any, ptr: Any, r_off: Any, r_len: Any, g: Arrays) -> Arrays:
    """Put the start coins (hop 0) into the state; returns it and the overlap lost."""
    lost = 0
    for k in range(rows.shape[0]):
        a, b = ptr[k], ptr[k + 1]
        st, x = _put(st, rows[k], taint[k], 0, r_off[a:b], r_len[a:b], g[4][rows[k]])
        lost += x
    return st, lost


@numba.njit(cache=True)
def forward(st: Arrays, g: Arrays, opt: Arrays) -> Arrays:
    """Walk forward from the seeded coins; returns (state, txs table, overlap lost)."""
    out_start, in_start, in_prev, in_value, out_value, out_addr, out_spent = g[:7]
    model, prop = opt[6], opt[7]
    ordered = FIFO <= model <= LIFO
    heap = List.empty_list(types.int64)
    for s in range(st[2]):
        sp = out_spent[st[0][s, C_ROW]]
        if sp == _NO_ID:
            st[0][s, C_STATUS] = UNSPENT
        else:
            heapq.heappush(heap, np.int64(sp))
    txs = np.zeros((64, 4), np.int64)
    nx, last, lost = 0, -1, 0
    while len(heap) > 0:
        t = heapq.heappop(heap)
        if t == last:
            continue
        last = t
        i0, i1, o0, o1 = in_start[t], in_start[t + 1], out_start[t], out_start[t + 1]
        slot = _follow(st, in_prev[i0:i1], t, g, opt)
        if slot.max() < 0:
            continue
        hmin, taint = _FAR, 0
        for s in slot:
            if s >= 0:
                hmin = min(hmin, st[0][s, C_HOP])
                taint += st[0][s, C_TAINT]
        w = np.maximum(in_value[i0:i1], 0)
        outv = out_value[o0:o1]
        total = max(w.sum(), outv.sum())
        fee = total - outv.sum()
        f = apportion(min(fee, w.sum()), w, w.sum()) if prop else np.zeros(w.shape[0], np.int64)
        n_out = o1 - o0
        p_ptr = np.zeros(n_out + 2, np.int64)
        p_off = np.zeros(0, np.int64)
        p_len = np.zeros(0, np.int64)
        if ordered:
            order = np.arange(w.shape[0])[::-1] if model == LIFO else np.arange(w.shape[0])
            l_off, l_len, fee_t = _line(st, slot, w, w - f, order, model == LIFO)
            seg, p_off, p_len = cut(l_off, l_len, _bounds(outv, np.arange(n_out)))
            p_ptr = _pieces_by_seg(n_out, seg)
            outs = np.zeros(n_out, np.int64)
            for k in range(seg.shape[0]):
                if seg[k] < n_out:
                    outs[seg[k]] += p_len[k]
                else:
                    fee_t += p_len[k]
        else:
            outs, fee_t = _fwd_amounts(st, slot, w, f, outv, total, opt)
        hops = _hops(hmin, slot[slot >= 0], out_addr[o0:o1], st, g, opt)
        txs = grow(txs, nx + 1)
        txs[nx, 0], txs[nx, 1], txs[nx, 2], txs[nx, 3] = t, hmin + 1, taint, fee_t
        nx += 1
        for k in range(n_out):
            if outs[k] <= 0:
                continue
            row = o0 + k
            a, b = p_ptr[k], p_ptr[k + 1]
            fresh = row not in st[4]
            st, x = _put(st, row, outs[k], hops[k], p_off[a:b], p_len[a:b], outv[k])
            lost += x
            if fresh:
                sp = out_spent[row]
                if sp == _NO_ID:
                    st[0][st[4][row], C_STATUS] = UNSPENT
                else:
                    heapq.heappush(heap, np.int64(sp))
    return st, txs[:nx], lost
