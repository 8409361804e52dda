"""Address clustering: co-spend (multi-input) plus optional change, incremental.

The multi-input heuristic (Nakamoto 2008 sec. 10; Meiklejohn et al. 2013, "A fistful
of bitcoins"; Androulaki et al. 2013) joins all input addresses of a transaction: one
signer held all their keys. CoinJoins break that rule and are skipped
(:mod:`chainsleuth.analysis.coinjoin`). Change heuristics (:mod:`.change`) add the
change output's address to the group; they are off by default because one wrong change
guess merges two entities and clusters snowball (Ermilov et al. 2017; Kappos et al. 2022).

Each transaction is one group: its resolved input addresses in input order, then the
change address. Groups are applied in transaction order to a uint32 parent array, so the
result of a full run equals a run in two parts (:func:`update_clusters`). Every merge of
two sets is kept as a forest edge (tx, the two addresses, the rule); a path in that
forest is the explanation of why two addresses share a cluster (:mod:`.explain`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from chainsleuth.analysis.change import (
    FORWARD_HEURISTICS,
    U16,
    check_heuristics,
    heuristic_names,
    mark_change,
)
from chainsleuth.analysis.coinjoin import CoinJoinRules, detect_coinjoins, mixing
from chainsleuth.analysis.graph import I64, NO_ID, U32, UtxoGraph
from chainsleuth.analysis.unionfind import smallest_member_ids, union_traced
from chainsleuth.errors import Invalid


@dataclass(frozen=True, eq=False)
class UnionForest:
    """One edge per set merge: ``tx`` joined ``addr_a`` and ``addr_b``.

    ``votes`` is 0 for the multi-input rule, else the change-heuristic bit mask
    (:func:`chainsleuth.analysis.change.heuristic_names`).
    """

    addr_a: U32
    addr_b: U32
    tx: U32
    votes: U16

    def rule(self, edge: int) -> str:
        bits = int(self.votes[edge])
        return "multi_input" if bits == 0 else "change:" + "+".join(heuristic_names(bits))

    @staticmethod
    def empty() -> UnionForest:
        z = np.zeros(0, np.uint32)
        return UnionForest(z, z, z, np.zeros(0, np.uint16))

    def concat(self, other: UnionForest) -> UnionForest:
        return UnionForest(
            *(np.concatenate([getattr(self, f), getattr(other, f)]) for f in FOREST_FIELDS)
        )


FOREST_FIELDS = ("addr_a", "addr_b", "tx", "votes")


@dataclass(frozen=True, eq=False)
class Clusters:
    """Address clusters of one chain, and the state to update them.

    - ``cluster``: per address, its cluster id (the smallest member id).
    - ``ids`` / ``n_members`` / ``received``: per cluster, ascending id; size and total
      satoshi received by its addresses.
    - ``parent`` / ``size``: the union-find state :func:`update_clusters` continues.
    - ``forest``: the merges, for :func:`chainsleuth.analysis.explain`.
    - ``n_txs``: transactions applied; ``change`` / ``coinjoin``: the settings used.
    """

    cluster: U32
    ids: U32
    n_members: I64
    received: I64
    parent: U32
    size: U32
    forest: UnionForest
    n_txs: int
    change: tuple[str, ...] = ()
    coinjoin: CoinJoinRules = field(default_factory=CoinJoinRules)

    @property
    def n_addresses(self) -> int:
        return len(self.cluster)

    def index_of(self, cluster_id: int) -> int:
        """Position of ``cluster_id`` in ``ids``."""
        pos = int(np.searchsorted(self.ids, cluster_id))
        if pos == len(self.ids) or int(self.ids[pos]) != cluster_id:
            raise Invalid(f"{cluster_id} is not a cluster id")
        return pos

    def members(self, cluster_id: int) -> U32:
        """Address ids of one cluster, ascending (O(addresses) scan)."""
        return np.flatnonzero(self.cluster == cluster_id).astype(np.uint32)

    def to_json(self, *, top: int = 10) -> dict[str, Any]:
        """A summary: counts, settings, and the ``top`` largest clusters."""
        order = np.lexsort((self.ids, -self.n_members))[:top]
        return {
            "n_addresses": self.n_addresses,
            "n_clusters": len(self.ids),
            "n_txs": self.n_txs,
            "n_merges": len(self.forest.tx),
            "change": list(self.change),
            "coinjoin": self.coinjoin.to_json(),
            "largest": [
                {
                    "cluster": int(self.ids[i]),
                    "n_addresses": int(self.n_members[i]),
                    "received": int(self.received[i]),
                }
                for i in order
            ],
        }


def _groups(graph: UtxoGraph, lo: int, change_out: I64) -> tuple[I64, U32, I64, U32]:
    """Per tx from ``lo``: its input addresses then its change address (CSR).

    Returns indptr, addresses, the tx of each element and the change flag per element.
    """
    hi = graph.n_txs
    first, last = int(graph.in_start[lo]), int(graph.in_start[hi])
    in_addr = graph.in_addr[first:last]
    in_tx = np.repeat(np.arange(lo, hi, dtype=np.int64), np.diff(graph.in_start[lo:]))
    keep = in_addr != NO_ID
    ch_tx = np.flatnonzero(change_out[lo:] >= 0) + lo
    ch_addr = graph.out_addr[change_out[ch_tx]]
    tx = np.concatenate([in_tx[keep], ch_tx])
    addr = np.concatenate([in_addr[keep], ch_addr]).astype(np.uint32)
    is_change = np.r_[np.zeros(int(keep.sum()), np.uint32), np.ones(len(ch_tx), np.uint32)]
    order = np.argsort(tx * 2 + is_change, kind="stable")
    indptr = np.zeros(hi - lo + 1, np.int64)
    np.cumsum(np.bincount(tx - lo, minlength=hi - lo), out=indptr[1:])
    return indptr, addr[order], tx[order], is_change[order]


def _apply(
    graph: UtxoGraph,
    state: tuple[U32, U32],
    lo: int,
    *,
    change: tuple[str, ...],
    rules: CoinJoinRules,
) -> UnionForest:
    """Union the groups of transactions ``lo..`` into parent/size; the new forest edges."""
    skip = mixing(detect_coinjoins(graph, rules=rules))
    if change:
        marks = mark_change(graph, heuristics=change, skip=skip)
        change_out, votes = marks.change_out, marks.votes
    else:
        change_out, votes = np.full(graph.n_txs, -1, np.int64), np.zeros(graph.n_txs, np.uint16)
    indptr, addr, tx, is_change = _groups(graph, lo, change_out)
    elems = union_traced(*state, indptr, addr, use=~skip[lo:])
    group_first = indptr[np.searchsorted(indptr, elems, side="right") - 1]
    edge_tx = tx[elems]
    return UnionForest(
        addr_a=addr[group_first],
        addr_b=addr[elems],
        tx=edge_tx.astype(np.uint32),
        votes=np.where(is_change[elems] == 1, votes[edge_tx], 0).astype(np.uint16),
    )


def _result(
    graph: UtxoGraph, parent: U32, size: U32, forest: UnionForest, **settings: Any
) -> Clusters:
    cluster = smallest_member_ids(parent)
    ids, inverse, counts = np.unique(cluster, return_inverse=True, return_counts=True)
    received = np.zeros(len(ids), np.int64)
    paid = graph.out_addr != NO_ID
    np.add.at(received, inverse[graph.out_addr[paid]], graph.out_value[paid])
    return Clusters(
        cluster=cluster,
        ids=ids.astype(np.uint32),
        n_members=counts.astype(np.int64),
        received=received,
        parent=parent,
        size=size,
        forest=forest,
        n_txs=graph.n_txs,
        **settings,
    )


def cluster_addresses(
    graph: UtxoGraph,
    *,
    change: Iterable[str] = (),
    coinjoin: CoinJoinRules | None = None,
) -> Clusters:
    """Cluster every address of ``graph`` by co-spending, CoinJoins skipped.

    Parameters
    ----------
    graph
        The chain's arrays.
    change
        Change heuristics whose agreed change address joins the inputs' cluster (none by
        default: see the module docstring).
    coinjoin
        Which CoinJoin detectors exclude transactions (default: all).

    Returns
    -------
    :class:`Clusters`; the same graph and settings always give the same result.
    """
    names = check_heuristics(change)
    rules = coinjoin or CoinJoinRules()
    parent = np.arange(graph.n_addresses, dtype=np.uint32)
    size = np.ones(graph.n_addresses, np.uint32)
    forest = _apply(graph, (parent, size), 0, change=names, rules=rules)
    return _result(graph, parent, size, forest, change=names, coinjoin=rules)


def update_clusters(clusters: Clusters, graph: UtxoGraph, *, from_tx: int) -> Clusters:
    """Extend ``clusters`` with the transactions ``from_tx..`` of a grown ``graph``.

    Only those transactions are applied, to a copy of the saved parent array; the result
    equals :func:`cluster_addresses` on the whole graph with the same settings. A reorg
    (transactions below ``from_tx`` replaced) needs a full run.

    Raises
    ------
    Invalid
        When transactions between ``clusters.n_txs`` and ``from_tx`` would be skipped,
        the graph has fewer addresses than the clusters, or a forward-looking change
        heuristic is in use (its verdicts on old transactions can change).
    """
    if not 0 <= from_tx <= clusters.n_txs:
        raise Invalid(f"from_tx {from_tx}: clusters cover txs 0..{clusters.n_txs - 1}")
    if graph.n_addresses < clusters.n_addresses or graph.n_txs < clusters.n_txs:
        raise Invalid("the graph is smaller than the clustered one: rebuild fully")
    forward = sorted(FORWARD_HEURISTICS.intersection(clusters.change))
    if forward:
        raise Invalid(f"change heuristics {', '.join(forward)} look forward: rebuild fully")
    grow = graph.n_addresses - clusters.n_addresses
    parent = np.concatenate(
        [clusters.parent, np.arange(clusters.n_addresses, graph.n_addresses, dtype=np.uint32)]
    )
    size = np.concatenate([clusters.size, np.ones(grow, np.uint32)])
    added = _apply(graph, (parent, size), from_tx, change=clusters.change, rules=clusters.coinjoin)
    forest = clusters.forest.concat(added)
    return _result(graph, parent, size, forest, change=clusters.change, coinjoin=clusters.coinjoin)
