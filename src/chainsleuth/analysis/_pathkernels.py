"""numba kernels of path search: bidirectional BFS and bounded simple-path DFS.

Side A searches from the source, side B from the target. ``csrs`` = ``(csr1, csr2,
both)``: ``csr1`` is the direction that follows the money in path order (A: out links,
B: in links); undirected search (``both``) also uses ``csr2``, the other one. A hop's
``dir`` is 0 when money moves along the path order and 1 when against it. ``ctx`` is
:class:`~chainsleuth.analysis.flowsearch.Scope`'s kernel tuple.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

from chainsleuth.analysis import _flowkernels as fk

Arrays = tuple[Any, ...]


@numba.njit(cache=True)
def _blocked(w: int, stop: Any, ends: Arrays) -> bool:
    """A stop node may end a path but never lies inside one."""
    return bool(stop.shape[0] > 0 and stop[w] and w != ends[0] and w != ends[1])


@numba.njit(cache=True)
def _neighbours(v: int, csrs: Arrays, ctx: Arrays, buf: Arrays) -> Arrays:
    """Unique neighbours of ``v`` with the direction each was first found in (``peers``
    may be a view of ``buf``: use it before the next expansion), and the buffers."""
    need = max(fk.room(v, csrs[0], ctx), fk.room(v, csrs[1], ctx) if csrs[2] else 0)
    if need > buf[0].shape[0]:
        buf = fk.scratch(2 * need)
    n = fk.expand(v, csrs[0], ctx, buf)
    peers = buf[0][:n]
    dirs = np.zeros(n, np.int64)
    if csrs[2]:
        peers = peers.copy()
        n = fk.expand(v, csrs[1], ctx, buf)
        more = buf[0][:n]
        peers = np.concatenate((peers, more))
        dirs = np.concatenate((dirs, np.ones(more.shape[0], np.int64)))
        order = np.argsort(peers, kind="mergesort")
        first = np.ones(peers.shape[0], np.bool_)
        first[1:] = peers[order][1:] != peers[order][:-1]
        keep = np.sort(order[first])
        peers, dirs = peers[keep], dirs[keep]
    return peers, dirs, buf


@numba.njit(cache=True)
def _level(side: Arrays, head: int, csrs: Arrays, ctx: Arrays, ends: Arrays) -> Arrays:
    """Expand one BFS level of a side; return (own index, other index) of a meeting node.

    ``ends`` = (source, target, other side's marks, other side's epoch).
    """
    nodes, parent, hdir, marks, e = side
    other, oe = ends[2], ends[3]
    end = len(nodes)
    buf = fk.scratch(64)
    for i in range(head, end):
        peers, dirs, buf = _neighbours(nodes[i], csrs, ctx, buf)
        for j in range(peers.shape[0]):
            w = peers[j]
            if marks[0][w] == e or _blocked(w, ctx[4], ends):
                continue
            marks[0][w], marks[1][w] = e, len(nodes)
            nodes.append(w)
            parent.append(np.int64(i))
            hdir.append(dirs[j])
            if other[0][w] == oe:
                return len(nodes) - 1, other[1][w]
    return -1, -1


@numba.njit(cache=True)
def _chain(side: Arrays, i: int) -> Arrays:
    """Nodes from ``i`` back to the side's root, and the direction of each hop."""
    nodes, parent, hdir = side[0], side[1], side[2]
    ns, ds = [nodes[i]], [np.int64(x) for x in range(0)]
    while parent[i] >= 0:
        ds.append(hdir[i])
        i = parent[i]
        ns.append(nodes[i])
    return np.array(ns), np.array(ds)


@numba.njit(cache=True)
def shortest(query: Arrays, ctx: Arrays, ma: Arrays, mb: Arrays) -> Arrays:
    """One path of fewest hops; ``query`` = (source, target, max depth, undirected).

    Each round expands one whole level of the side with the smaller frontier; the first
    meeting is a shortest path (both balls were disjoint before, so none is shorter).
    """
    s, t, max_depth, both = query
    out_csr, in_csr = ctx[0], ctx[1]
    ea, eb = fk.bump(ma), fk.bump(mb)
    a = ([np.int64(s)], [np.int64(-1)], [np.int64(0)], ma, ea)
    b = ([np.int64(t)], [np.int64(-1)], [np.int64(0)], mb, eb)
    ma[0][s], ma[1][s], mb[0][t], mb[1][t] = ea, 0, eb, 0
    if s == t:
        return np.array([s], np.int64), np.zeros(0, np.int64)
    heads, depths = [0, 0], [0, 0]
    hit = (-1, -1)
    while depths[0] + depths[1] < max_depth and hit[0] < 0:
        sizes = (len(a[0]) - heads[0], len(b[0]) - heads[1])
        if sizes[0] == 0 or sizes[1] == 0:
            break
        x = 0 if sizes[0] <= sizes[1] else 1
        own, oth = (a, b) if x == 0 else (b, a)
        csrs = (out_csr, in_csr, both) if x == 0 else (in_csr, out_csr, both)
        end = len(own[0])
        hit = _level(own, heads[x], csrs, ctx, (s, t, oth[3], oth[4]))
        heads[x], depths[x] = end, depths[x] + 1
        if hit[0] >= 0 and x == 1:
            hit = (hit[1], hit[0])
    if hit[0] < 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    na, da = _chain(a, hit[0])
    nb, db = _chain(b, hit[1])
    return np.concatenate((na[::-1], nb[1:])), np.concatenate((da[::-1], db))


