"""numba replay of account-chain taint (TRACING.md, "balances are pools"), float64.

Only addresses that ever hold taint get a slot (typed dict addr -> slot); a slot's
opening balance is summed from the address's own edges when it first receives taint: the
pool a replay from the first edge would hold, where a send never takes a pool below zero.
``missing`` gives per edge the units its sender lacked (data without allocations, rewards
or a history before the first block), so that sum is received − sent + lacked.
Backward traces run the same replay over the time-reversed, direction-swapped edges (see
``taint_account``); ``base`` then holds each address's final pool, so a pool opens at the
one the forward replay shows at that point, and undoing a send that lacked units takes
those units off again (``_peel``): their taint stays with the address, its origin.
Ordered pools (FIFO/LIFO) are a line ``[lo, hi)`` of units, oldest first, whose tainted
runs form a doubly linked list of nodes (``nodes`` columns start, length; ``links``
columns prev, next); a send takes ``[lo, lo + v)`` (FIFO) or ``[hi - v, hi)`` (LIFO).

``g`` = (edge_src, edge_dst, edge_token, edge_value, edge_time, in_ptr, in_idx,
out_ptr, out_idx, base: per address (backward) or empty (forward), lacked: per edge);
``opt`` = (cluster, stop_addr, max_hops,
dust, t_lo, t_hi, model, token, sink status: where taint sent to NO_ID ends).
"""

# ruff: noqa: PLR0917  (numba kernels take their arrays positionally)
from __future__ import annotations

from typing import Any

import numba
import numpy as np
from numba import types
from numba.typed import Dict

from chainsleuth.analysis._taint_lines import grow
from chainsleuth.analysis._taint_utxo_kernels import (
    DUST,
    FIFO,
    FOLLOWED,
    HAIRCUT,
    HOP,
    LABEL,
    LIFO,
    POISON,
    TIME,
)

Arrays = tuple[Any, ...]
# slot columns: balance, taint, hop, received, head node, tail node, lo, hi, origin
# (taint on units the data never shows arriving: backward, see ``_peel``)
S_BAL, S_TAINT, S_HOP, S_RECV, S_HEAD, S_TAIL, S_LO, S_HI, S_ORIG = range(9)
_NO_ID = 0xFFFFFFFF


@numba.njit(cache=True)
def missing(src: Any, dst: Any, tok: Any, val: Any, token: Any, n_addr: Any) -> Arrays:
    """Replay ``token``'s edges in order, no pool below zero: per edge the units its
    sender lacked (data may miss allocations, rewards or fees), and every final pool."""
    pool = np.zeros(n_addr)
    lacked = np.zeros(src.shape[0])
    for e in range(src.shape[0]):
        if tok[e] != token:
            continue
        a, b, v = src[e], dst[e], val[e]
        if a != _NO_ID:  # send, then receive: a transfer to oneself never lacks less
            lacked[e] = max(v - pool[a], 0.0)
            pool[a] = max(pool[a] - v, 0.0)
        if b != _NO_ID:
            pool[b] += v
    return lacked, pool


@numba.njit(cache=True)
def opening(a: Any, e: Any, g: Arrays, token: Any) -> float:
    """Pool of ``a`` in ``token`` before edge ``e``: received − sent + lacked (forward);
    backward the final pool + undone sends (less what they lacked) − undone receipts."""
    back = g[9].shape[0] > 0
    bal = g[9][a] if back else 0.0
    for k in range(g[5][a], g[5][a + 1]):
        x = g[6][k]
        if x < e and g[2][x] == token:
            bal += g[3][x] - (g[10][x] if back else 0.0)
    for k in range(g[7][a], g[7][a + 1]):
        x = g[8][k]
        if x < e and g[2][x] == token:
            bal -= g[3][x] - (0.0 if back else g[10][x])
    return max(bal, 0.0)  # float sums may dip a hair below zero


@numba.njit(cache=True)
def _slot(st: Arrays, a: Any, e: Any, g: Arrays, token: Any) -> Arrays:
    """The slot of ``a``, opening one (clean pool, hop unset) when new."""
    slots, n, index = st[0], st[1], st[2]
    if a in index:
        return st, index[a]
    slots = grow(slots, n + 1)
    bal = opening(a, e, g, token)
    slots[n] = np.array([bal, 0.0, -1.0, 0.0, -1.0, -1.0, 0.0, bal, 0.0])
    index[a] = n
    return (slots, n + 1, index, st[3], st[4], st[5]), n


