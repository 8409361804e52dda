"""Analyses as pure functions over a chain's arrays: clustering, tracing, search.

No ORM, no web: inputs are :class:`UtxoGraph` / :class:`AccountGraph` arrays, outputs
are plain data a canvas, a report or a lab grader can consume.
"""

from chainsleuth.analysis.graph import NO_ID, AccountGraph, Adjacency, UtxoGraph
from chainsleuth.analysis.graph_build import account_graph_from_rows, utxo_graph_from_rows
from chainsleuth.analysis.unionfind import union_groups

__all__ = [
    "NO_ID",
    "AccountGraph",
    "Adjacency",
    "UtxoGraph",
    "account_graph_from_rows",
    "union_groups",
    "utxo_graph_from_rows",
]
