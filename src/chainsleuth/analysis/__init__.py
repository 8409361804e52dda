"""Analyses as pure functions over a chain's arrays: clustering, tracing, search.

No ORM, no web: inputs are :class:`UtxoGraph` / :class:`AccountGraph` arrays, outputs
are plain data a canvas, a report or a lab grader can consume.
"""

from chainsleuth.analysis.change import CHANGE_HEURISTICS, ChangeMarks, mark_change
from chainsleuth.analysis.cluster import Clusters, UnionForest, cluster_addresses, update_clusters
from chainsleuth.analysis.cluster_io import load_clusters, refresh_clusters, save_clusters
from chainsleuth.analysis.coinjoin import CoinJoinKind, CoinJoinRules, detect_coinjoins, mixing
from chainsleuth.analysis.evaluate import pairwise_precision_recall
from chainsleuth.analysis.evaluation import (
    Detection,
    Evaluation,
    PairScore,
    Setting,
    WorldTruth,
    default_settings,
    evaluate,
    score_change,
    score_clustering,
    score_coinjoins,
    world_truth,
)
from chainsleuth.analysis.explain import Step, explain
from chainsleuth.analysis.flowgraph import (
    FlowCsr,
    FlowGraph,
    account_flow_graph,
    load_flow_graph,
    save_flow_graph,
    utxo_flow_graph,
)
from chainsleuth.analysis.flowsearch import (
    ClusterLevel,
    FlowFilter,
    SearchWorkspace,
    cluster_level,
    cluster_mask,
)
from chainsleuth.analysis.graph import NO_ID, AccountGraph, Adjacency, UtxoGraph
from chainsleuth.analysis.graph_build import account_graph_from_rows, utxo_graph_from_rows
from chainsleuth.analysis.neighbours import Neighbourhood, neighbours
from chainsleuth.analysis.paths import FlowPath, Hop, PathResult, shortest_path, simple_paths
from chainsleuth.analysis.peel import PeelChain, follow_peel
from chainsleuth.analysis.taint_utxo import MODELS
from chainsleuth.analysis.trace import Start, trace
from chainsleuth.analysis.trace_export import (
    export,
    trace_graph,
    write_csv,
    write_graphml,
    write_json,
)
from chainsleuth.analysis.trace_result import STATUS_NAMES, Summary, Trace
from chainsleuth.analysis.unionfind import smallest_member_ids, union_groups, union_traced

__all__ = [
    "CHANGE_HEURISTICS",
    "MODELS",
    "NO_ID",
    "STATUS_NAMES",
    "AccountGraph",
    "Adjacency",
    "ChangeMarks",
    "ClusterLevel",
    "Clusters",
    "CoinJoinKind",
    "CoinJoinRules",
    "Detection",
    "Evaluation",
    "FlowCsr",
    "FlowFilter",
    "FlowGraph",
    "FlowPath",
    "Hop",
    "Neighbourhood",
    "PairScore",
    "PathResult",
    "PeelChain",
    "SearchWorkspace",
    "Setting",
    "Start",
    "Step",
    "Summary",
    "Trace",
    "UnionForest",
    "UtxoGraph",
    "WorldTruth",
    "account_flow_graph",
    "account_graph_from_rows",
    "cluster_addresses",
    "cluster_level",
    "cluster_mask",
    "default_settings",
    "detect_coinjoins",
    "evaluate",
    "explain",
    "export",
    "follow_peel",
    "load_clusters",
    "load_flow_graph",
    "mark_change",
    "mixing",
    "neighbours",
    "pairwise_precision_recall",
    "refresh_clusters",
    "save_clusters",
    "save_flow_graph",
    "score_change",
    "score_clustering",
    "score_coinjoins",
    "shortest_path",
    "simple_paths",
    "smallest_member_ids",
    "trace",
    "trace_graph",
    "union_groups",
    "union_traced",
    "update_clusters",
    "utxo_flow_graph",
    "utxo_graph_from_rows",
    "world_truth",
    "write_csv",
    "write_graphml",
    "write_json",
]
