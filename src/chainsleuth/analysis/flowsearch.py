"""What neighbour and path search share: filters, cluster level, reusable scratch space."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from chainsleuth.analysis.flowgraph import FlowCsr, FlowGraph
from chainsleuth.analysis.graph import Adjacency
from chainsleuth.errors import Invalid

U32 = npt.NDArray[np.uint32]
B = npt.NDArray[np.bool_]
Arrays = tuple[Any, ...]

_I64_MIN, _I64_MAX = np.iinfo(np.int64).min, np.iinfo(np.int64).max


@dataclass(frozen=True, eq=False)
class FlowFilter:
    """Which money counts. A link A -> B is kept when the hops left after the transaction
    filters (``exclude_txs``: a bool per tx, e.g. CoinJoins; time ``start <= t < end``,
    unix seconds) add up to at least ``min_value`` (base units)."""

    min_value: float = 0.0
    start_time: int | None = None
    end_time: int | None = None
    exclude_txs: B | None = None

    def arrays(self, flow: FlowGraph) -> Arrays:
        """The filter as the kernels read it."""
        excl = self.exclude_txs
        if excl is not None and len(excl) != len(flow.tx_time):
            raise Invalid(
                f"exclude_txs has {len(excl)} entries; the graph has {len(flow.tx_time)} txs"
            )
        use_hops = excl is not None or self.start_time is not None or self.end_time is not None
        return (
            flow.tx_time,
            np.zeros(0, np.bool_) if excl is None else np.asarray(excl, np.bool_),
            _I64_MIN if self.start_time is None else int(self.start_time),
            _I64_MAX if self.end_time is None else int(self.end_time),
            float(self.min_value),
            use_hops,
        )


@dataclass(frozen=True, eq=False)
class ClusterLevel:
    """Search clusters instead of addresses: ``clusters[addr]`` is the address's cluster id
    (its smallest member, as :func:`union_groups` gives), ``members`` the reverse map."""

    clusters: U32
    members: Adjacency

    def grp(self) -> Arrays:
        return (self.clusters, self.members.indptr, self.members.indices)


def cluster_level(clusters: U32) -> ClusterLevel:
    """Index a cluster id array for cluster-level search (one pass; build once, reuse)."""
    clusters = np.asarray(clusters, np.uint32)
    order = np.argsort(clusters, kind="stable").astype(np.uint32)
    indptr = np.zeros(len(clusters) + 1, np.int64)
    np.cumsum(np.bincount(clusters, minlength=len(clusters)), out=indptr[1:])
    return ClusterLevel(clusters, Adjacency(indptr, order))


def cluster_mask(clusters: U32, address_mask: B) -> B:
    """A per-cluster mask: True for each cluster that has a flagged member."""
    out = np.zeros(len(clusters), np.bool_)
    out[clusters[np.asarray(address_mask, np.bool_)]] = True
    return out


_ADDRESS_LEVEL: Arrays = (np.zeros(0, np.uint32), np.zeros(1, np.int64), np.zeros(0, np.uint32))


def _csr(csr: FlowCsr) -> Arrays:
    return (csr.addr_ptr, csr.peer, csr.value, csr.hop_ptr, csr.hop_tx, csr.hop_value)


def _stop(flow: FlowGraph, stop: B | None) -> B:
    if stop is None:
        return np.zeros(0, np.bool_)
    if len(stop) != flow.n_addresses:
        raise Invalid(f"stop mask has {len(stop)} entries; the graph has {flow.n_addresses}")
    return np.asarray(stop, np.bool_)


def node_of(flow: FlowGraph, address: int, clusters: ClusterLevel | None, what: str) -> int:
    """The search node of an address id (its cluster at cluster level)."""
    if not 0 <= address < flow.n_addresses:
        raise Invalid(f"{what}: address id {address} is not in 0..{flow.n_addresses - 1}")
    return address if clusters is None else int(clusters.clusters[address])


class SearchWorkspace:
    """Scratch marks reused across searches on one graph, so a query costs what it
    reaches, not the size of the chain. Allocated on first use, 12 bytes per address
    per mark set (up to three), and written through at once: left to the OS, the first
    touch of each page would cost a search a page fault. One workspace per thread."""

    def __init__(self, n_addresses: int) -> None:
        self.n_addresses = n_addresses
        self._sets: dict[str, Arrays] = {}

    def marks(self, name: str) -> Arrays:
        """The mark set ``name`` as ``(stamp, slot, epoch)``."""
        if name not in self._sets:
            n = self.n_addresses
            self._sets[name] = (
                np.full(n, 0, np.uint32),  # np.full writes every page (np.zeros maps lazily)
                np.full(n, 0, np.int64),
                np.zeros(1, np.int64),
            )
        return self._sets[name]


def workspace_for(flow: FlowGraph, workspace: SearchWorkspace | None) -> SearchWorkspace:
    if workspace is None:
        return SearchWorkspace(flow.n_addresses)
    if workspace.n_addresses != flow.n_addresses:
        raise Invalid("the workspace was made for a graph of another size")
    return workspace


@dataclass(frozen=True, eq=False)
class Scope:
    """What one query searches, as the kernels read it: ``ctx`` is
    ``(out csr, in csr, filter, group, stop mask, aggregation marks)``."""

    flow: FlowGraph
    ctx: Arrays
    ws: SearchWorkspace
    level: Literal["address", "cluster"]


def scope(
    flow: FlowGraph,
    *,
    filters: FlowFilter | None,
    stop: B | None,
    clusters: ClusterLevel | None,
    workspace: SearchWorkspace | None,
) -> Scope:
    """Check a query's options and put them in kernel form."""
    ws = workspace_for(flow, workspace)
    ctx = (
        _csr(flow.out),
        _csr(flow.inc),
        (filters or FlowFilter()).arrays(flow),
        _ADDRESS_LEVEL if clusters is None else clusters.grp(),
        _stop(flow, stop),
        ws.marks("agg"),
    )
    return Scope(flow, ctx, ws, "address" if clusters is None else "cluster")
