"""Why two addresses share a cluster: the chain of transactions that joined them.

Clustering keeps one forest edge per merge of two sets (:class:`UnionForest`), so the
edges of a cluster form a spanning tree of it. The path between two addresses in that
tree is the explanation: each step is a transaction, the rule that fired there and the
two addresses it joined; consecutive steps share an address. Only the cluster's edges
are read, so an explanation costs O(forest edges) without re-running the clustering.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from chainsleuth.analysis.cluster import Clusters
from chainsleuth.analysis.graph import I64, UtxoGraph
from chainsleuth.errors import Invalid


@dataclass(frozen=True)
class Step:
    """``tx`` (at ``height``) joined ``joined[0]`` and ``joined[1]`` by ``heuristic``."""

    tx: int
    height: int
    heuristic: str
    joined: tuple[int, int]


def _check(clusters: Clusters, addr: int) -> int:
    if not 0 <= addr < clusters.n_addresses:
        raise Invalid(f"address id {addr} is outside 0..{clusters.n_addresses - 1}")
    return int(clusters.cluster[addr])


@numba.njit(cache=True)
def _bfs_pred(indptr: I64, nbr: I64, start: int, goal: int) -> I64:
    """Breadth-first from ``start`` until ``goal``; the predecessor of each node (-1)."""
    pred = np.full(indptr.shape[0] - 1, -1, np.int64)
    pred[start] = start
    queue = np.empty(indptr.shape[0] - 1, np.int64)
    queue[0], head, tail = start, 0, 1
    while head < tail and pred[goal] < 0:
        x = queue[head]
        head += 1
        for k in range(indptr[x], indptr[x + 1]):
            y = nbr[k]
            if pred[y] < 0:
                pred[y] = x
                queue[tail] = y
                tail += 1
    return pred


def explain(graph: UtxoGraph, clusters: Clusters, a: int, b: int) -> list[Step]:
    """The steps joining address ids ``a`` and ``b``, from ``a`` to ``b``.

    Raises
    ------
    Invalid
        When ``a`` and ``b`` are in different clusters (or out of range).
    """
    cid = _check(clusters, a)
    if _check(clusters, b) != cid:
        raise Invalid(f"addresses {a} and {b} are in different clusters")
    if a == b:
        return []
    f = clusters.forest
    edges = np.flatnonzero(clusters.cluster[f.addr_a] == cid)
    nodes, local = np.unique(np.r_[f.addr_a[edges], f.addr_b[edges]], return_inverse=True)
    m = len(edges)
    src, dst = local[np.r_[0:m, m : 2 * m]], local[np.r_[m : 2 * m, 0:m]]
    order = np.argsort(src, kind="stable")
    indptr = np.zeros(len(nodes) + 1, np.int64)
    np.cumsum(np.bincount(src, minlength=len(nodes)), out=indptr[1:])
    nbr, via = dst[order].astype(np.int64), np.r_[edges, edges][order]
    start, goal = (int(np.searchsorted(nodes, x)) for x in (a, b))
    pred = _bfs_pred(indptr, nbr, start, goal)
    steps: list[Step] = []
    y = goal
    while y != start:
        x = int(pred[y])
        k = indptr[x] + int(np.flatnonzero(nbr[indptr[x] : indptr[x + 1]] == y)[0])
        e, tx = int(via[k]), int(f.tx[via[k]])
        steps.append(Step(tx, int(graph.tx_height[tx]), f.rule(e), (int(nodes[x]), int(nodes[y]))))
        y = x
    steps.reverse()
    return steps
