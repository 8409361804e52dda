"""Neighbour search: who an address (or cluster) paid, who paid it, ``depth`` hops out.

Breadth-first over a :class:`~chainsleuth.analysis.flowgraph.FlowGraph`. With a breadth
limit each expanded node keeps only its ``breadth`` largest links per direction (by value
after filters), as GraphSense's neighbour search keeps about 16; without one every link
is followed. Stop nodes (e.g. exchanges, from a category mask) are reached but not
expanded. Each node records its depth and the node it was first reached from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from chainsleuth.analysis import _neighbourkernels as nk
from chainsleuth.analysis.flowgraph import FlowGraph
from chainsleuth.analysis.flowsearch import (
    ClusterLevel,
    FlowFilter,
    Scope,
    SearchWorkspace,
    node_of,
    scope,
)
from chainsleuth.errors import Invalid

Direction = Literal["out", "in", "both"]
_DIRS = {"out": 1, "in": 2, "both": 3}
I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
Arrays = tuple[Any, ...]


@dataclass(frozen=True, eq=False)
class Neighbourhood:
    """Nodes (BFS order, the start first) with ``depth`` and first-reached ``parent``
    (-1 for the start); money links ``edge_source -> edge_target`` with their total
    value (base units, after filters) and number of transactions."""

    start: int
    level: Literal["address", "cluster"]
    direction: Direction
    max_depth: int
    nodes: I64
    depth: I64
    parent: I64
    edge_source: I64
    edge_target: I64
    edge_value: F64
    edge_tx_count: I64

    def to_json(self, labels: Mapping[int, str] | None = None) -> dict[str, Any]:
        """Plain data; ``labels`` adds an ``address`` text to each node id it names."""

        def node(i: int) -> dict[str, Any]:
            row: dict[str, Any] = {"id": int(self.nodes[i])}
            if labels is not None:
                row["address"] = labels.get(int(self.nodes[i]))
            row["depth"] = int(self.depth[i])
            row["parent"] = None if self.parent[i] < 0 else int(self.parent[i])
            return row

        return {
            "start": self.start,
            "level": self.level,
            "direction": self.direction,
            "max_depth": self.max_depth,
            "nodes": [node(i) for i in range(len(self.nodes))],
            "edges": [
                {
                    "source": int(s),
                    "target": int(t),
                    "value": round(float(v)),
                    "tx_count": int(c),
                }
                for s, t, v, c in zip(
                    self.edge_source,
                    self.edge_target,
                    self.edge_value,
                    self.edge_tx_count,
                    strict=True,
                )
            ],
        }


def neighbours(
    flow: FlowGraph,
    start: int,
    *,
    depth: int = 1,
    direction: Direction = "out",
    breadth: int | None = None,
    filters: FlowFilter | None = None,
    stop: npt.NDArray[np.bool_] | None = None,
    clusters: ClusterLevel | None = None,
    workspace: SearchWorkspace | None = None,
) -> Neighbourhood:
    """Nodes within ``depth`` money hops of address id ``start``.

    Parameters
    ----------
    direction
        ``out`` follows the money (where ``start`` sent), ``in`` goes back to who paid
        it, ``both`` does both at every node.
    breadth
        Keep each expanded node's ``breadth`` largest links per direction (ties: lower
        id first); ``None`` follows all.
    filters
        Minimum value, time window, excluded transactions (:class:`FlowFilter`).
    stop
        Node mask (address ids, or cluster ids at cluster level, see
        :func:`cluster_mask`): such nodes are reached but not expanded.
    clusters
        Search at cluster level: nodes are cluster ids, links between clusters sum the
        links of their members, links inside a cluster are dropped.
    workspace
        Scratch space to reuse across queries on the same graph (saves O(n) per query).
    """
    if direction not in _DIRS:
        raise Invalid(f"direction must be out, in or both, not {direction!r}")
    if depth < 0:
        raise Invalid(f"depth must be >= 0, not {depth}")
    sc = scope(flow, filters=filters, stop=stop, clusters=clusters, workspace=workspace)
    node = node_of(flow, start, clusters, "start")
    k = 0 if breadth is None else max(int(breadth), 1)
    simple = k == 0 and clusters is None and not sc.ctx[2][5]
    found = (
        _links_search(sc, node, depth, _DIRS[direction], sc.ctx[2][4])
        if simple
        else _general_search(sc, (node, depth, k, _DIRS[direction]))
    )
    nodes, dep, parent, es, et, ev, ec = found
    return Neighbourhood(
        start=node,
        level=sc.level,
        direction=direction,
        max_depth=depth,
        nodes=nodes,
        depth=dep,
        parent=parent,
        edge_source=es,
        edge_target=et,
        edge_value=ev,
        edge_tx_count=ec,
    )


def _general_search(sc: Scope, query: tuple[int, int, int, int]) -> Arrays:
    nodes, dep, parent, es, et, ev, ec = nk.bfs(query, sc.ctx, sc.ws.marks("visit"))
    if query[3] == _DIRS["both"]:  # a link is met from each end: keep it once
        key = (es.astype(np.uint64) << np.uint64(32)) | et.astype(np.uint64)
        first = np.sort(np.unique(key, return_index=True)[1])
        es, et, ev, ec = es[first], et[first], ev[first], ec[first]
    return nodes, dep, parent, es, et, ev, ec


def _links_search(sc: Scope, node: int, depth: int, dirs: int, min_value: float) -> Arrays:
    """Unbounded address-level search: the bare CSR kernel."""
    query = (node, depth, dirs, min_value)
    return nk.bfs_links(query, sc.ctx[0], sc.ctx[1], sc.ctx[4], sc.ws.marks("visit"))
