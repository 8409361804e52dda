"""Chain-data layer benchmark: parse raw blocks, ingest into the store, scan all outputs.

    python -m benchmarks.bench_chain [--txs N] [--quick]

Runs every case at two sizes (N/10 and N generated transactions; ``--quick``: a tiny
chain for CI) and once on the real mainnet blocks in ../shared/data, beside its peers
(python-bitcoinlib, bdkpython, DuckDB ``read_json``, a numpy copy), and prints the table
``case | chainsleuth | peer | ratio`` (ratio > 1: chainsleuth is faster). Cases whose
chainsleuth piece does not exist yet are skipped with a note. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import importlib
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from benchmarks import peers
from benchmarks.eth_ingest import eth_ingest_case
from benchmarks.gen_blocks import GeneratedChain, generate_chain
from benchmarks.machine import machine_facts
from benchmarks.report import RESULTS, Report, Row
from benchmarks.scan import scan_case

FULL_CHAIN_TXS = 1_200_000_000


def _piece(module: str, name: str) -> tuple[Callable[..., Any] | None, str]:
    """A chainsleuth function if it exists yet, else None and why not."""
    try:
        found = getattr(importlib.import_module(module), name, None)
    except Exception as exc:  # a piece still being written may fail in any way
        return None, f"{module}.{name} unavailable: {type(exc).__name__}: {exc}"
    if found is None:
        return None, f"{module}.{name} does not exist yet"
    return found, ""


@dataclass
class Bench:
    """One run: where files go, the chainsleuth pieces found, and the report being filled."""

    report: Report
    work: Path
    peer_bytes: int
    pieces: dict[str, tuple[Callable[..., Any] | None, str]] = field(default_factory=dict)
    seconds: dict[str, dict[int, float]] = field(default_factory=dict)
    size: int = 0  # the generated size being run, 0 for the real blocks

    def __post_init__(self) -> None:
        for key, module, name in (
            ("raw", "chainsleuth.chain.readers.rawblock", "read_raw_blocks"),
            ("etl", "chainsleuth.chain.readers.bitcoin_etl", "read_bitcoin_etl"),
            ("store", "chainsleuth.store", "open_store"),
        ):
            self.pieces[key] = _piece(module, name)
            if self.pieces[key][0] is None:
                self.report.note(f"skipped cases: {self.pieces[key][1]}")

    def fn(self, key: str) -> Callable[..., Any] | None:
        return self.pieces[key][0]

    def remember(self, case: str, seconds: float) -> None:
        if self.size:
            self.seconds.setdefault(case, {})[self.size] = seconds


def _guard(
    bench: Bench, case: str, fn: Callable[[], Any], *, repeats: int = 1
) -> peers.Timed | None:
    """Time a chainsleuth call; a failure becomes a note, not the end of the run."""
    try:
        return peers.timed(fn, repeats=repeats)
    except Exception as exc:  # the benchmark reports what broke and goes on
        bench.report.note(f"{case}: chainsleuth failed: {type(exc).__name__}: {exc}")
        return None


def _count(batches: Iterable[Any]) -> tuple[int, int, int]:
    """Consume batches; (transactions, inputs, outputs)."""
    txs = ins = outs = 0
    for batch in batches:
        txs += batch["transactions"].num_rows
        ins += batch["inputs"].num_rows
        outs += batch["outputs"].num_rows
    return txs, ins, outs


# The files of one chain, and its first height when the files cannot tell (no BIP34).
Chain = tuple[list[Path], int | None]


def _count_chains(read: Callable[..., Any], chains: list[Chain]) -> tuple[int, int, int]:
    counts = [
        _count(read(paths) if start is None else read(paths, start_height=start))
        for paths, start in chains
    ]
    return sum(c[0] for c in counts), sum(c[1] for c in counts), sum(c[2] for c in counts)


def _rate(amount: float, seconds: float, unit: str) -> str:
    return f"{amount / seconds:,.0f} {unit}" if seconds > 0 else f"? {unit}"


def _mb_tx(nbytes: int, txs: int, seconds: float) -> str:
    return f"{nbytes / 1e6 / seconds:,.1f} MB/s, {txs / seconds:,.0f} tx/s"


def _mem(peak: int, txs: int) -> str:
    return f"peak +{peak / 2**20:,.0f} MiB ({peak / max(txs, 1):,.0f} B/tx)"


def parse_case(bench: Bench, label: str, chains: list[Chain], nbytes: int, txs: int) -> None:
    """Raw-block parsing: chainsleuth over all blocks, the peers over a sample of them.

    Each item of ``chains`` is the files of one chain, read by one reader call.
    """
    sample = peers.sample_blocks([p for paths, _ in chains for p in paths], bench.peer_bytes)
    s_bytes = sum(len(b) for b in sample)
    # best of three on both sides: the machine is shared and noisy, ratios hold
    lib = peers.timed(lambda: peers.bitcoinlib_parse(sample), repeats=3)
    peer_rows = [("python-bitcoinlib", lib, lib.result)]
    why_not = peers.bdk_available()
    if why_not is None:
        split = peers.split_transactions(sample)
        bdk = peers.timed(lambda: peers.bdk_parse(split), repeats=3)
        peer_rows.append(("bdkpython (per tx, pre-split)", bdk, bdk.result))
    else:
        bench.report.note(f"bdkpython skipped: {why_not}")
    read = bench.fn("raw")
    cs = (
        None
        if read is None
        else _guard(bench, label, lambda: _count_chains(read, chains), repeats=3)
    )
    if cs is not None:
        bench.remember("parse", cs.seconds)
        if cs.result[0] != txs:
            bench.report.note(f"parse {label}: chainsleuth read {cs.result[0]} txs, expected {txs}")
    for name, t, n in peer_rows:
        peer_mbs = s_bytes / 1e6 / t.seconds
        cell = "skipped (see notes)" if cs is None else _mb_tx(nbytes, txs, cs.seconds)
        ratio = None if cs is None else (nbytes / 1e6 / cs.seconds) / peer_mbs
        bench.report.add(
            Row(
                f"parse {label}",
                cell,
                f"{name}: {_mb_tx(s_bytes, n, t.seconds)} ({s_bytes / 1e6:.1f} MB sample)",
                ratio,
                {
                    "bytes": nbytes,
                    "txs": txs,
                    "seconds": cs and cs.seconds,
                    "peak_bytes": cs and cs.peak_bytes,
                    "peer": name,
                    "peer_bytes": s_bytes,
                    "peer_txs": n,
                    "peer_seconds": t.seconds,
                    "peer_peak_bytes": t.peak_bytes,
                },
            )
        )
    if cs is not None:
        bench.report.add(
            Row(
                f"memory: parse {label}",
                _mem(cs.peak_bytes, txs),
                f"python-bitcoinlib: {_mem(lib.peak_bytes, lib.result)}",
            )
        )


def _ingest(
    open_store: Callable[..., Any], target: Path, read: Callable[..., Any], arg: Any
) -> Any:
    shutil.rmtree(target, ignore_errors=True)
    return open_store(target).ingest(read(arg), chain="btc")


def ingest_case(bench: Bench, label: str, chain: GeneratedChain) -> Path | None:
    """Ingest from raw blocks and from bitcoin-etl JSON, beside DuckDB reading the JSON."""
    etl_files = chain.etl_paths
    floor, peer = None, "floor not measured (--no-etl)"
    if etl_files:
        db = bench.work / f"floor-{chain.txs}.duckdb"
        floor = peers.timed(
            lambda: peers.duckdb_floor(db, dict(zip(("blocks", "txs"), etl_files, strict=True)))
        )
        db.unlink(missing_ok=True)
        peer = (
            f"DuckDB read_json of the etl JSON: "
            f"{_mb_tx(chain.etl_bytes, chain.txs, floor.seconds)}, "
            f"{_mem(floor.peak_bytes, chain.txs)}"
        )
    open_store, store_dir = bench.fn("store"), None
    sources = [("raw", "raw blocks", chain.blk_paths, chain.raw_bytes)]
    if etl_files:
        sources.append(("etl", "bitcoin-etl JSON", etl_files, chain.etl_bytes))
    for key, source, arg, nbytes in sources:
        read = bench.fn(key)
        if open_store is None or read is None:
            bench.report.add(Row(f"ingest {source} {label}", "skipped (see notes)", peer))
            continue
        target = bench.work / f"store-{key}-{chain.txs}"
        cs = _guard(
            bench, f"ingest {source} {label}", partial(_ingest, open_store, target, read, arg)
        )
        if cs is None:
            bench.report.add(Row(f"ingest {source} {label}", "failed (see notes)", peer))
            continue
        bench.remember(f"ingest {source}", cs.seconds)
        bench.report.add(
            Row(
                f"ingest {source} {label}",
                f"{_mb_tx(nbytes, chain.txs, cs.seconds)}, {_mem(cs.peak_bytes, chain.txs)}",
                peer,
                floor.seconds / cs.seconds if floor else None,
                {
                    "seconds": cs.seconds,
                    "peak_bytes": cs.peak_bytes,
                    "source_bytes": nbytes,
                    "floor_seconds": floor.seconds if floor else None,
                    "floor_bytes": chain.etl_bytes,
                },
            )
        )
        store_dir = store_dir or target
    return store_dir


def scale_rows(bench: Bench, small: int, big: int) -> None:
    """How each case's time grows from the small to the big size, and a linear projection."""
    for case, by_size in bench.seconds.items():
        if small in by_size and big in by_size and by_size[small] > 0:
            growth = by_size[big] / by_size[small]
            hours = by_size[big] / big * FULL_CHAIN_TXS / 3600
            bench.report.add(
                Row(
                    f"scale: {case} {small:,}→{big:,} txs",
                    f"time x{growth:.1f} for x{big / small:.1f} txs; "
                    f"full chain (1.2e9 txs) ≈ {hours:,.1f} h if linear",
                    "—",
                    data={"seconds": by_size},
                )
            )


