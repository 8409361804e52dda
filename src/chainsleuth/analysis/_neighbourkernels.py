"""numba breadth-first search of :mod:`chainsleuth.analysis.neighbours`.

:func:`bfs` is the general search (filters re-adding hops, cluster level, a breadth
limit): it expands each node into a scratch buffer (:func:`_flowkernels.expand`) and
lists every link with its value and transaction count. :func:`bfs_links` is the common
case, address level with no transaction or time filter and no breadth limit, kept as
close to a bare CSR BFS as the answer allows: per link it reads the peer and its mark
and writes one int64, the link's pair index (out pair ``p``; in pair ``q`` as ``-q-1``);
values and counts are gathered afterwards with NumPy. Under ``both`` a link whose two
ends are expanded is listed from its sender's out side only, so no later dedup is needed.
"""

# ruff: noqa: PLR0917  (numba kernels take their arrays positionally)
from __future__ import annotations

from typing import Any

import numba
import numpy as np

from chainsleuth.analysis import _flowkernels as fk

Arrays = tuple[Any, ...]


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


@numba.njit(cache=True)
def _room(buf: Any, need: int) -> Any:
    """``buf`` with room for ``need`` entries. Growing only between levels keeps the
    inner loop free of reallocation (which would keep numba from optimising it)."""
    if need <= buf.shape[0]:
        return buf
    bigger = np.empty(max(need, 2 * buf.shape[0]), buf.dtype)
    bigger[: buf.shape[0]] = buf
    return bigger


@numba.njit(cache=True)
def bfs_links(
    start: int, max_depth: int, dirs: int, out_ptr: Any, out_peer: Any, out_value: Any,
    in_ptr: Any, in_peer: Any, in_value: Any, min_value: float, stop: Any, visit: Arrays,
) -> Arrays:  # fmt: skip
    """Unbounded BFS over the out and in CSRs' ``addr_ptr``, ``peer``, ``value`` (flat
    arguments: cheap to dispatch); ``visit`` is a mark set, its slots keep levels.
    Returns nodes, depths, parents, links (pair ids: out ``p``, in ``-q-1``) and the
    node whose expansion met each link."""
    stamp, level, _ = visit
    e = fk.bump(visit)
    nodes = np.empty(256, np.int64)
    parent = np.empty(256, np.int64)
    links = np.empty(1024, np.int64)
    first = np.zeros(256, np.int64)
    levels = np.zeros(max_depth + 2, np.int64)
    nodes[0], parent[0], stamp[start], level[start] = start, -1, e, 0
    n, nl, head = 1, 0, 0
    for d in range(max_depth):
        end = n
        levels[d + 1] = end
        degree = 0
        for i in range(head, end):
            v = nodes[i]
            degree += (out_ptr[v + 1] - out_ptr[v] if dirs & 1 else 0) + (
                in_ptr[v + 1] - in_ptr[v] if dirs & 2 else 0
            )
        nodes, parent = _room(nodes, n + degree), _room(parent, n + degree)
        links, first = _room(links, nl + degree), _room(first, end + 1)
        for i in range(head, end):
            v = nodes[i]
            if i == 0 or stop.shape[0] == 0 or not stop[v]:
                for side in range(2):
                    if not (dirs >> side) & 1:
                        continue
                    ptr, peer, value = (
                        (out_ptr, out_peer, out_value) if side == 0 else (in_ptr, in_peer, in_value)
                    )
                    for p in range(ptr[v], ptr[v + 1]):
                        if min_value > 0 and value[p] < min_value:
                            continue
                        w = peer[p]
                        if stamp[w] != e:
                            stamp[w], level[w] = e, d + 1
                            nodes[n], parent[n] = w, v
                            n += 1
                        if side == 1 and dirs == 3:
                            # under both, w -> v is listed by w's out side when w expands
                            lw = level[w]
                            if lw < max_depth and (lw == 0 or stop.shape[0] == 0 or not stop[w]):
                                continue
                        links[nl] = p if side == 0 else -p - 1
                        nl += 1
            first[i + 1] = nl
        head = end
        if head == n:
            levels[d + 2 :] = n
            break
    levels[max_depth + 1] = n
    depth = np.empty(n, np.int64)
    for d in range(max_depth + 1):
        depth[levels[d] : levels[d + 1]] = d
    owner = np.empty(nl, np.int64)
    for i in range(head):
        owner[first[i] : first[i + 1]] = nodes[i]
    return nodes[:n].copy(), depth, parent[:n].copy(), links[:nl].copy(), owner