@numba.njit(cache=True)
def _append(st: Arrays, s: Any, offs: Any, lens: Any, v: Any) -> Arrays:
    """Append ``v`` units to pool ``s``; ``offs``/``lens`` are its tainted runs."""
    slots, nodes, links, nn = st[0], st[3], st[4], st[5]
    nodes = grow(nodes, nn + offs.shape[0])
    links = grow(links, nn + offs.shape[0])
    for k in range(offs.shape[0]):
        nodes[nn, 0], nodes[nn, 1] = slots[s, S_HI] + offs[k], lens[k]
        tail = int(slots[s, S_TAIL])
        links[nn, 0], links[nn, 1] = tail, -1
        if tail >= 0:
            links[tail, 1] = nn
        else:
            slots[s, S_HEAD] = nn
        slots[s, S_TAIL] = nn
        nn += 1
    slots[s, S_HI] += v
    return (slots, st[1], st[2], nodes, links, nn)


@numba.njit(cache=True)
def _unlink(slots: Any, links: Any, s: int, x: int) -> None:
    p, q = int(links[x, 0]), int(links[x, 1])
    if p >= 0:
        links[p, 1] = q
    else:
        slots[s, S_HEAD] = q
    if q >= 0:
        links[q, 0] = p
    else:
        slots[s, S_TAIL] = p


@numba.njit(cache=True)
def _take(st: Arrays, s: Any, v: Any, newest: bool) -> Arrays:
    """Remove ``v`` units from pool ``s`` (oldest or newest); their tainted runs, in
    order, with offsets from the start of the taken slice."""
    slots, nodes, links = st[0], st[3], st[4]
    lo = slots[s, S_HI] - v if newest else slots[s, S_LO]
    hi = lo + v
    offs = np.empty(8, np.float64)
    lens = np.empty(8, np.float64)
    m = 0
    x = int(slots[s, S_TAIL] if newest else slots[s, S_HEAD])
    while x >= 0:
        a, b = nodes[x, 0], nodes[x, 0] + nodes[x, 1]
        nxt = int(links[x, 0] if newest else links[x, 1])
        if (newest and b <= lo) or (not newest and a >= hi):
            break
        c, d = max(a, lo), min(b, hi)
        if m == offs.shape[0]:
            offs, lens = np.concatenate((offs, offs)), np.concatenate((lens, lens))
        offs[m], lens[m] = c - lo, d - c
        m += 1
        if newest:
            nodes[x, 1] = c - a
        else:
            nodes[x, 0], nodes[x, 1] = d, b - d
        if nodes[x, 1] <= 0:
            _unlink(slots, links, s, x)
        x = nxt
    if newest:  # sending more than the pool holds: the missing units were clean
        slots[s, S_HI] = lo
        slots[s, S_LO] = min(slots[s, S_LO], lo)
        return offs[:m][::-1].copy(), lens[:m][::-1].copy()
    slots[s, S_LO] = hi
    slots[s, S_HI] = max(slots[s, S_HI], hi)
    return offs[:m], lens[:m]


@numba.njit(cache=True)
def _reason(slots: Any, s: Any, a: Any, carried: Any, when: Any, opt: Arrays) -> int:
    if slots[s, S_HOP] >= opt[2]:
        return HOP
    if carried < opt[3]:
        return DUST
    if when < opt[4] or when >= opt[5]:
        return TIME
    if opt[1].shape[0] > 0 and slots[s, S_HOP] > 0 and opt[1][a]:
        return LABEL
    return FOLLOWED


@numba.njit(cache=True)
def _send(st: Arrays, s: Any, v: Any, model: Any) -> Arrays:
    """Units ``v`` leave pool ``s``; the taint they carry (and runs, for ordered models)."""
    slots = st[0]
    bal = max(slots[s, S_BAL], v)
    slots[s, S_BAL] = bal - v
    empty = np.zeros(0, np.float64)
    if model == HAIRCUT:
        # a send that empties the pool takes all its taint (v * t / v may round off it)
        carried = slots[s, S_TAINT] if v >= bal else v * slots[s, S_TAINT] / bal
        slots[s, S_TAINT] = max(slots[s, S_TAINT] - carried, 0.0)
        return carried, empty, empty
    if model == POISON:
        return (v if slots[s, S_HOP] >= 0 else 0.0), empty, empty
    offs, lens = _take(st, s, v, model == LIFO)
    return lens.sum(), offs, lens


@numba.njit(cache=True)
def _peel(st: Arrays, s: Any, v: Any, model: Any) -> None:
    """Backward: take off pool ``s`` the ``v`` units a forward replay creates when the
    address sends more than it holds. The send took them after every unit it held, so
    they sit at the old end of the line (FIFO: the newest units of the slice; LIFO: its
    bottom); their taint (poison: all of them) has no earlier source in the data and
    stays as origin."""
    carried, _, _ = _send(st, s, v, FIFO if model == LIFO else model)
    st[0][s, S_ORIG] += carried


