"""Point look-ups: a transaction by txid, an address's history, beside SQL over the views.

    python -m benchmarks.bench_lookup [--txs 1000000] [--quick]

A generated chain (:mod:`benchmarks.gen_blocks`) is ingested and indexed, then 50 random
transactions and 50 random addresses are looked up through ``ChainStore.transaction`` /
``ChainStore.address`` (id maps, one partition per id, the graph index), and the same
questions are asked the way a user of the Parquet files would: DuckDB SQL over the
store's catalog views (``WHERE txid = ?``, ``WHERE addr_id = ?``). Answers are checked
equal. Per look-up medians and p95; the ratio is the peer's median over ours. The views
scan a column of every partition, so their time grows with the chain and ours with
log n: run two sizes to see it (``scale`` row).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from benchmarks.gen_blocks import generate_chain
from benchmarks.machine import machine_facts
from benchmarks.report import Report, Row
from chainsleuth.chain.readers import read_raw_blocks
from chainsleuth.store import ChainStore, open_store

RESULTS = Path(__file__).parent / "results"
SAMPLE = 50


def _times(
    fn: Callable[[Any], Any], items: list[Any]
) -> tuple[np.typing.NDArray[np.float64], list[Any]]:
    seconds, answers = [], []
    for item in items:
        start = time.perf_counter()
        answers.append(fn(item))
        seconds.append(time.perf_counter() - start)
    return np.array(seconds), answers


def _cell(seconds: np.typing.NDArray[np.float64]) -> str:
    return (
        f"median {np.median(seconds) * 1e3:.1f} ms, p95 {np.percentile(seconds, 95) * 1e3:.1f} ms"
    )


def _build(work: Path, txs: int, seed: int) -> tuple[ChainStore, float]:
    chain = generate_chain(work / "gen", txs=txs, seed=seed, etl=False)
    store = open_store(work / "store")
    start = time.perf_counter()
    store.ingest(read_raw_blocks(chain.blk_paths), chain="btc")
    store.build_index("btc")
    return store, time.perf_counter() - start


def _sql_tx(con: duckdb.DuckDBPyConnection) -> Callable[[bytes], Any]:
    def ask(txid: bytes) -> Any:
        (tx_id,) = con.execute(
            "SELECT min(tx_id) FROM btc_transactions WHERE txid = ?", [txid]
        ).fetchone() or (None,)
        outs = con.execute(
            "SELECT o.vout, o.value, s.spender FROM btc_outputs o LEFT JOIN "
            "(SELECT prev_out, min(tx_id) AS spender FROM btc_inputs WHERE prev_tx_id = $t "
            "GROUP BY prev_out) s ON s.prev_out = o.out_index WHERE o.tx_id = $t ORDER BY 1",
            {"t": tx_id},
        ).fetchall()
        ins = con.execute(
            "SELECT index, value FROM btc_inputs WHERE tx_id = ? ORDER BY 1", [tx_id]
        ).fetchall()
        return [v for _, v, _ in outs], [v for _, v in ins]

    return ask


def _sql_address(con: duckdb.DuckDBPyConnection) -> Callable[[int], Any]:
    def ask(addr_id: int) -> Any:
        row = con.execute(
            "SELECT (SELECT coalesce(sum(value), 0) FROM btc_outputs WHERE addr_id = $a), "
            "(SELECT coalesce(sum(value), 0) FROM btc_inputs WHERE addr_id = $a "
            "AND resolution IN (1, 2))",
            {"a": addr_id},
        ).fetchone()
        assert row is not None
        return int(row[0]), int(row[1])

    return ask


def run_size(report: Report, work: Path, txs: int, seed: int) -> dict[str, float]:
    store, build = _build(work / f"n{txs}", txs, seed)
    label = f"{txs:,} txs"
    report.note(f"{label}: ingest + index {build:.1f} s")
    rng = np.random.default_rng(seed)
    with store.connect() as con:
        n_tx, n_addr = (
            int(con.execute(f"SELECT count(*) FROM btc_{t}").fetchone()[0])
            for t in ("transactions", "addresses")
        )  # type: ignore[index]
        ids = sorted(rng.choice(n_tx, SAMPLE, replace=False).tolist())
        txids = [
            bytes(r[0])
            for r in con.execute(
                "SELECT txid FROM btc_transactions WHERE tx_id IN (SELECT unnest(?))"
                " ORDER BY tx_id",
                [ids],
            ).fetchall()
        ]
        addr_ids = rng.choice(n_addr, SAMPLE, replace=False).tolist()
        keys = {
            int(a): bytes([st]) + bytes(p)
            for a, st, p in con.execute(
                "SELECT addr_id, script_type, payload FROM btc_addresses"
                " WHERE addr_id IN (SELECT unnest(?))",
                [addr_ids],
            ).fetchall()
        }
    ours_tx, got_tx = _times(lambda t: store.transaction("btc", t.hex()), txids)
    peer = store.connect()  # one connection for all questions, as a user's session keeps it
    peer_tx, want_tx = _times(_sql_tx(peer), txids)
    for got, (outs, ins) in zip(got_tx, want_tx, strict=True):
        assert [o.value for o in got.outputs] == outs and [i.value for i in got.inputs] == ins
    ours_a, got_a = _times(lambda a: store.address("btc", keys[a]), addr_ids)
    peer_a, want_a = _times(_sql_address(peer), addr_ids)
    peer.close()
    assert [(g.received, g.sent) for g in got_a] == want_a
    for case, ours, peer in (
        ("transaction by txid", ours_tx, peer_tx),
        ("address history", ours_a, peer_a),
    ):
        report.add(
            Row(
                f"{case}, {label}",
                _cell(ours),
                f"DuckDB SQL over the views: {_cell(peer)}",
                float(np.median(peer) / np.median(ours)),
                {
                    "txs": txs,
                    "ours_median": float(np.median(ours)),
                    "peer_median": float(np.median(peer)),
                },
            )
        )
    return {
        "tx": float(np.median(ours_tx)),
        "address": float(np.median(ours_a)),
        "peer_tx": float(np.median(peer_tx)),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.bench_lookup", description=__doc__)
    p.add_argument("--txs", type=int, default=1_000_000, help="big size; the small is N/10")
    p.add_argument("--quick", action="store_true", help="tiny sizes, for a CI smoke run")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--no-write", action="store_true")
    args = p.parse_args(argv)
    sizes = (2_000, 20_000) if args.quick else (args.txs // 10, args.txs)
    report = Report("bench_lookup", machine_facts(bandwidth_bytes=64 << 20))
    with tempfile.TemporaryDirectory(prefix="bench_lookup-") as tmp:
        small, big = (run_size(report, Path(tmp), n, args.seed) for n in sizes)
    report.add(
        Row(
            f"scale {sizes[0]:,} -> {sizes[1]:,} txs (time ratio)",
            f"tx ×{big['tx'] / small['tx']:.2f}, address ×{big['address'] / small['address']:.2f}",
            f"views: tx ×{big['peer_tx'] / small['peer_tx']:.2f}",
        )
    )
    report.print()
    if not args.no_write:
        print(f"written to {report.write(RESULTS)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
