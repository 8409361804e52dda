"""Graph engine benchmark: clustering, neighbour search and tracing beside their peers.

    python -m benchmarks.bench_graph [--txs 10000000] [--quick]

One synthetic graph (``benchmarks.gen_graph``) is generated and every case runs on it in
the same process: multi-input clustering against graphsense-clustering (fed Arrow, as it
is fastest), scipy, igraph and networkx (networkx at a size it can finish); depth-3
neighbour search and a 6-hop haircut trace against straightforward Python versions of the
same question. Peak memory is reported per case; partitions are checked identical.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
from scipy.sparse import bmat, csr_matrix
from scipy.sparse.csgraph import connected_components

from benchmarks import machine
from benchmarks.bench_search import search_case
from benchmarks.gen_graph import generate_utxo_graph
from benchmarks.peers import timed
from benchmarks.report import Report, Row
from chainsleuth.analysis import NO_ID, Start, UtxoGraph, trace, union_groups

try:  # optional peers: a missing one becomes a note (pip install -e '.[bench]')
    import igraph
    import networkx as nx
    from gs_clustering import Clustering
except ImportError as exc:
    MISSING_PEERS: str | None = str(exc)
else:
    MISSING_PEERS = None


def _groups(graph: UtxoGraph) -> tuple[np.ndarray, np.ndarray]:
    """The co-spend groups: every transaction's resolved input addresses (CSR)."""
    keep = graph.in_addr != NO_ID
    tx_of = graph.in_tx()[keep]
    counts = np.bincount(tx_of, minlength=graph.n_txs)
    indptr = np.zeros(graph.n_txs + 1, np.int64)
    np.cumsum(counts, out=indptr[1:])
    return indptr, graph.in_addr[keep]


def _same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    pairs = np.unique(np.stack([a.astype(np.int64), b.astype(np.int64)]), axis=1)
    return pairs.shape[1] == len(np.unique(a)) == len(np.unique(b))


def _mem(peak: int, n: int, unit: str) -> str:
    return f"peak +{peak / 2**20:,.0f} MiB ({peak / max(n, 1):,.1f} B/{unit})"


def cluster_case(report: Report, graph: UtxoGraph, small: UtxoGraph) -> None:
    indptr, indices = _groups(graph)
    n = graph.n_addresses
    union_groups(100, indptr[:2], indices[:2])  # compile outside the timing
    ours = timed(lambda: union_groups(n, indptr, indices), repeats=3)
    label = f"cluster {graph.n_txs:,} txs ({len(indices):,} input slots)"
    mine = f"{ours.seconds:.2f} s, {_mem(ours.peak_bytes, n, 'address')}"
    for name, peer in _cluster_peers(n, indptr, indices).items():
        got = timed(peer)
        same = _same_partition(ours.result, got.result)
        report.add(Row(
            label, mine, f"{name}: {got.seconds:.2f} s, {_mem(got.peak_bytes, n, 'address')}"
            + ("" if same else "  PARTITION DIFFERS"),
            got.seconds / ours.seconds, {"ours_s": ours.seconds, "peer_s": got.seconds,
                                         "identical": same},
        ))  # fmt: skip
    _networkx_row(report, small)


def _cluster_peers(n: int, indptr: np.ndarray, indices: np.ndarray) -> dict[str, Callable[[], Any]]:
    def graphsense() -> np.ndarray:
        c = Clustering(max_address_id=n - 1)
        lists = pa.ListArray.from_arrays(pa.array(indptr.astype(np.int32)), pa.array(indices))
        c.process_transactions_arrow(lists)
        return c.get_mapping().column("cluster_id").to_numpy()[:n]

    def scipy_cc() -> np.ndarray:
        groups = len(indptr) - 1
        m = csr_matrix(
            (np.ones(len(indices), np.int8), indices.astype(np.int32), indptr),
            shape=(groups, n),
        )
        _, labels = connected_components(_bipartite(m), directed=False)
        return labels[:n]

    def igraph_cc() -> np.ndarray:
        edges = _chain_edges(indptr, indices)
        g = igraph.Graph(n=n, edges=edges, directed=False)
        return np.asarray(g.connected_components().membership)

    return {"graphsense-clustering": graphsense, "scipy": scipy_cc, "igraph": igraph_cc}


def _bipartite(m: Any) -> Any:
    return bmat([[None, m.T], [m, None]], format="csr")


