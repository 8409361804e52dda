# ruff: noqa: PLR0917  (numba kernels take their arrays positionally)
"""numba walk backward: from tainted coins to the coins their value came from.

The mirror of :func:`chainsleuth.analysis._taint_utxo_kernels.forward`: transactions pop
in descending id, so every output's taint is final when its creator runs; the creator's
inputs' spent coins take the taint (see ``taint_utxo`` for each model's mirror).
"""

from __future__ import annotations

import heapq
from typing import Any

import numba
import numpy as np
from numba import types
from numba.typed import List

from chainsleuth.analysis._taint_lines import apportion, cut, grow, highest_first, mirror
from chainsleuth.analysis._taint_utxo_kernels import (
    C_HOP,
    C_ROW,
    C_STATUS,
    C_TAINT,
    FIFO,
    HAIRCUT,
    LIFO,
    ORIGIN,
    POISON,
    Arrays,
    _bounds,
    _follow,
    _hops,
    _line,
    _pieces_by_seg,
    _put,
)

_FAR = 1 << 62


@numba.njit(cache=True)
def _creator(out_start: Any, row: int) -> int:
    return int(np.searchsorted(out_start, row, side="right")) - 1


@numba.njit(cache=True)
def _back_ordered(st: Arrays, slot: Any, outv: Any, w: Any, f: Any, lifo: bool) -> Arrays:
    """FIFO/LIFO backward: the output line mapped onto the inputs' (kept) units; returns
    per input its runs (pointer, offsets, lengths) and the units no input explains."""
    n_in = w.shape[0]
    l_off, l_len, _ = _line(st, slot, outv, outv, np.arange(outv.shape[0]), False)
    order = np.arange(n_in)[::-1] if lifo else np.arange(n_in)
    seg, p_off, p_len = cut(l_off, l_len, _bounds(w - f, order))
    ptr = _pieces_by_seg(n_in, seg)
    r_ptr = np.zeros(n_in + 1, np.int64)
    r_off = np.empty(p_off.shape[0], np.int64)
    r_len = np.empty(p_off.shape[0], np.int64)
    m = 0
    for j in range(n_in):
        i = n_in - 1 - j if lifo else j  # input j is segment i of the reading order
        o, ln = p_off[ptr[i] : ptr[i + 1]], p_len[ptr[i] : ptr[i + 1]]
        if lifo:
            o, ln = mirror(o, ln, w[j])
        r_off[m : m + o.shape[0]], r_len[m : m + o.shape[0]] = o, ln
        m += o.shape[0]
        r_ptr[j + 1] = m
    return r_ptr, r_off, r_len, p_len[ptr[n_in] : ptr[n_in + 1]].sum()


@numba.njit(cache=True)
def _back_amounts(taint: int, outv: Any, w: Any, f: Any, model: int) -> Arrays:
    """Input taints and the unexplained rest for poison, haircut and TIHO (backward)."""
    total = max(w.sum(), outv.sum())
    if model == POISON:
        return w.copy(), 0
    if model == HAIRCUT:
        sh = apportion(taint, np.append(w, total - w.sum()), total)
        return sh[:-1], sh[-1]
    ins = highest_first(taint, w - f)
    return ins, taint - ins.sum()


@numba.njit(cache=True)
def backward(st: Arrays, g: Arrays, opt: Arrays) -> Arrays:
    """Walk backward from the seeded coins to the coins their value came from; returns
    (state, txs table, overlap lost); txs column 3 is the taint no input explains."""
    out_start, in_start, in_prev, in_value, out_value = g[:5]
    model, prop, n_tx = opt[6], opt[7], out_start.shape[0] - 1
    heap = List.empty_list(types.int64)
    for s in range(st[2]):
        heapq.heappush(heap, np.int64(n_tx - 1 - _creator(out_start, st[0][s, C_ROW])))
    txs = np.zeros((64, 4), np.int64)
    nx, last, lost = 0, -1, 0
    while len(heap) > 0:
        t = n_tx - 1 - heapq.heappop(heap)
        if t == last:
            continue
        last = t
        i0, i1, o0, o1 = in_start[t], in_start[t + 1], out_start[t], out_start[t + 1]
        slot = _follow(st, np.arange(o0, o1), t, g, opt)
        if slot.max() < 0:
            continue
        if g[8][t]:
            for s in slot[slot >= 0]:
                st[0][s, C_STATUS] = ORIGIN
            continue
        hmin, taint = _FAR, 0
        for s in slot[slot >= 0]:
            hmin = min(hmin, st[0][s, C_HOP])
            taint += st[0][s, C_TAINT]
        w = np.maximum(in_value[i0:i1], 0)
        outv = out_value[o0:o1]
        fee = max(w.sum(), outv.sum()) - outv.sum()
        f = apportion(min(fee, w.sum()), w, w.sum()) if prop else np.zeros(w.shape[0], np.int64)
        r_ptr = np.zeros(w.shape[0] + 1, np.int64)
        r_off = np.zeros(0, np.int64)
        r_len = np.zeros(0, np.int64)
        if FIFO <= model <= LIFO:
            r_ptr, r_off, r_len, rest = _back_ordered(st, slot, outv, w, f, model == LIFO)
            ins = np.zeros(w.shape[0], np.int64)
            for j in range(w.shape[0]):
                ins[j] = r_len[r_ptr[j] : r_ptr[j + 1]].sum()
        else:
            ins, rest = _back_amounts(taint, outv, w, f, model)
        for j in range(w.shape[0]):
            if ins[j] > 0 and in_prev[i0 + j] < 0:
                rest += ins[j]
        hops = _hops(hmin, slot[slot >= 0], g[9][i0:i1], st, g, opt)
        txs = grow(txs, nx + 1)
        txs[nx, 0], txs[nx, 1], txs[nx, 2], txs[nx, 3] = t, hmin + 1, taint, rest
        nx += 1
        for j in range(w.shape[0]):
            row = in_prev[i0 + j]
            if ins[j] <= 0 or row < 0:
                continue
            fresh = row not in st[4]
            a, b = r_ptr[j], r_ptr[j + 1]
            st, x = _put(st, row, ins[j], hops[j], r_off[a:b], r_len[a:b], out_value[row])
            lost += x
            if fresh:
                heapq.heappush(heap, np.int64(n_tx - 1 - _creator(out_start, row)))
    return st, txs[:nx], lost