@numba.njit(cache=True)
def _distances(query: Arrays, ctx: Arrays, mb: Arrays) -> int:
    """Hops from every node to the target (up to max depth) into ``mb``'s slots."""
    s, t, max_depth, both = query[0], query[1], query[2], query[4]
    csrs = (ctx[1], ctx[0], both)
    eb = fk.bump(mb)
    mb[0][t], mb[1][t] = eb, 0
    frontier = np.array([t], np.int64)
    buf = fk.scratch(64)
    for d in range(1, max_depth + 1):
        nxt = [np.int64(x) for x in range(0)]
        for v in frontier:
            peers, _, buf = _neighbours(v, csrs, ctx, buf)
            for w in peers:
                if mb[0][w] != eb and not _blocked(w, ctx[4], (s, t)):
                    mb[0][w], mb[1][w] = eb, d
                    nxt.append(w)
        frontier = np.array(nxt)
    return eb


@numba.njit(cache=True)
def _grow(buf: Any, top: int, need: int) -> Any:
    if need <= buf.shape[0]:
        return buf
    return np.concatenate((buf[:top], np.empty(max(2 * buf.shape[0], need) - top, buf.dtype)))


@numba.njit(cache=True)
def simple_paths(query: Arrays, ctx: Arrays, ma: Arrays, mb: Arrays) -> Arrays:
    """Simple paths, depth-first; ``query`` = (source, target, max depth, max paths,
    undirected). A node is entered only while the target is still within reach
    (distances from a backward BFS), so the search never wanders where no path ends.
    Returns the paths' nodes and hop directions, concatenated, and node offsets."""
    s, t, max_depth, max_paths, both = query
    csrs = (ctx[0], ctx[1], both)
    eb = _distances(query, ctx, mb)
    ea = fk.bump(ma)
    out_nodes = [np.int64(x) for x in range(0)]
    out_dirs = [np.int64(x) for x in range(0)]
    out_ptr = [np.int64(0)]
    if s == t or mb[0][s] != eb:
        return np.array(out_nodes), np.array(out_dirs), np.array(out_ptr)
    path, pdir = np.empty(max_depth + 1, np.int64), np.empty(max_depth + 1, np.int64)
    base = np.zeros(max_depth + 1, np.int64)
    pos, end = base.copy(), base.copy()
    cand, cdir = np.empty(64, np.int64), np.empty(64, np.int64)
    path[0], ma[0][s] = s, ea
    depth, top, push = 0, 0, True
    buf = fk.scratch(64)
    while depth >= 0:
        if push:  # lay out the candidates of path[depth] above the stack top
            peers, dirs, buf = _neighbours(path[depth], csrs, ctx, buf)
            n = peers.shape[0]
            cand, cdir = _grow(cand, top, top + n), _grow(cdir, top, top + n)
            cand[top : top + n], cdir[top : top + n] = peers, dirs
            base[depth], pos[depth], end[depth] = top, top, top + n
            top, push = top + n, False
        if pos[depth] == end[depth]:
            ma[0][path[depth]] = 0
            top = base[depth]
            depth -= 1
            continue
        c = pos[depth]
        pos[depth] += 1
        w = cand[c]
        if w == t:
            out_nodes.extend(path[: depth + 1])
            out_nodes.append(w)
            out_dirs.extend(pdir[1 : depth + 1])
            out_dirs.append(cdir[c])
            out_ptr.append(np.int64(len(out_nodes)))
            if len(out_ptr) > max_paths:
                break
            continue
        left = max_depth - depth - 1
        if ma[0][w] == ea or mb[0][w] != eb or mb[1][w] > left or _blocked(w, ctx[4], (s, t)):
            continue
        depth += 1
        path[depth], pdir[depth], ma[0][w] = w, cdir[c], ea
        push = True
    return np.array(out_nodes), np.array(out_dirs), np.array(out_ptr)
