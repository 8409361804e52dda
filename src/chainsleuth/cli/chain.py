"""``chainsleuth ingest`` and ``chainsleuth stats``: chain data in, and what the store holds."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Group
from rich.table import Table

from chainsleuth.chain import ChainBatch
from chainsleuth.chain.readers import FORMATS, plan_sources, read_live, read_plan
from chainsleuth.cli._app import app
from chainsleuth.cli._options import ChainOption, JsonFlag, StoreOption, store_at
from chainsleuth.cli._progress import ingest_bar
from chainsleuth.cli._render import emit, kv_table
from chainsleuth.cli.ops import ops_engine
from chainsleuth.config import get_settings
from chainsleuth.db import session_scope
from chainsleuth.errors import Invalid
from chainsleuth.jobs import fail_job, finish_job, start_job
from chainsleuth.store import IngestReport, StoreStats

FORMAT_HELP = "Force a format: " + ", ".join(FORMATS) + "."


def _batches(
    sources: list[Path],
    *,
    fmt: str | None,
    chain: str | None,
    height: int | None,
    rpc_url: str | None,
    start: int,
    end: int | None,
) -> tuple[str, Iterator[ChainBatch]]:
    settings = get_settings()
    if rpc_url:
        if sources:
            raise Invalid("give either SOURCE files or --rpc-url, not both")
        name = fmt or ""
        batches = read_live(name, rpc_url, start=start, end=end, batch_blocks=settings.batch_blocks)
        return chain or (FORMATS[name].default_chain if name in FORMATS else "btc"), batches
    if not sources:
        raise Invalid("nothing to ingest: give SOURCE files or folders, or --rpc-url")
    plan = plan_sources(sources, fmt=fmt, chain=chain)
    batches = read_plan(
        plan, batch_blocks=settings.batch_blocks, network=settings.network, start_height=height
    )
    return plan.chain, batches


def _report_table(report: IngestReport, family: str) -> Table:
    utxo = family == "utxo"
    rows: list[tuple[str, Any]] = [
        ("chain", report.chain),
        ("blocks added", f"{report.blocks_added:,}"),
        ("blocks already stored", f"{report.blocks_skipped:,}"),
        ("transactions", f"{report.txs_added:,}"),
        (
            "inputs / outputs",
            f"{report.inputs_added:,} / {report.outputs_added:,}" if utxo else "n/a",
        ),
        ("new addresses", f"{report.addresses_added:,}"),
        ("inputs resolved late", f"{report.inputs_resolved_late:,}" if utxo else "n/a"),
        ("reorgs", ", ".join(f"at {r.height}" for r in report.reorgs) or "none"),
    ]
    return kv_table("ingested", rows)


@app.command()
def ingest(
    sources: Annotated[list[Path] | None, typer.Argument(help="Files or folders.")] = None,
    chain: ChainOption = None,
    fmt: Annotated[str | None, typer.Option("--format", help=FORMAT_HELP)] = None,
    height: Annotated[
        int | None, typer.Option(help="Height of the first raw block when it cannot be told.")
    ] = None,
    rpc_url: Annotated[str | None, typer.Option(help="Read from a running node.")] = None,
    start: Annotated[int, typer.Option(help="First block to read with --rpc-url.")] = 0,
    end: Annotated[int | None, typer.Option(help="Last block with --rpc-url (tip).")] = None,
    index: Annotated[bool, typer.Option(help="Rebuild the graph arrays afterwards.")] = True,
    store: StoreOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Read chain data into the store: new blocks append, known ones are skipped."""
    name, batches = _batches(
        sources or [], fmt=fmt, chain=chain, height=height, rpc_url=rpc_url, start=start, end=end
    )
    target = store_at(store, create=True)
    engine = ops_engine()
    params = {
        "chain": name,
        "sources": [str(s) for s in sources or []],
        "rpc_url": rpc_url,
        "store": str(target.root),
    }
    with session_scope(engine) as session:
        job = start_job(
            session, kind="ingest", params=params, actor=getpass.getuser(), now=datetime.now(UTC)
        )
    try:
        with ingest_bar(engine, job.id) as bar:
            report = target.ingest(
                batches, chain=name, network=get_settings().network, progress=bar
            )
        if index and (report.blocks_added or report.reorgs):
            target.build_index(name)
    except Exception as exc:
        with session_scope(engine) as session:
            fail_job(session, job.id, error=str(exc), now=datetime.now(UTC))
        raise
    with session_scope(engine) as session:
        finish_job(session, job.id, result=report.to_json(), now=datetime.now(UTC))
    family = target.family(name)
    emit(report.to_json(), as_json=as_json, render=lambda _: _report_table(report, family))


def _stats_table(s: StoreStats) -> Table:
    gaps = ", ".join(f"{a:,}-{b:,}" if a != b else f"{a:,}" for a, b in s.gaps[:8])
    if len(s.gaps) > 8:
        gaps += f" (+{len(s.gaps) - 8} more)"
    rows: list[tuple[str, Any]] = [
        ("family", s.family),
        ("blocks", f"{s.blocks:,}"),
        ("heights", f"{s.min_height:,} .. {s.max_height:,}" if s.blocks else "none"),
        ("missing heights", gaps or "none"),
        ("transactions", f"{s.txs:,}"),
        ("inputs / outputs", f"{s.inputs:,} / {s.outputs:,}" if s.family == "utxo" else "n/a"),
        ("addresses", f"{s.addresses:,}"),
        ("unresolved inputs", f"{s.unresolved_inputs:,}" if s.family == "utxo" else "n/a"),
        ("fees (resolved txs)", f"{s.total_fees:,} sat" if s.family == "utxo" else "n/a"),
        ("on disk", f"{s.bytes_on_disk / 1e6:,.2f} MB"),
    ]
    return kv_table(f"chain {s.chain}", rows)


@app.command()
def stats(chain: ChainOption = None, store: StoreOption = None, as_json: JsonFlag = False) -> None:
    """Summarise what the chain store holds, per chain."""
    target = store_at(store)
    names = [chain] if chain else [c.name for c in target.chains()]
    all_stats = [target.stats(n) for n in names]
    emit(
        {"chains": [s.to_json() for s in all_stats]},
        as_json=as_json,
        render=lambda _: Group(*(_stats_table(s) for s in all_stats)),
    )
