"""Union-find over 4-byte address ids, compiled with numba.

The cluster id of a set is its smallest member id, as GraphSense does, so results are
deterministic and independent of union order.

:func:`union_groups` is the one-shot form: one uint32 parent array, path halving, and
union by minimum (the larger root goes under the smaller), so every root is already its
set's smallest id. Once the arrays outgrow the CPU cache, memory traffic decides, and one
array that is mostly read beats two (BENCHMARKS.md). :func:`union_traced` works on a
saved parent/size pair with union by size (incremental updates) and returns the union
forest: one edge per merge of two sets, which explains afterwards why two ids share a
cluster.
"""

from __future__ import annotations

import numba
import numpy as np
import numpy.typing as npt

U32 = npt.NDArray[np.uint32]
I64 = npt.NDArray[np.int64]


@numba.njit(cache=True, inline="always")
def _find(parent: U32, x: int) -> int:
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = int(parent[x])
    return x


@numba.njit(cache=True)
def _union_by_min(parent: U32, indptr: I64, indices: U32, use: npt.NDArray[np.bool_]) -> None:
    """Join all members of each used group, always linking the larger root under the smaller.

    So every root is its set's smallest id and ``parent[x] <= x`` throughout: one parent
    array, no size array, and the final labels come from one forward pass.
    """
    for g in range(indptr.shape[0] - 1):
        start, end = indptr[g], indptr[g + 1]
        if not use[g] or end - start < 2:
            continue
        root = _find(parent, int(indices[start]))
        for k in range(start + 1, end):
            other = _find(parent, int(indices[k]))
            if other < root:
                parent[root] = other
                root = other
            elif other > root:
                parent[other] = root


@numba.njit(cache=True)
def _flatten(parent: U32) -> None:
    """Point every id at its root; valid because ``parent[x] <= x`` (see above)."""
    for x in range(parent.shape[0]):
        parent[x] = parent[parent[x]]


@numba.njit(cache=True)
def _union_traced(
    parent: U32,
    size: U32,
    indptr: I64,
    indices: U32,
    use: npt.NDArray[np.bool_],
) -> I64:
    """Like :func:`_union_groups`; returns the element index ``k`` of every merge."""
    edge_elem = np.empty(indices.shape[0], np.int64)
    n_edges = 0
    for g in range(indptr.shape[0] - 1):
        start, end = indptr[g], indptr[g + 1]
        if not use[g] or end - start < 2:
            continue
        for k in range(start + 1, end):
            root = _find(parent, int(indices[start]))
            other = _find(parent, int(indices[k]))
            if other == root:
                continue
            if size[root] < size[other]:
                root, other = other, root
            parent[other] = root
            size[root] += size[other]
            edge_elem[n_edges] = k
            n_edges += 1
    return edge_elem[:n_edges].copy()


@numba.njit(cache=True)
def _smallest_member_ids(parent: U32) -> U32:
    n = parent.shape[0]
    root_min = np.full(n, np.uint32(0xFFFFFFFF), np.uint32)
    out = np.empty(n, np.uint32)
    for x in range(n):
        r = _find(parent, x)
        out[x] = r
        root_min[r] = min(root_min[r], x)
    for x in range(n):
        out[x] = root_min[out[x]]
    return out


def union_groups(
    n: int,
    indptr: I64,
    indices: U32,
    *,
    use: npt.NDArray[np.bool_] | None = None,
) -> U32:
    """Cluster ``n`` ids so that the members of every used group share a cluster.

    Parameters
    ----------
    n
        Number of ids (address ids are ``0..n-1``).
    indptr, indices
        CSR groups: group ``g`` holds ``indices[indptr[g]:indptr[g+1]]`` (e.g. the input
        addresses of transaction ``g``).
    use
        Which groups join their members (e.g. False for CoinJoin transactions).

    Returns
    -------
    For every id, its cluster id: the smallest id in its cluster.
    """
    if n >= 0xFFFFFFFF:
        raise ValueError("more than 2**32-1 ids do not fit 4-byte cluster ids")
    parent = np.arange(n, dtype=np.uint32)
    groups = indptr.shape[0] - 1
    mask = np.ones(groups, np.bool_) if use is None else use
    _union_by_min(parent, indptr.astype(np.int64, copy=False), indices, mask)
    _flatten(parent)
    return parent


def union_traced(
    parent: U32,
    size: U32,
    indptr: I64,
    indices: U32,
    *,
    use: npt.NDArray[np.bool_] | None = None,
) -> I64:
    """Join each used group into ``parent``/``size`` in place; return the forest edges.

    Group ``g`` joins its first member with each later one, in order. Every join that
    merges two sets is one forest edge, returned as the index ``k`` into ``indices`` of
    the later member: the edge links ``indices[indptr[g]]`` and ``indices[k]``. Groups run
    in order, so the forest is deterministic, and applying groups in two calls gives the
    same parent, sizes and edges as one call over all of them.
    """
    if parent.shape[0] >= 0xFFFFFFFF:
        raise ValueError("more than 2**32-1 ids do not fit 4-byte cluster ids")
    groups = indptr.shape[0] - 1
    mask = np.ones(groups, np.bool_) if use is None else use
    return _union_traced(parent, size, indptr.astype(np.int64, copy=False), indices, mask)


def smallest_member_ids(parent: U32) -> U32:
    """The cluster id of every id: the smallest member of its set (compresses ``parent``)."""
    return _smallest_member_ids(parent)