def _warm_up(bench: Bench) -> None:
    """Compile numba kernels and load modules outside the timings."""
    chain = generate_chain(bench.work / "warm", txs=200, seed=1, txs_per_block=100)
    raw, etl, open_store = bench.fn("raw"), bench.fn("etl"), bench.fn("store")
    steps: list[tuple[str, Callable[[], Any]]] = []
    if raw is not None:
        steps.append(("parse", lambda: _count(raw(chain.blk_paths))))
    if open_store is not None:
        for key, reader, arg in (("raw", raw, chain.blk_paths), ("etl", etl, chain.etl_paths)):
            if reader is not None:
                target = bench.work / f"warm-store-{key}"
                steps.append((f"ingest {key}", partial(_ingest, open_store, target, reader, arg)))
    for name, step in steps:
        _guard(bench, f"warm-up {name}", step)
    peers.bitcoinlib_parse(peers.sample_blocks(chain.blk_paths, 1 << 20))


def real_case(bench: Bench) -> None:
    """Parse the real mainnet blocks, all files in one reader call (as `chainsleuth ingest`)."""
    real = peers.write_real_blocks(bench.work / "real")
    blocks = [b for _, bs in real for b in bs]
    nbytes, txs = sum(len(b) for b in blocks), sum(_tx_count(b) for b in blocks)
    label = f"real mainnet ({len(blocks)} blocks)"
    # the one version-1 block that links to nothing takes its height from SOURCE.md
    (start,) = peers.REAL_START_HEIGHTS.values()
    chains: list[Chain] = [([path for path, _ in real], start)]
    parse_case(bench, label, chains, nbytes, txs)