def _chain_edges(indptr: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """Each group as a chain a0-a1, a1-a2, ...: the fewest edges that join it."""
    same = np.ones(len(indices), bool)
    same[indptr[:-1][np.diff(indptr) > 0]] = False  # first member of each group
    pos = np.flatnonzero(same)
    return np.stack([indices[pos - 1], indices[pos]], axis=1)


def _networkx_row(report: Report, small: UtxoGraph) -> None:
    indptr, indices = _groups(small)
    n = small.n_addresses
    ours = timed(lambda: union_groups(n, indptr, indices), repeats=3)

    def run() -> np.ndarray:
        g = nx.Graph()
        g.add_nodes_from(range(n))
        g.add_edges_from(map(tuple, _chain_edges(indptr, indices).tolist()))
        labels = np.empty(n, np.int64)
        for comp in nx.connected_components(g):
            members = np.fromiter(comp, np.int64)
            labels[members] = members.min()
        return labels

    got = timed(run)
    same = _same_partition(ours.result, got.result)
    report.add(Row(
        f"cluster {small.n_txs:,} txs", f"{ours.seconds:.3f} s",
        f"networkx: {got.seconds:.2f} s, {_mem(got.peak_bytes, n, 'address')}"
        + ("" if same else "  PARTITION DIFFERS"),
        got.seconds / ours.seconds, {"ours_s": ours.seconds, "peer_s": got.seconds},
    ))  # fmt: skip


def _args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.bench_graph", description=__doc__)
    p.add_argument("--txs", type=int, default=10_000_000, help="graph size (transactions)")
    p.add_argument("--small", type=int, default=200_000, help="size networkx runs at")
    p.add_argument("--quick", action="store_true", help="tiny sizes: prove it runs (CI)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--no-write", action="store_true", help="do not write the JSON result")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    txs, small_txs = (20_000, 2_000) if args.quick else (args.txs, args.small)
    report = Report("bench_graph", machine.machine_facts(bandwidth_bytes=64 << 20))
    start = time.perf_counter()
    graph = generate_utxo_graph(txs, seed=args.seed)
    small = generate_utxo_graph(small_txs, seed=args.seed)
    report.note(
        f"graph: {graph.n_txs:,} txs, {graph.n_inputs:,} inputs, {graph.n_outputs:,} outputs, "
        f"{graph.n_addresses:,} addresses, generated in {time.perf_counter() - start:.1f} s"
    )
    if MISSING_PEERS:
        report.note(f"peers missing ({MISSING_PEERS}): pip install -e '.[bench]'")
        return 1
    cluster_case(report, graph, small)
    for extra in EXTRA_CASES:
        extra(report, graph, small)
    report.print()
    if not args.no_write:
        report.note(f"written to {report.write()}")
    return 0


def _python_haircut(g: UtxoGraph, row: int, hops: int) -> float:
    """The same 6-hop haircut, written the straightforward way: dicts of coin -> taint."""
    taint = {row: float(g.out_value[row])}
    frontier = [row]
    for _ in range(hops):
        entering: dict[int, float] = {}
        for coin in frontier:
            tx = int(g.out_spent_tx[coin])
            if tx != NO_ID:
                entering[tx] = entering.get(tx, 0.0) + taint[coin]
        frontier = []
        for tx, t in entering.items():
            ins = g.in_value[g.in_start[tx] : g.in_start[tx + 1]]
            v = float(ins[ins > 0].sum()) or 1.0
            for out in range(int(g.out_start[tx]), int(g.out_start[tx + 1])):
                taint[out] = taint.get(out, 0.0) + t * float(g.out_value[out]) / v
                frontier.append(out)
    return sum(taint.values())


def trace_case(report: Report, graph: UtxoGraph, small: UtxoGraph) -> None:
    rng = np.random.default_rng(11)
    spent = np.flatnonzero(graph.out_spent_tx != NO_ID)
    starts = rng.choice(spent, size=min(100, len(spent)), replace=False)
    trace(graph, start=Start.output(int(starts[0])), model="haircut", max_hops=6)  # compile
    ours, peer, reached = [], [], []
    for row in starts.tolist():
        t0 = time.perf_counter()
        result = trace(graph, start=Start.output(row), model="haircut", max_hops=6)
        ours.append(time.perf_counter() - t0)
        reached.append(len(result.item_ref))
        t0 = time.perf_counter()
        _python_haircut(graph, row, 6)
        peer.append(time.perf_counter() - t0)
    med_o, med_p = statistics.median(ours), statistics.median(peer)
    report.add(Row(
        f"6-hop haircut trace, {len(starts)} random coins",
        f"median {med_o * 1e3:.2f} ms, max {max(ours) * 1e3:.1f} ms "
        f"({statistics.median(reached):,.0f} coins reached)",
        f"Python dicts: median {med_p * 1e3:.2f} ms, max {max(peer) * 1e3:.1f} ms",
        med_p / med_o, {"ours_s": ours, "peer_s": peer, "reached": reached},
    ))  # fmt: skip


# further cases register here: fn(report, graph, small graph for peers that cannot hold it)
EXTRA_CASES: list[Callable[[Report, UtxoGraph, UtxoGraph], None]] = [search_case, trace_case]


if __name__ == "__main__":
    sys.exit(main())