@numba.njit(cache=True)
def _hop(cluster: Any, a: Any, b: Any, hop: float) -> float:
    both = max(a, b) != _NO_ID  # NO_ID is the largest id
    if cluster.shape[0] > 0 and both and cluster[a] == cluster[b]:
        return hop
    return hop + 1


@numba.njit(cache=True)
def new_state() -> Arrays:
    index = Dict.empty(key_type=types.int64, value_type=types.int64)
    return (np.zeros((16, 9)), 0, index, np.zeros((16, 2)), np.zeros((16, 2)), 0)


@numba.njit(cache=True)
def seed(st: Arrays, a: Any, amount: Any, e: Any, g: Arrays, token: Any, model: Any) -> Arrays:
    """Taint ``amount`` units at ``a`` before edge ``e``, after its clean opening balance
    (raised to ``amount`` when the data shows less; backward those extra units have no
    source in the data: ``model``'s origin at ``a``)."""
    st, s = _slot(st, a, e, g, token)
    slots = st[0]
    lacked = max(amount - slots[s, S_BAL], 0.0)
    clean = max(slots[s, S_BAL] - amount, 0.0)
    slots[s, S_BAL], slots[s, S_HI] = clean, clean
    st = _append(st, s, np.zeros(1), np.full(1, amount), amount)
    st[0][s, S_BAL] += amount
    st[0][s, S_TAINT], st[0][s, S_HOP], st[0][s, S_RECV] = amount, 0.0, amount
    if g[9].shape[0] > 0 and lacked > 0:
        _peel(st, s, lacked, model)
    return st


@numba.njit(cache=True)
def replay(st: Arrays, e0: Any, g: Arrays, opt: Arrays) -> Arrays:
    """Replay edges ``e0..`` of the token; returns (state, items: edge, taint, hop, status)."""
    src, dst, tok, val, when, lacked = g[0], g[1], g[2], g[3], g[4], g[10]
    model, token, back = opt[6], opt[7], g[9].shape[0] > 0
    items = np.zeros((16, 4))
    ni = 0
    for e in range(e0, src.shape[0]):
        if tok[e] != token or (src[e] not in st[2] and dst[e] not in st[2]):
            continue
        v, a, b = val[e], np.int64(src[e]), np.int64(dst[e])
        give, offs, lens, hop = 0.0, np.zeros(0), np.zeros(0), 0.0
        if a in st[2]:
            s = st[2][a]
            carried, offs, lens = _send(st, s, v, model)
            if carried > 0:
                r = _reason(st[0], s, a, carried, when[e], opt)
                hop = _hop(opt[0], a, b, st[0][s, S_HOP])
                items = grow(items, ni + 1)
                items[ni, 0], items[ni, 1], items[ni, 2], items[ni, 3] = e, carried, hop, r
                ni += 1
                if r == FOLLOWED and b == _NO_ID:  # no receiver (minted / unknown)
                    r = opt[8]
                    items[ni - 1, 3] = r
                give = carried if r == FOLLOWED else 0.0
        if b != _NO_ID and (give > 0 or b in st[2]):
            st, d = _slot(st, b, e, g, token)
            if model >= FIFO and give == 0:
                offs, lens = np.zeros(0), np.zeros(0)
            st = _append(st, d, offs, lens, v) if model >= FIFO else st
            slots = st[0]
            slots[d, S_BAL] += v
            if give > 0:
                slots[d, S_TAINT] += give
                slots[d, S_RECV] += give
                if slots[d, S_HOP] < 0:
                    slots[d, S_HOP] = hop
            if back and lacked[e] > 0:  # undoing a send of more than the pool held
                _peel(st, d, lacked[e], model)
    return st, items[:ni]


@numba.njit(cache=True)
def held(st: Arrays, model: Any) -> Arrays:
    """Addresses with a slot (sorted) and their balance, taint held, received and hop."""
    keys = np.empty(st[1], np.int64)
    for a, s in st[2].items():
        keys[s] = a
    slots = st[0][: st[1]]
    out = slots[:, S_TAINT].copy()
    for s in range(st[1]):
        if model == POISON:
            out[s] = slots[s, S_BAL] if slots[s, S_HOP] >= 0 else 0.0
        elif model != HAIRCUT:
            total, x = 0.0, int(slots[s, S_HEAD])
            while x >= 0:
                total += st[3][x, 1]
                x = int(st[4][x, 1])
            out[s] = total
        out[s] += slots[s, S_ORIG]
    order = np.argsort(keys)
    return keys[order], out[order], slots[order, S_RECV].copy(), slots[order, S_HOP].copy()