def run_size(bench: Bench, txs: int, seed: int, per_block: int, *, etl: bool = True) -> None:
    label = f"generated {txs:,} txs"
    bench.size = txs
    made = peers.timed(
        lambda: generate_chain(
            bench.work / f"gen-{txs}", txs=txs, seed=seed, txs_per_block=per_block, etl=etl
        )
    )
    chain: GeneratedChain = made.result
    bench.report.note(
        f"{label}: {chain.blocks} blocks, {chain.txs:,} txs, {chain.inputs:,} inputs, "
        f"{chain.outputs:,} outputs, {chain.raw_bytes / 1e6:.1f} MB raw, "
        f"{chain.etl_bytes / 1e6:.1f} MB bitcoin-etl JSON; generated in {made.seconds:.1f} s"
    )
    parse_case(bench, label, [(chain.blk_paths, None)], chain.raw_bytes, chain.txs)
    store_dir = ingest_case(bench, label, chain)
    if store_dir is not None:
        for case, seconds in scan_case(bench.report, label, store_dir, chain).items():
            bench.remember(case, seconds)
    if etl and (eth_seconds := eth_ingest_case(bench.report, bench.work, txs=txs, seed=seed)):
        bench.remember("ingest ethereum-etl", eth_seconds)
    shutil.rmtree(bench.work / f"gen-{txs}", ignore_errors=True)


