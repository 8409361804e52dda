"""numba breadth-first search of :mod:`chainsleuth.analysis.neighbours`.

:func:`bfs` is the general search (filters re-adding hops, cluster level, a breadth
limit): it expands each node into a scratch buffer (:func:`_flowkernels.expand`) and
lists every link with its value and transaction count. :func:`bfs_links` is the common
case, address level with no transaction or time filter and no breadth limit, kept as
close to a bare CSR BFS as the answer allows: a node's mark is one uint32 that also
holds its level (:func:`_levels`), links are written as they are met, and the loads a
big graph waits on (the next nodes' pointers and peers, a hub's peers' marks) are
prefetched ahead. Under ``both`` a link whose two ends are expanded is listed from its
sender's out side only, so no later dedup is needed.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
from llvmlite import ir  # type: ignore[import-untyped]  # numba's code generator
from numba.core import cgutils as _cgutils
from numba.extending import intrinsic

from chainsleuth.analysis import _flowkernels as fk

Arrays = tuple[Any, ...]
cgutils: Any = _cgutils  # untyped helpers of numba's code generation
_STAMP_MAX = 0xFFFFFFFF  # stamps are uint32


@numba.njit(cache=True)
def bfs(query: Arrays, ctx: Arrays, visit: Arrays) -> Arrays:
    """``query`` = (start, max depth, breadth or 0, direction bits: 1 out, 2 in)."""
    start, max_depth, k, dirs = query
    out_csr, in_csr, stop = ctx[0], ctx[1], ctx[4]
    stamp = visit[0]
    e = fk.bump(visit)
    nodes, depth, parent = [np.int64(start)], [np.int64(0)], [np.int64(-1)]
    es = [np.int64(x) for x in range(0)]
    et = [np.int64(x) for x in range(0)]
    ev = [np.float64(x) for x in range(0)]
    ec = [np.int64(x) for x in range(0)]
    stamp[start] = e
    head = 0
    buf = fk.scratch(64)
    order = np.zeros(0, np.int64)
    for d in range(max_depth):
        end = len(nodes)
        for i in range(head, end):
            v = nodes[i]
            if i > 0 and stop.shape[0] > 0 and stop[v]:
                continue
            for side in range(2):
                if not (dirs >> side) & 1:
                    continue
                csr = out_csr if side == 0 else in_csr
                need = fk.room(int(v), csr, ctx)
                if need > buf[0].shape[0]:
                    buf = fk.scratch(2 * need)
                n = fk.expand(int(v), csr, ctx, buf)
                peers, vals, cnts = buf
                limited = 0 < k < n
                if limited:
                    order = fk.top(vals[:n], k)
                for jj in range(k if limited else n):
                    j = order[jj] if limited else jj
                    w = peers[j]
                    es.append(v if side == 0 else w)
                    et.append(w if side == 0 else v)
                    ev.append(vals[j])
                    ec.append(cnts[j])
                    if stamp[w] != e:
                        stamp[w] = e
                        nodes.append(w)
                        depth.append(np.int64(d + 1))
                        parent.append(v)
        head = end
        if head == len(nodes):
            break
    return (
        np.array(nodes),
        np.array(depth),
        np.array(parent),
        np.array(es),
        np.array(et),
        np.array(ev),
        np.array(ec),
    )


def _prefetch_intrinsic(typingctx: Any, arr: Any, idx: Any) -> Any:
    """``_prefetch(arr, idx)``: hint the CPU to load ``arr[idx]`` into cache (LLVM
    ``prefetch``: read, keep in all levels, data)."""

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        ary = context.make_array(sig.args[0])(context, builder, args[0])
        at = cgutils.get_item_pointer(context, builder, sig.args[0], ary, [args[1]])
        i8p, i32 = ir.IntType(8).as_pointer(), ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0i8")
        flags = [ir.Constant(i32, 0), ir.Constant(i32, 3), ir.Constant(i32, 1)]
        builder.call(fn, [builder.bitcast(at, i8p), *flags])
        return context.get_dummy_value()

    return numba.types.none(arr, idx), codegen


_prefetch: Any = intrinsic(_prefetch_intrinsic)


@numba.njit(cache=True, inline="always")
def _ahead(nodes: Any, i: int, end: int, csr: Arrays, stamp: Any) -> None:
    """Prefetch what expanding the frontier's next nodes reads, in the order it reads
    it: 16 nodes ahead their ``addr_ptr``; 8 ahead (pointer loaded by now) the start of
    their peers, values and hop pointers; 4 ahead the stamp of their first peer. A BFS
    over a big graph waits on these dependent cache misses, not on arithmetic."""
    ptr, peer, value, hop_ptr = csr[:4]
    if i + 16 < end:
        _prefetch(ptr, nodes[i + 16])
    if i + 8 < end:
        q = ptr[nodes[i + 8]]
        if q < peer.shape[0]:
            _prefetch(peer, q)
            _prefetch(value, q)
            _prefetch(hop_ptr, q)
    if i + 4 < end:
        q = ptr[nodes[i + 4]]
        if q < peer.shape[0]:
            _prefetch(stamp, peer[q])


@numba.njit(cache=True)
def _levels(visit: Arrays, k: int) -> int:
    """Reserve epochs ``base .. base + k`` of a mark set and return ``base``: a node
    reached at level ``d`` is stamped ``base + d``, so one uint32 load says whether it is
    marked (``>= base``) and at which level. Epochs only grow (the set is cleared when
    they would wrap), so a stamp left by an earlier search of any kernel is below
    ``base``, and later searches start above ``base + k``."""
    stamp, _, epoch = visit
    base = int(epoch[0]) + 1
    if base + k > _STAMP_MAX:
        stamp[:] = 0
        base = 1
    epoch[0] = base + k
    return base


@numba.njit(cache=True)
def _grow(buf: Any, need: int) -> Any:
    """``buf`` with room for ``need`` entries (doubling, so growth is amortised)."""
    if need <= buf.shape[0]:
        return buf
    bigger = np.empty(max(need, 2 * buf.shape[0]), buf.dtype)
    bigger[: buf.shape[0]] = buf
    return bigger


@numba.njit(cache=True)
def bfs_links(query: Arrays, out_csr: Arrays, in_csr: Arrays, stop: Any, visit: Arrays) -> Arrays:
    """Unbounded BFS, ``query`` = (start, max depth, direction bits, min value), over
    the out and in CSRs; ``visit`` is a mark set (:func:`_levels`). Per link the loop
    reads the peer and one uint32 stamp, and for a listed link its value and hop count
    (next to the peer: same stretch of each array). Returns nodes, depths, parents and
    the links (source, target, value, tx count)."""
    start, max_depth, dirs, min_value = query
    stamp = visit[0]
    base = _levels(visit, min(max_depth, stamp.shape[0]))
    nodes, parent = np.empty(256, np.int64), np.empty(256, np.int64)
    es, et = np.empty(1024, np.int64), np.empty(1024, np.int64)
    ev, ec = np.empty(1024, np.float64), np.empty(1024, np.int64)
    levels = np.zeros(max_depth + 2, np.int64)
    nodes[0], parent[0], stamp[start] = start, -1, base
    has_stop = stop.shape[0] > 0
    n, nl, head = 1, 0, 0
    for d in range(max_depth):
        end = n
        levels[d + 1] = end
        mark = base + d + 1
        for i in range(head, end):
            v = nodes[i]
            for side in range(2):
                if (dirs >> side) & 1:
                    _ahead(nodes, i, end, out_csr if side == 0 else in_csr, stamp)
            if i > 0 and has_stop and stop[v]:
                continue
            for side in range(2):
                if not (dirs >> side) & 1:
                    continue
                ptr, peer, value, hop_ptr = (out_csr if side == 0 else in_csr)[:4]
                lo, hi = ptr[v], ptr[v + 1]
                nodes, parent = _grow(nodes, n + hi - lo), _grow(parent, n + hi - lo)
                es, et = _grow(es, nl + hi - lo), _grow(et, nl + hi - lo)
                ev, ec = _grow(ev, nl + hi - lo), _grow(ec, nl + hi - lo)
                for p in range(lo, hi):
                    if p + 32 < hi:  # a hub's peers: their stamps are independent misses
                        _prefetch(stamp, peer[p + 32])
                    if min_value > 0 and value[p] < min_value:
                        continue
                    w = peer[p]
                    sw = stamp[w]
                    if sw < base:
                        stamp[w], sw = mark, mark
                        nodes[n], parent[n] = w, v
                        n += 1
                    if side == 1 and dirs == 3:
                        # under both, w -> v is listed by w's out side when w expands
                        lw = sw - base
                        if lw < max_depth and (lw == 0 or not has_stop or not stop[w]):
                            continue
                    es[nl], et[nl] = (v, w) if side == 0 else (w, v)
                    ev[nl], ec[nl] = value[p], hop_ptr[p + 1] - hop_ptr[p]
                    nl += 1
        head = end
        if head == n:
            levels[d + 2 :] = n
            break
    levels[max_depth + 1] = n
    depth = np.empty(n, np.int64)
    for d in range(max_depth + 1):
        depth[levels[d] : levels[d + 1]] = d
    return (nodes[:n].copy(), depth, parent[:n].copy(),
            es[:nl].copy(), et[:nl].copy(), ev[:nl].copy(), ec[:nl].copy())  # fmt: skip
