"""The peers chainsleuth is measured against, and the real mainnet blocks they all parse."""

from __future__ import annotations

import bz2
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from bitcoin.core import CBlock

from benchmarks.gen_blocks import MAGIC, read_blk_file
from benchmarks.machine import peak_rss, reset_peak_rss

try:
    import bdkpython
except ImportError as exc:  # an optional peer: the row is skipped with a note
    bdkpython = None
    _BDK_MISSING = f"bdkpython not installed ({exc}); pip install -e '.[bench]'"

# the real data sit in ../shared/data beside the repository (CHAINSLEUTH_SHARED_DATA overrides)
DATA = Path(
    os.environ.get(
        "CHAINSLEUTH_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"
    )
)
# Whole blocks only: undo data, UTXO sets and lone transactions are left out.
_REAL = {
    "btc-blocks-bcoin": ("block*[0-9].raw",),
    "btc-blocks-btcd": ("block-*.blk", "277647.dat.bz2"),
    "btc-blocks-hadoopcryptoledger": ("*.blk",),
}

# Version-1 blocks carry no BIP34 height: SOURCE.md gives it (from the file name).
REAL_START_HEIGHTS = {"block176149": 176_149}


@dataclass(frozen=True)
class Timed:
    """Best wall time of a run, the peak RSS above the run's start, and what it returned."""

    seconds: float
    peak_bytes: int
    result: Any


def timed(fn: Callable[[], Any], *, repeats: int = 1) -> Timed:
    """Run ``fn`` ``repeats`` times; keep the best time and the highest memory peak."""
    best, peak, result = float("inf"), 0, None
    for _ in range(repeats):
        base = reset_peak_rss()
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
        peak = max(peak, peak_rss() - base)
    return Timed(best, peak, result)


def _blocks_of(path: Path) -> Iterator[bytes]:
    data = bz2.decompress(path.read_bytes()) if path.suffix == ".bz2" else path.read_bytes()
    if data[:4] != MAGIC:
        yield data  # a bare serialized block
        return
    pos = 0
    while pos + 8 <= len(data):
        size = int.from_bytes(data[pos + 4 : pos + 8], "little")
        yield data[pos + 8 : pos + 8 + size]
        pos += 8 + size


def write_real_blocks(out_dir: Path, data: Path = DATA) -> list[tuple[Path, list[bytes]]]:
    """Each real mainnet block file of ``data`` as a ``blk*.dat``-framed file in ``out_dir``.

    One output file per source file; the reader takes them all in one call and keeps each
    unlinked block (or run of blocks) as a segment at its own height.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for folder, patterns in _REAL.items():
        for pattern in patterns:
            for file in sorted((data / folder).glob(pattern)):
                blocks = list(_blocks_of(file))
                path = out_dir / f"{file.name.split('.')[0]}.dat"
                with path.open("wb") as out:
                    for block in blocks:
                        out.write(MAGIC + len(block).to_bytes(4, "little") + block)
                written.append((path, blocks))
    return written


def sample_blocks(paths: list[Path], budget_bytes: int) -> list[bytes]:
    """Blocks from the start of ``paths`` until ``budget_bytes`` are taken (at least one)."""
    taken: list[bytes] = []
    size = 0
    for path in paths:
        for block in read_blk_file(path):
            if taken and size + len(block) > budget_bytes:
                return taken
            taken.append(block)
            size += len(block)
    return taken


def bitcoinlib_parse(blocks: list[bytes]) -> int:
    """python-bitcoinlib: deserialize each block and hash each transaction; returns tx count."""
    txs = 0
    for raw in blocks:
        for tx in CBlock.deserialize(raw).vtx:
            tx.GetTxid()
            txs += 1
    return txs


def split_transactions(blocks: list[bytes]) -> list[bytes]:
    """Each transaction's bytes (bdkpython deserializes transactions, not blocks)."""
    return [tx.serialize() for raw in blocks for tx in CBlock.deserialize(raw).vtx]


def bdk_available() -> str | None:
    """None when bdkpython can be used, else why not."""
    return _BDK_MISSING if bdkpython is None else None


def bdk_parse(txs: list[bytes]) -> int:
    """bdkpython (rust-bitcoin): deserialize each transaction and compute its txid."""
    assert bdkpython is not None
    for raw in txs:
        bdkpython.Transaction(raw).compute_txid()
    return len(txs)


def duckdb_floor(db_path: Path, files: dict[str, Path]) -> int:
    """DuckDB ``read_json`` of each file alone into a table of an on-disk database; rows."""
    con = duckdb.connect(str(db_path))
    try:
        rows = 0
        for table, path in files.items():
            con.execute(
                f"CREATE OR REPLACE TABLE {table} AS "
                f"SELECT * FROM read_json('{path}', format='newline_delimited')"
            )
            rows += int(con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # type: ignore[index]
        con.execute("CHECKPOINT")
        return rows
    finally:
        con.close()
