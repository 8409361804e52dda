"""Path search between two addresses or two clusters over a flow graph.

:func:`shortest_path` runs a bidirectional BFS (fewest hops; each side expands its
smaller frontier level by level). :func:`simple_paths` lists the simple paths of at
most ``max_depth`` hops, depth-first, pruned by a backward BFS from the target. Directed
search follows the money; undirected search also walks links backwards, and each hop
then says whether money moved along the path or against it. Every hop lists the
transactions that realise it, with the value each moved.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from chainsleuth.analysis import _flowkernels as fk
from chainsleuth.analysis import _pathkernels as pk
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

Arrays = tuple[Any, ...]


@dataclass(frozen=True)
class Hop:
    """One step ``source -> target`` of a path (path order). ``forward``: money moved
    that way (False: from target to source, undirected search only)."""

    source: int
    target: int
    forward: bool
    value: float
    txs: tuple[int, ...]
    tx_values: tuple[float, ...]


@dataclass(frozen=True)
class FlowPath:
    nodes: tuple[int, ...]
    hops: tuple[Hop, ...]


@dataclass(frozen=True)
class PathResult:
    """Paths from ``source`` to ``target`` (node ids: addresses or clusters).
    ``complete`` is False when ``max_paths`` cut the listing short."""

    source: int
    target: int
    level: Literal["address", "cluster"]
    directed: bool
    max_depth: int
    paths: tuple[FlowPath, ...]
    complete: bool = True

    def to_json(
        self,
        labels: Mapping[int, str] | None = None,
        tx_labels: Mapping[int, str] | None = None,
    ) -> dict[str, Any]:
        """Plain data; ``labels`` / ``tx_labels`` add address and txid texts to ids."""
        lab = labels or {}
        txl = tx_labels or {}

        def hop(h: Hop) -> dict[str, Any]:
            row: dict[str, Any] = {"source": h.source, "target": h.target}
            if labels is not None:
                row |= {"source_address": lab.get(h.source), "target_address": lab.get(h.target)}
            row |= {"forward": h.forward, "value": round(h.value)}
            row["txs"] = [
                {
                    "tx": t,
                    **({"txid": txl.get(t)} if tx_labels is not None else {}),
                    "value": round(v),
                }
                for t, v in zip(h.txs, h.tx_values, strict=True)
            ]
            return row

        return {
            "source": self.source,
            "target": self.target,
            "level": self.level,
            "directed": self.directed,
            "max_depth": self.max_depth,
            "complete": self.complete,
            "paths": [
                {"nodes": list(p.nodes), "length": len(p.hops), "hops": [hop(h) for h in p.hops]}
                for p in self.paths
            ],
        }


@dataclass(frozen=True)
class _Query:
    """One path query: endpoints as search nodes and the scope in kernel form."""

    source: int
    target: int
    max_depth: int
    directed: bool
    sc: Scope

    def marks(self) -> tuple[Arrays, Arrays]:
        return self.sc.ws.marks("visit"), self.sc.ws.marks("back")

    def path(self, nodes: npt.NDArray[np.int64], dirs: npt.NDArray[np.int64]) -> FlowPath:
        """A node sequence with the transactions of each hop."""
        out, flt, grp = self.sc.ctx[0], self.sc.ctx[2], self.sc.ctx[3]
        hops = []
        for i, d in enumerate(dirs.tolist()):
            a, b = int(nodes[i]), int(nodes[i + 1])
            txs, vals = (
                fk.hop_txs(a, b, out, flt, grp) if d == 0 else fk.hop_txs(b, a, out, flt, grp)
            )
            hops.append(
                Hop(a, b, d == 0, float(vals.sum()), tuple(txs.tolist()), tuple(vals.tolist()))
            )
        return FlowPath(tuple(nodes.tolist()), tuple(hops))

    def result(self, paths: list[FlowPath], *, complete: bool) -> PathResult:
        return PathResult(
            self.source,
            self.target,
            self.sc.level,
            self.directed,
            self.max_depth,
            tuple(paths),
            complete,
        )


def _query(
    flow: FlowGraph,
    source: int,
    target: int,
    *,
    max_depth: int,
    directed: bool,
    filters: FlowFilter | None,
    stop: npt.NDArray[np.bool_] | None,
    clusters: ClusterLevel | None,
    workspace: SearchWorkspace | None,
) -> _Query:
    if max_depth < 0:
        raise Invalid(f"max_depth must be >= 0, not {max_depth}")
    return _Query(
        node_of(flow, source, clusters, "source"),
        node_of(flow, target, clusters, "target"),
        max_depth,
        directed,
        scope(flow, filters=filters, stop=stop, clusters=clusters, workspace=workspace),
    )


def shortest_path(
    flow: FlowGraph,
    source: int,
    target: int,
    *,
    max_depth: int = 6,
    directed: bool = True,
    filters: FlowFilter | None = None,
    stop: npt.NDArray[np.bool_] | None = None,
    clusters: ClusterLevel | None = None,
    workspace: SearchWorkspace | None = None,
) -> PathResult:
    """One path of fewest hops (at most ``max_depth``) from address id ``source`` to
    ``target``, or none.

    ``clusters`` joins the endpoints' clusters; ``stop`` nodes (a node mask as in
    :func:`~chainsleuth.analysis.neighbours.neighbours`) never lie inside a path;
    ``filters`` decide which links exist. Same ``workspace`` rules as there.
    """
    q = _query(
        flow,
        source,
        target,
        max_depth=max_depth,
        directed=directed,
        filters=filters,
        stop=stop,
        clusters=clusters,
        workspace=workspace,
    )
    nodes, dirs = pk.shortest((q.source, q.target, max_depth, not directed), q.sc.ctx, *q.marks())
    return q.result([q.path(nodes, dirs)] if len(nodes) else [], complete=True)


def simple_paths(
    flow: FlowGraph,
    source: int,
    target: int,
    *,
    max_depth: int = 4,
    max_paths: int = 100,
    directed: bool = True,
    filters: FlowFilter | None = None,
    stop: npt.NDArray[np.bool_] | None = None,
    clusters: ClusterLevel | None = None,
    workspace: SearchWorkspace | None = None,
) -> PathResult:
    """All simple paths of at most ``max_depth`` hops from ``source`` to ``target``
    (depth-first, neighbours in id order), up to ``max_paths`` of them; options as for
    :func:`shortest_path`. ``complete`` is False when more paths exist."""
    if max_paths < 1:
        raise Invalid(f"max_paths must be >= 1, not {max_paths}")
    q = _query(
        flow,
        source,
        target,
        max_depth=max_depth,
        directed=directed,
        filters=filters,
        stop=stop,
        clusters=clusters,
        workspace=workspace,
    )
    # one path more than asked tells whether the listing is complete
    query = (q.source, q.target, max_depth, max_paths + 1, not directed)
    nodes, dirs, ptr = pk.simple_paths(query, q.sc.ctx, *q.marks())
    found = len(ptr) - 1
    paths = [
        q.path(nodes[ptr[i] : ptr[i + 1]], dirs[ptr[i] - i : ptr[i + 1] - i - 1])
        for i in range(min(found, max_paths))
    ]
    return q.result(paths, complete=found <= max_paths)
