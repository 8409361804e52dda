"""``chainsleuth simulate``: generate a world (chain, exchange records, crimes, ground truth)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from chainsleuth.cli._options import JsonFlag
from chainsleuth.cli._render import emit, err_console, kv_table
from chainsleuth.simulate import PRESETS, SimProgress, realism, simulate_world


def _table(manifest: dict[str, Any]) -> Any:
    btc = manifest["chains"]["btc"]
    rows = [
        ("preset", manifest["preset"]),
        ("seed", manifest["seed"]),
        ("blocks / txs", f"{btc['blocks']:,} / {btc['txs']:,}"),
        ("addresses", f"{btc['addresses']:,}"),
        ("entities", f"{manifest['entities']:,}"),
        ("scenarios", ", ".join(manifest["scenarios"])),
        ("files", len(manifest["files"])),
    ]
    table = kv_table("simulated world", rows)
    for m in manifest.get("realism", []):
        table.add_row(
            f"{m['measure']}: {m['bin']}",
            f"{100 * m['simulated']:.1f} % (real {100 * m['real']:.1f} %)",
        )
    return table


def simulate(
    out: Annotated[Path, typer.Argument(help="Folder to write the world into.")],
    preset: Annotated[
        str, typer.Option("--preset", help="Size: " + ", ".join(PRESETS) + ".")
    ] = "classroom",
    seed: Annotated[int, typer.Option("--seed", help="Random seed; same seed, same bytes.")] = 1,
    bitcoin_etl: Annotated[
        bool, typer.Option("--bitcoin-etl", help="Also write the UTXO chain as bitcoin-etl JSON.")
    ] = False,
    real_data: Annotated[
        Path | None,
        typer.Option(
            "--realism",
            help="Folder of the real blocks (shared/data): compare the chain's distributions.",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Generate a simulated world with ground truth into OUT (raw regtest blocks, CSV, JSON)."""
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err_console, transient=False) as bar:
        task = bar.add_task("blocks", total=None)

        def report(p: SimProgress) -> None:
            bar.update(task, description=p.stage, completed=p.done, total=p.total)

        manifest = simulate_world(
            out, preset=preset, seed=seed, progress=report, bitcoin_etl=bitcoin_etl
        )
    if real_data is not None:
        manifest["realism"] = [asdict(m) for m in realism(out, real_data)]
    emit(manifest, as_json=as_json, render=_table)
