"""Ingest of an ethereum-etl CSV export beside its floor, DuckDB ``read_csv`` of the same files.

    python -m benchmarks.eth_ingest [--txs N] [--quick]

The export is the simulator's account chain (``simulate_world`` writes ``eth/blocks.csv``,
``transactions.csv``, ``token_transfers.csv`` and genesis ``traces.csv`` with ethereum-etl's
columns; the floor reads every one of them): a classroom
world whose account chain is stretched to about N transactions, with users scaled so that
addresses recur as in a busy chain. Measured, best of one run each on the same files:

- floor: DuckDB ``CREATE TABLE AS SELECT * FROM read_csv(file)`` of every file into an
  on-disk database (all columns, types sniffed), then ``CHECKPOINT``;
- ingest: ``open_store(fresh dir).ingest(read_ethereum_etl(folder), chain="eth")``;
- read (standalone run only): ``read_ethereum_etl`` alone, batches consumed and dropped.

Ratio = floor time ÷ chainsleuth time (> 1: chainsleuth is faster; target ≥ 1/3).
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from benchmarks.machine import machine_facts
from benchmarks.peers import Timed, timed
from benchmarks.report import RESULTS, Report, Row
from chainsleuth.chain.readers import read_ethereum_etl
from chainsleuth.simulate import preset, simulate_world
from chainsleuth.store import open_store

_FILES = ("blocks", "transactions", "token_transfers", "traces")  # those the world writes
_PER_BLOCK = 150  # background payments per block; services and scenarios add ~35 %
_WARMED: set[str] = set()


@dataclass(frozen=True)
class EthExport:
    """A generated ethereum-etl CSV export and what it holds."""

    folder: Path
    files: list[Path]
    blocks: int
    txs: int
    token_transfers: int
    rows: int  # data rows of all files

    @property
    def nbytes(self) -> int:
        return sum(f.stat().st_size for f in self.files)


def eth_export(out: Path, *, txs: int, seed: int) -> EthExport:
    """Simulate a world whose account chain has about ``txs`` transactions into ``out``."""
    base = preset("classroom")
    # the scenarios need the classroom's length at least; below it, thinner blocks
    blocks = max(base.eth_blocks, round(txs / (_PER_BLOCK * 1.35)))
    per_block = min(_PER_BLOCK, max(5, round(txs / (blocks * 1.35))))
    size = dataclasses.replace(
        base,
        name=f"eth-{txs}",
        users=min(20_000, max(base.users, txs // 20)),  # more: the UTXO side cannot pay all
        eth_blocks=blocks,
        eth_txs_per_block=per_block,
    )
    eth = simulate_world(out, preset=size, seed=seed)["chains"]["eth"]
    folder = out / "eth"
    files = [folder / f"{name}.csv" for name in _FILES if (folder / f"{name}.csv").exists()]
    rows = sum(_data_rows(f) for f in files)
    return EthExport(folder, files, eth["blocks"], eth["txs"], eth["token_transfers"], rows)


def _data_rows(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 24), b"")) - 1


def duckdb_csv_floor(db_path: Path, files: list[Path]) -> int:
    """DuckDB ``read_csv`` of each file alone into a table of an on-disk database; rows."""
    con = duckdb.connect(str(db_path))
    try:
        rows = 0
        for path in files:
            table = path.stem
            con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM read_csv('{path}')")
            rows += int(con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # type: ignore[index]
        con.execute("CHECKPOINT")
        return rows
    finally:
        con.close()


def _ingest(export: EthExport, target: Path) -> int:
    shutil.rmtree(target, ignore_errors=True)
    open_store(target).ingest(read_ethereum_etl(export.folder), chain="eth")
    return export.txs


def _read(export: EthExport) -> int:
    return sum(b["transactions"].num_rows for b in read_ethereum_etl(export.folder))


def _cell(export: EthExport, t: Timed) -> str:
    s = max(t.seconds, 1e-9)
    return (
        f"{export.nbytes / 1e6 / s:,.1f} MB/s, {export.rows / s:,.0f} rows/s "
        f"({export.txs / s:,.0f} tx/s), {t.seconds:.2f} s, peak +{t.peak_bytes / 2**20:,.0f} MiB"
    )


def _data(export: EthExport, t: Timed, floor: Timed) -> dict[str, Any]:
    return {
        "seconds": t.seconds,
        "peak_bytes": t.peak_bytes,
        "source_bytes": export.nbytes,
        "rows": export.rows,
        "txs": export.txs,
        "blocks": export.blocks,
        "token_transfers": export.token_transfers,
        "floor_seconds": floor.seconds,
        "floor_peak_bytes": floor.peak_bytes,
    }


def _warm_up(work: Path, seed: int) -> None:
    """Load modules and pyarrow kernels outside the timings (once per process)."""
    if "eth" in _WARMED:
        return
    _WARMED.add("eth")
    small = eth_export(work / "eth-warm", txs=500, seed=seed)
    _ingest(small, work / "eth-warm-store")
    duckdb_csv_floor(work / "eth-warm.duckdb", small.files)


def eth_ingest_case(
    report: Report, work: Path, *, txs: int, seed: int = 7, read_alone: bool = False
) -> float | None:
    """Add the row ``ingest ethereum-etl CSV`` for ~``txs`` transactions; its seconds.

    A failure of the chainsleuth side becomes a note (and None), as in bench_chain.
    """
    work.mkdir(parents=True, exist_ok=True)
    _warm_up(work, seed)
    made = timed(lambda: eth_export(work / f"eth-{txs}", txs=txs, seed=seed))
    export: EthExport = made.result
    label = f"ingest ethereum-etl CSV {export.txs:,} txs"
    report.note(
        f"{label}: {export.blocks:,} blocks, {export.txs:,} txs, {export.token_transfers:,} "
        f"token transfers ({export.rows:,} rows in {', '.join(f.name for f in export.files)}), "
        f"{export.nbytes / 1e6:.1f} MB CSV; generated in {made.seconds:.1f} s"
    )
    db = work / f"eth-floor-{txs}.duckdb"
    floor = timed(lambda: duckdb_csv_floor(db, export.files))
    db.unlink(missing_ok=True)
    peer = f"DuckDB read_csv of the same files: {_cell(export, floor)}"
    cases = [(label, lambda: _ingest(export, work / f"eth-store-{txs}"))]
    if read_alone:
        alone = f"read ethereum-etl CSV {export.txs:,} txs (no store)"
        cases.append((alone, lambda: _read(export)))
    seconds = None
    for case, run in cases:
        try:
            t = timed(run)
        except Exception as exc:  # the benchmark reports what broke and goes on
            report.note(f"{case}: chainsleuth failed: {type(exc).__name__}: {exc}")
            report.add(Row(case, "failed (see notes)", peer))
            continue
        ratio = floor.seconds / t.seconds if t.seconds > 0 else None
        report.add(Row(case, _cell(export, t), peer, ratio, _data(export, t, floor)))
        seconds = t.seconds if seconds is None else seconds
    shutil.rmtree(work / f"eth-store-{txs}", ignore_errors=True)
    shutil.rmtree(work / f"eth-{txs}", ignore_errors=True)
    return seconds


def _args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.eth_ingest", description=__doc__)
    p.add_argument("--txs", type=int, default=500_000, help="account transactions to generate")
    p.add_argument("--quick", action="store_true", help="a tiny export, for a CI smoke run")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--workdir", type=Path, help="keep generated files here (default: a temp dir)")
    p.add_argument("--results", type=Path, default=RESULTS, help="where the JSON result goes")
    p.add_argument("--no-write", action="store_true", help="print only, write no JSON result")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    report = Report("eth_ingest", machine_facts(bandwidth_bytes=64 << 20))
    with tempfile.TemporaryDirectory(prefix="eth_ingest-") as tmp:
        work = args.workdir or Path(tmp)
        txs = 2_000 if args.quick else args.txs
        eth_ingest_case(report, work, txs=txs, seed=args.seed, read_alone=True)
    report.note("ratio = DuckDB floor time ÷ chainsleuth time (target ≥ 1/3: within 3× of it)")
    report.print()
    if not args.no_write:
        print(f"written to {report.write(args.results)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
