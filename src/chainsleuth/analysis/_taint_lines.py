"""numba pieces every taint model shares: exact apportioning, unit lines, growable tables.

A *line* is a row of units; its tainted part is a sorted list of runs ``(offset, length)``
(two int64 arrays). Cutting a line at segment bounds hands each segment the runs that
fall inside it, in the segment's own offsets. All arithmetic is int64, so ordered models
and haircut conserve exactly.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

Arrays = tuple[Any, ...]


@numba.njit(cache=True)
def grow(table: Any, need: int) -> Any:
    """``table`` (rows x cols) with room for ``need`` rows, doubling when full."""
    if need <= table.shape[0]:
        return table
    bigger = np.zeros((max(need, 2 * table.shape[0]), table.shape[1]), table.dtype)
    bigger[: table.shape[0]] = table
    return bigger


@numba.njit(cache=True)
def _floor_div(a: int, b: int, total: int) -> Arrays:
    """``floor(a * b / total)`` and its remainder, exact for operands below 2**62.

    The float estimate is within a few units; the remainder is recomputed with wrapping
    int64 products, exact because its true value is small.
    """
    q = np.int64(np.floor(np.float64(a) * np.float64(b) / np.float64(total)))
    r = np.int64(a) * np.int64(b) - q * np.int64(total)
    while r < 0:
        q -= 1
        r += total
    while r >= total:
        q += 1
        r -= total
    return q, r


@numba.njit(cache=True)
def apportion(amount: int, weights: Any, total: int) -> Any:
    """Split ``amount`` over ``weights`` (summing to ``total``) pro rata, in whole units.

    Largest remainders get the leftover units (Hamilton's method), ties to the lower
    index, so the parts sum to ``amount`` exactly and each is within one unit of
    ``amount * weight / total`` and never above its weight.
    """
    n = weights.shape[0]
    out = np.zeros(n, np.int64)
    if amount <= 0 or total <= 0:
        return out
    rem = np.zeros(n, np.int64)
    left = amount
    for i in range(n):
        out[i], rem[i] = _floor_div(amount, weights[i], total)
        left -= out[i]
    if left > 0:
        order = np.argsort(-rem, kind="mergesort")
        for k in range(left):
            out[order[k]] += 1
    return out


@numba.njit(cache=True)
def highest_first(amount: int, caps: Any) -> Any:
    """TIHO: fill ``caps`` largest first (ties: lower index) until ``amount`` runs out."""
    out = np.zeros(caps.shape[0], np.int64)
    order = np.argsort(-caps, kind="mergesort")
    left = amount
    for k in range(caps.shape[0]):
        if left <= 0:
            break
        i = order[k]
        out[i] = min(left, caps[i])
        left -= out[i]
    return out


@numba.njit(cache=True)
def mirror(off: Any, ln: Any, width: int) -> Arrays:
    """Runs of a segment read backwards (LIFO): still sorted, in reversed coordinates."""
    n = off.shape[0]
    m_off = np.empty(n, np.int64)
    m_len = np.empty(n, np.int64)
    for k in range(n):
        m_off[k] = width - off[n - 1 - k] - ln[n - 1 - k]
        m_len[k] = ln[n - 1 - k]
    return m_off, m_len


@numba.njit(cache=True)
def cut(off: Any, ln: Any, bounds: Any) -> Arrays:
    """Cut sorted line runs at ``bounds`` (segment ``s`` is ``bounds[s]:bounds[s + 1]``).

    Returns ``(segment, local offset, length)`` per piece; units past the last bound are
    segment ``len(bounds) - 1`` (the tail), with offsets from that bound.
    """
    n_seg = bounds.shape[0] - 1
    cap = off.shape[0] + bounds.shape[0]  # a run splits once per bound it crosses
    seg = np.empty(cap, np.int64)
    p_off = np.empty(cap, np.int64)
    p_len = np.empty(cap, np.int64)
    k, s = 0, 0
    for r in range(off.shape[0]):
        a, b = off[r], off[r] + ln[r]
        while a < b:
            while s < n_seg and a >= bounds[s + 1]:
                s += 1
            end = b if s == n_seg else min(b, bounds[s + 1])
            seg[k], p_off[k], p_len[k] = s, a - bounds[s], end - a
            k += 1
            a = end
    return seg[:k], p_off[:k], p_len[:k]


@numba.njit(cache=True)
def normalize(off: Any, ln: Any) -> Arrays:
    """Sort runs and merge overlapping or touching ones (a start coin reached again)."""
    order = np.argsort(off, kind="mergesort")
    o2 = np.empty(off.shape[0], np.int64)
    l2 = np.empty(off.shape[0], np.int64)
    k = -1
    for i in order:
        a, b = off[i], off[i] + ln[i]
        if k >= 0 and a <= o2[k] + l2[k]:
            l2[k] = max(l2[k], b - o2[k])
        else:
            k += 1
            o2[k], l2[k] = a, b - a
    return o2[: k + 1], l2[: k + 1]