def _args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.bench_chain", description=__doc__)
    p.add_argument("--txs", type=int, default=1_000_000, help="big size; the small is N/10")
    p.add_argument("--quick", action="store_true", help="tiny sizes, for a CI smoke run")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument(
        "--peer-mb",
        type=float,
        default=16.0,
        help="MB of blocks the pure-Python peers parse (rates are per MB)",
    )
    p.add_argument("--workdir", type=Path, help="keep generated files here (default: a temp dir)")
    p.add_argument("--results", type=Path, default=RESULTS, help="where the JSON result goes")
    p.add_argument("--no-write", action="store_true", help="print only, write no JSON result")
    p.add_argument(
        "--no-etl",
        action="store_true",
        help="skip the bitcoin-etl and ethereum-etl exports and their ingest "
        "(10M txs make ~23 GB of JSON)",
    )
    return p.parse_args(argv)


def _sizes(args: argparse.Namespace) -> Iterator[tuple[int, int]]:
    """(transactions, transactions per block) per size, small first."""
    if args.quick:
        yield from ((300, 100), (1_500, 100))
    else:
        yield from ((args.txs // 10, 2_000), (args.txs, 2_000))


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    report = Report("bench_chain", machine_facts(bandwidth_bytes=(64 if args.quick else 512) << 20))
    with tempfile.TemporaryDirectory(prefix="bench_chain-") as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        bench = Bench(report, work, int(args.peer_mb * 1e6))
        _warm_up(bench)
        real_case(bench)
        sizes = list(_sizes(args))
        for txs, per_block in sizes:
            run_size(bench, txs, args.seed, per_block, etl=not args.no_etl)
        scale_rows(bench, sizes[0][0], sizes[1][0])
    report.note(
        "ratio: parse = MB/s ÷ peer MB/s; ingest = floor time ÷ ingest time (target ≥ 1/3);"
        " scan = numpy-copy time of the same bytes ÷ scan time (target ≥ 1/3)"
    )
    report.print()
    if not args.no_write:
        print(f"written to {report.write(args.results)}")
    return 0


def _tx_count(block: bytes) -> int:
    """The transaction count after the 80-byte header (a compact size)."""
    first = block[80]
    if first < 0xFD:
        return first
    width = {0xFD: 2, 0xFE: 4, 0xFF: 8}[first]
    return int.from_bytes(block[81 : 81 + width], "little")


if __name__ == "__main__":
    raise SystemExit(main())
