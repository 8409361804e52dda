"""Clustering correctness on a simulated world, scored against its ground truth.

    python -m benchmarks.eval_clustering [--preset demo] [--seed 1]

Generates the world (``chainsleuth.simulate``), ingests its raw blocks into a fresh chain
store, builds the index, maps the truth onto the store's ids and prints three tables:
pairwise precision / recall of each clustering setting, CoinJoin detection per kind, and
change-output marking per heuristic. The same figures go to
``benchmarks/results/eval_clustering-<preset>-s<seed>-<UTC time>.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from benchmarks.report import RESULTS
from chainsleuth.analysis import UtxoGraph
from chainsleuth.analysis.evaluation import Detection, Evaluation, evaluate, world_truth
from chainsleuth.chain.readers import read_raw_blocks
from chainsleuth.simulate import simulate_world
from chainsleuth.store import open_store


def score_world(world: Path, store_dir: Path) -> tuple[UtxoGraph, Evaluation]:
    """Ingest ``world``'s blocks into a new store at ``store_dir`` and evaluate it."""
    store = open_store(store_dir)
    blocks = sorted((world / "btc").glob("blk*.dat"))
    store.ingest(read_raw_blocks(blocks, network="regtest"), chain="btc", network="regtest")
    store.build_index("btc")
    graph = store.utxo_graph("btc")
    return graph, evaluate(graph, world_truth(store, world))


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.2f} %"


def _clustering_table(ev: Evaluation) -> Table:
    table = Table("setting", "precision", "recall", "clusters", "largest", title="clustering")
    for s in ev.clustering:
        table.add_row(
            s.setting.name, _pct(s.precision), _pct(s.recall), f"{s.n_clusters:,}", f"{s.largest:,}"
        )
    return table


def _detection_table(title: str, rows: tuple[Detection, ...]) -> Table:
    table = Table(title, "truth", "flagged", "correct", "precision", "recall", title=title)
    for d in rows:
        table.add_row(
            d.name, f"{d.truth:,}", f"{d.flagged:,}", f"{d.correct:,}", _pct(d.precision),
            _pct(d.recall),
        )  # fmt: skip
    return table


def _print(console: Console, ev: Evaluation, args: argparse.Namespace) -> None:
    console.print(
        f"[bold]eval_clustering[/bold] preset {args.preset}, seed {args.seed}: "
        f"{ev.n_txs:,} txs, {ev.n_addresses:,} addresses, {ev.n_entities:,} entities "
        f"(largest owns {ev.largest_entity:,} addresses)"
    )
    console.print(_clustering_table(ev))
    console.print(_detection_table("coinjoin kind", ev.coinjoin))
    console.print(_detection_table("change heuristic", ev.change))


def _args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.eval_clustering", description=__doc__)
    p.add_argument("--preset", default="demo", help="world size: classroom, demo or bench")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--results", type=Path, default=RESULTS, help="folder for the JSON file")
    p.add_argument("--no-write", action="store_true", help="do not write the JSON result")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    console = Console()
    started = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="eval_clustering-") as tmp:
        world = Path(tmp) / "world"
        with console.status(f"simulating the {args.preset} world (seed {args.seed})"):
            simulate_world(world, preset=args.preset, seed=args.seed)
        with console.status("ingesting, indexing and scoring"):
            _, ev = score_world(world, Path(tmp) / "store")
    _print(console, ev, args)
    if not args.no_write:
        args.results.mkdir(parents=True, exist_ok=True)
        stamp = started.strftime("%Y%m%dT%H%M%SZ")
        path = args.results / f"eval_clustering-{args.preset}-s{args.seed}-{stamp}.json"
        doc = {"preset": args.preset, "seed": args.seed, "started": started.isoformat()}
        path.write_text(json.dumps(doc | ev.to_json(), indent=2) + "\n")
        console.print(f"- written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
