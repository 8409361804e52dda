"""Neighbour search case of :mod:`benchmarks.bench_graph`: depth 3 beside igraph and networkx.

    python -m benchmarks.bench_search [--txs 10000000] [--quick]   # this case alone

The flow graph is built from the generated chain (time and memory reported), then 100
random addresses that paid someone are searched depth 3, with GraphSense's breadth limit
of 16 links per node and unbounded, following the money (``out``) and both ways. Peers
answer the unbounded question on a graph built from the same flow CSR: igraph
``neighborhood(order=3)`` and networkx ``single_source_shortest_path_length(cutoff=3)``
(networkx at the ``--small`` size when the graph is large); reached counts are checked
equal. Time per address reached is total time over total addresses reached.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks import machine
from benchmarks.gen_graph import generate_utxo_graph
from benchmarks.peers import timed
from benchmarks.report import Report, Row
from chainsleuth.analysis import (
    FlowGraph,
    SearchWorkspace,
    UtxoGraph,
    neighbours,
    utxo_flow_graph,
)

try:  # optional peers; bench_graph stops with a note when they are missing
    import igraph
    import networkx as nx
except ImportError:
    pass

DEPTH, BREADTH, STARTS = 3, 16, 100
NX_MAX_TXS = 2_000_000  # networkx holds the flow graph of this many txs in a few GB
_IG_MODE = {"out": "out", "both": "all"}


def _flow(report: Report, graph: UtxoGraph) -> FlowGraph:
    got = timed(lambda: utxo_flow_graph(graph))
    flow: FlowGraph = got.result
    size = sum(a.nbytes for c in (flow.out, flow.inc) for a in vars(c).values())
    report.add(Row(
        f"flow graph of {graph.n_txs:,} txs ({flow.n_pairs:,} links, {flow.n_hops:,} tx hops)",
        f"{got.seconds:.2f} s, arrays {size / 2**20:,.0f} MiB "
        f"({size / graph.n_addresses:,.0f} B/address, {size / graph.n_txs:,.0f} B/tx), "
        f"peak +{got.peak_bytes / 2**20:,.0f} MiB", "—", None,
        {"seconds": got.seconds, "array_bytes": size, "peak_bytes": got.peak_bytes},
    ))  # fmt: skip
    return flow


def _edges(flow: FlowGraph) -> np.ndarray:
    src = np.repeat(np.arange(flow.n_addresses, dtype=np.int64), np.diff(flow.out.addr_ptr))
    return np.stack([src, flow.out.peer.astype(np.int64)], axis=1)


def _run(fn: Callable[[int], int], starts: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Seconds and addresses reached per start."""
    fn(starts[0])  # compile / warm up outside the timing
    secs, reached = [], []
    for s in starts:
        t0 = time.perf_counter()
        reached.append(fn(s))
        secs.append(time.perf_counter() - t0)
    return np.array(secs), np.array(reached)


def _fmt(secs: np.ndarray, reached: np.ndarray) -> str:
    return (
        f"median {np.median(secs) * 1e3:.3f} ms, p95 {np.percentile(secs, 95) * 1e3:.3f} ms, "
        f"{secs.sum() / max(reached.sum(), 1) * 1e9:,.0f} ns/address "
        f"(reached median {np.median(reached):,.0f}, max {reached.max():,})"
    )


def _ours(flow: FlowGraph, direction: Any, breadth: int | None) -> Callable[[int], int]:
    ws = SearchWorkspace(flow.n_addresses)
    return lambda s: len(
        neighbours(flow, s, depth=DEPTH, direction=direction, breadth=breadth, workspace=ws).nodes
    )


