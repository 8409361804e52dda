"""Full scan of all outputs (sum of values) from the store, beside a numpy copy of as many bytes.

The store's files are found through its manifest (``STORE/manifest.json``, docs/store.md):
per committed batch, the ``outputs`` Parquet file and the ``arrays`` directory whose
``out_value.npy`` is the BlockSci-style value array, memory-mapped here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np

from benchmarks.gen_blocks import GeneratedChain
from benchmarks.machine import copy_seconds
from benchmarks.peers import timed
from benchmarks.report import Report, Row


def store_files(store: Path, chain: str = "btc") -> tuple[list[Path], list[Path]]:
    """(outputs Parquet files, out_value.npy files) of every committed batch of ``chain``."""
    manifest = json.loads((store / "manifest.json").read_text())
    root = store / "chains" / chain
    parquet, arrays = [], []
    for batch in manifest["chains"][chain]["batches"]:
        files = batch["files"]
        if "outputs" in files:
            parquet.append(root / files["outputs"])
        if "arrays" in files and (root / files["arrays"] / "out_value.npy").exists():
            arrays.append(root / files["arrays"] / "out_value.npy")
    return parquet, arrays


def _duckdb_sum(files: list[Path]) -> Callable[[], tuple[int, int]]:
    con = duckdb.connect()
    query = "SELECT count(*), sum(value)::HUGEINT FROM read_parquet($files)"

    def run() -> tuple[int, int]:
        row = con.execute(query, {"files": [str(f) for f in files]}).fetchone()
        assert row is not None
        return int(row[0]), int(row[1] or 0)

    return run


def _mmap_sum(files: list[Path]) -> Callable[[], tuple[int, int]]:
    arrays = [np.load(f, mmap_mode="r") for f in files]

    def run() -> tuple[int, int]:
        return sum(len(a) for a in arrays), sum(int(a.sum(dtype=np.int64)) for a in arrays)

    return run


def scan_case(report: Report, label: str, store: Path, chain: GeneratedChain) -> dict[str, float]:
    """Add the scan rows; return seconds per scan kind (for the scale rows)."""
    parquet, arrays = store_files(store)
    seconds: dict[str, float] = {}
    for kind, files, make in (
        ("DuckDB over outputs Parquet", parquet, _duckdb_sum),
        ("memory-mapped out_value array", arrays, _mmap_sum),
    ):
        if not files:
            report.note(f"scan {label}: the store has no {kind} files")
            continue
        t = timed(make(files), repeats=3)
        count, total = t.result
        nbytes = 8 * count
        copy = copy_seconds(nbytes)
        ok = "sum ok" if total == chain.value else f"SUM WRONG: {total} != {chain.value}"
        report.add(
            Row(
                f"scan {kind} {label}",
                f"{nbytes / 1e9 / t.seconds:.2f} GB/s ({count:,} values, {ok})",
                f"numpy copy of {nbytes / 1e6:.1f} MB: {nbytes / 1e9 / copy:.2f} GB/s",
                copy / t.seconds,
                {
                    "seconds": t.seconds,
                    "values": count,
                    "copy_seconds": copy,
                    "peak_bytes": t.peak_bytes,
                    "sum_ok": total == chain.value,
                },
            )
        )
        seconds[f"scan {kind}"] = t.seconds
    return seconds