def _peers(flow: FlowGraph, small: FlowGraph, n_txs: int) -> dict[str, Any]:
    """Peer name -> (graph build seconds, {direction: search fn}, the flow it answers on)."""
    edges = _edges(flow)
    built = timed(lambda: igraph.Graph(n=flow.n_addresses, edges=edges, directed=True))
    ig = built.result
    peers: dict[str, Any] = {
        "igraph": (built.seconds, {d: _igraph_fn(ig, m) for d, m in _IG_MODE.items()}, flow)
    }
    nx_flow = flow if n_txs <= NX_MAX_TXS else small
    nx_edges = edges if nx_flow is flow else _edges(small)
    t0 = time.perf_counter()
    dg = nx.DiGraph()
    dg.add_nodes_from(range(nx_flow.n_addresses))
    dg.add_edges_from(nx_edges.tolist())
    views = {"out": dg, "both": dg.to_undirected(as_view=True)}
    fns = {
        d: (lambda s, v=v: len(nx.single_source_shortest_path_length(v, s, cutoff=DEPTH)))
        for d, v in views.items()
    }
    peers["networkx"] = (time.perf_counter() - t0, fns, nx_flow)
    return peers


def _igraph_fn(g: Any, mode: str) -> Callable[[int], int]:
    return lambda s: len(g.neighborhood(s, order=DEPTH, mode=mode))


def _starts(flow: FlowGraph, seed: int) -> list[int]:
    payers = np.flatnonzero(np.diff(flow.out.addr_ptr) > 0)
    rng = np.random.default_rng(seed)
    return [int(s) for s in rng.choice(payers, size=min(STARTS, len(payers)), replace=False)]


def search_case(report: Report, graph: UtxoGraph, small: UtxoGraph) -> None:
    flow = _flow(report, graph)
    small_flow = utxo_flow_graph(small) if graph.n_txs > NX_MAX_TXS else flow
    starts = _starts(flow, 13)
    for direction in ("out", "both"):
        secs, reached = _run(_ours(flow, direction, BREADTH), starts)
        report.add(Row(
            f"neighbours depth {DEPTH} {direction}, breadth {BREADTH}, {len(starts)} addresses",
            _fmt(secs, reached), "— (no peer limits breadth)", None,
            {"seconds": secs.tolist(), "reached": reached.tolist()},
        ))  # fmt: skip
    peers = _peers(flow, small_flow, graph.n_txs)
    for direction in ("out", "both"):
        for name, (build_s, fns, on) in peers.items():
            _peer_row(report, direction, name, build_s, fns[direction], on, flow)


def _peer_row(  # noqa: PLR0917  (one row's facts)
    report: Report, direction: str, name: str, build_s: float, fn: Callable[[int], int],
    on: FlowGraph, flow: FlowGraph,
) -> None:  # fmt: skip
    starts = _starts(on, 13)
    secs, reached = _run(_ours(on, direction, None), starts)
    p_secs, p_reached = _run(fn, starts)
    same = bool((reached == p_reached).all())
    size = "" if on is flow else f" (small graph, {on.n_addresses:,} addresses)"
    report.add(Row(
        f"neighbours depth {DEPTH} {direction}, unbounded{size}",
        _fmt(secs, reached),
        f"{name} (graph built in {build_s:.1f} s): {_fmt(p_secs, p_reached)}"
        + ("" if same else "  REACHED COUNTS DIFFER"),
        float(p_secs.sum() / secs.sum()),
        {"seconds": secs.tolist(), "peer_seconds": p_secs.tolist(), "reached": reached.tolist(),
         "same_reach": same},
    ))  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="depth-3 neighbour search beside igraph and networkx")
    p.add_argument("--txs", type=int, default=10_000_000, help="graph size (transactions)")
    p.add_argument("--small", type=int, default=200_000, help="size networkx runs at")
    p.add_argument("--quick", action="store_true", help="tiny sizes: prove it runs (CI)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--no-write", action="store_true", help="do not write the JSON result")
    args = p.parse_args(argv)
    txs, small_txs = (20_000, 2_000) if args.quick else (args.txs, args.small)
    report = Report("bench_search", machine.machine_facts(bandwidth_bytes=64 << 20))
    graph = generate_utxo_graph(txs, seed=args.seed)
    report.note(f"graph: {graph.n_txs:,} txs, {graph.n_addresses:,} addresses")
    search_case(report, graph, generate_utxo_graph(small_txs, seed=args.seed))
    report.print()
    if not args.no_write:
        report.note(f"written to {report.write()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
