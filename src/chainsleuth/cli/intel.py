"""``chainsleuth intel ...``: import tags and sanctions lists, export TagPacks, screen;
exposure and risk scores of addresses, clusters and accounts; screen transactions."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Group, RenderableType
from rich.table import Table

from chainsleuth.cli._app import group
from chainsleuth.cli._options import (
    JsonFlag,
    StoreOption,
    store_at,
)
from chainsleuth.cli._render import emit, kv_table
from chainsleuth.config import get_settings
from chainsleuth.errors import Invalid, NotFound
from chainsleuth.intel import (
    IntelStore,
    ScreenResult,
    export_tagpack,
    find_packs,
    open_intel,
    read_actorpack,
    read_batch,
    read_sanctions,
    read_tagpack,
    sanctioned_in_store,
    screen_addresses,
    write_result,
)
from chainsleuth.store import ChainStore

intel_app = group("Attribution: tags, actors, sanctions lists, screening, exposure and risk.")

IntelOption = Annotated[
    Path | None,
    typer.Option(
        "--intel", help="Intel store folder [default: <store>/intel].", show_default=False
    ),
]
Paths = Annotated[list[Path], typer.Argument(exists=True, help="Files or folders.")]


def _intel(intel: Path | None, store: Path | None) -> IntelStore:
    return open_intel(intel, store_dir=store or get_settings().store_dir)


def _rows_table(title: str, rows: list[dict[str, Any]]) -> Table:
    table = Table(title=title, title_justify="left")
    for col in rows[0] if rows else ["(none)"]:
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row.values()))
    return table


@intel_app.command("import-tagpacks")
def import_tagpacks(
    paths: Paths, intel: IntelOption = None, store: StoreOption = None, json: JsonFlag = False
) -> None:
    """Import GraphSense TagPacks (YAML files, or folders of them)."""
    packs = [read_tagpack(file, pack=pid) for pid, file in find_packs(paths)]
    _intel(intel, store).add_tagpacks(packs)
    rows = [{"pack": p.pack, "tags": p.tags.num_rows, "title": p.header["title"]} for p in packs]
    data = {"packs": rows, "tags": sum(r["tags"] for r in rows)}
    emit(data, as_json=json, render=lambda d: _rows_table(f"{d['tags']:,} tags", d["packs"]))


@intel_app.command("import-actors")
def import_actors(
    paths: Paths, intel: IntelOption = None, store: StoreOption = None, json: JsonFlag = False
) -> None:
    """Import GraphSense ActorPacks; unknown categories are listed as warnings."""
    target = _intel(intel, store)
    rows = []
    for pid, file in find_packs(paths):
        pack = read_actorpack(file, pack=pid)
        target.add_actorpack(pack)
        rows.append({"pack": pid, "actors": pack.actors.num_rows, "warnings": pack.warnings})
    emit(
        {"packs": rows},
        as_json=json,
        render=lambda d: _rows_table(
            "actor packs", [{**r, "warnings": len(r["warnings"])} for r in d["packs"]]
        ),
    )


@intel_app.command("import-sanctions")
def import_sanctions(
    paths: Paths,
    list_date: Annotated[
        str | None, typer.Option("--list-date", help="Publication date, YYYY-MM-DD.")
    ] = None,
    name: Annotated[str | None, typer.Option(help="List name [ofac-sdn for OFAC files].")] = None,
    currency: Annotated[str | None, typer.Option(help="Currency code of plain lists.")] = None,
    intel: IntelOption = None,
    store: StoreOption = None,
    json: JsonFlag = False,
) -> None:
    """Import an OFAC SDN file (CSV/XML) or plain address lists as a new list version."""
    try:
        when = date.fromisoformat(list_date) if list_date else None
    except ValueError as exc:
        raise Invalid(f"--list-date {list_date!r}: not YYYY-MM-DD") from exc
    new = read_sanctions(paths, name=name, list_date=when, currency=currency)
    target = _intel(intel, store)
    stored, diff = target.add_sanctions(new)
    try:
        chains: ChainStore | None = store_at(store)
    except NotFound:  # no chain store yet: nothing to re-screen
        chains = None
    data = {
        "list": stored.name,
        "version": stored.version,
        "list_date": stored.list_date,
        "entries": stored.entries.num_rows,
        "unchanged": diff is None and stored.version != 1,
        "added": diff.added.select(["currency", "address"]).to_pylist() if diff else [],
        "removed": diff.removed.select(["currency", "address"]).to_pylist() if diff else [],
        "warnings": stored.warnings,
        "seen_on_chain": sanctioned_in_store(chains, target) if chains else [],
    }
    emit(data, as_json=json, render=_import_view)


def _import_view(d: dict[str, Any]) -> RenderableType:
    head = kv_table(
        f"{d['list']} version {d['version']}",
        [
            ("list date", d["list_date"]),
            ("entries", f"{d['entries']:,}"),
            ("added", len(d["added"])),
            ("removed", len(d["removed"])),
            ("warnings", "\n".join(d["warnings"])),
            ("listed addresses in the store", len(d["seen_on_chain"])),
        ],
    )
    if not d["seen_on_chain"]:
        return head
    seen = Table(title="re-screened: listed addresses the chain store holds", title_justify="left")
    for col in ("chain", "address", "entry", "list"):
        seen.add_column(col, overflow="fold")
    for r in d["seen_on_chain"]:
        seen.add_row(r["chain"], r["address"] or str(r["addr_id"]), r["entry"], r["list"])
    return Group(head, seen)


@intel_app.command("export-tagpack")
def export(
    out: Annotated[Path, typer.Argument(help="TagPack YAML file to write.")],
    title: Annotated[str, typer.Option(help="TagPack title.")] = "chainsleuth tags",
    creator: Annotated[str, typer.Option(help="TagPack creator.")] = "chainsleuth",
    pack: Annotated[list[str] | None, typer.Option(help="Only these packs.")] = None,
    intel: IntelOption = None,
    store: StoreOption = None,
    json: JsonFlag = False,
) -> None:
    """Write stored tags as one GraphSense TagPack."""
    tags = _intel(intel, store).tags(pack)
    count = export_tagpack(tags, out, title=title, creator=creator)
    emit(
        {"path": out, "tags": count},
        as_json=json,
        render=lambda d: f"{d['tags']:,} tags -> {d['path']}",
    )


@intel_app.command("screen")
def screen(
    addresses: Annotated[list[str] | None, typer.Argument(help="Addresses to screen.")] = None,
    batch: Annotated[
        Path | None, typer.Option(exists=True, help="CSV with an address column.")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Write results to .csv or .json.")] = None,
    currency: Annotated[str | None, typer.Option(help="Currency code of the addresses.")] = None,
    min_confidence: Annotated[int, typer.Option(help="Ignore tags below this score.")] = 0,
    intel: IntelOption = None,
    store: StoreOption = None,
    json: JsonFlag = False,
) -> None:
    """Screen addresses (arguments or --batch CSV) against sanctions lists and tags."""
    if bool(addresses) == bool(batch):
        raise typer.BadParameter("give addresses or --batch, not both or neither")
    if batch is not None:
        texts, currencies = read_batch(batch)
    else:
        texts, currencies = addresses or [], [currency] * len(addresses or []) if currency else None
    result = screen_addresses(
        _intel(intel, store), texts, currencies=currencies, min_confidence=min_confidence
    )
    if out is not None:
        write_result(result, out)
    summary = {"lists": result.lists, "counts": result.counts()}
    data = {**summary, "out": out} if out is not None else {**summary, "results": result.records()}
    emit(data, as_json=json, render=lambda _: _screen_view(result, out))


def _screen_view(result: ScreenResult, out: Path | None) -> Table:
    if out is not None:
        return kv_table(f"screened -> {out}", list(result.counts().items()))
    rows = result.flat().select(
        ["address", "status", "lists", "entries", "tag_labels", "tag_categories"]
    )
    return _rows_table("screening", rows.to_pylist())


@intel_app.command("lists")
def lists(intel: IntelOption = None, store: StoreOption = None, json: JsonFlag = False) -> None:
    """Sanctions lists and their versions."""
    versions = _intel(intel, store).lists()
    emit(
        {"lists": versions},
        as_json=json,
        render=lambda d: _rows_table(
            "sanctions lists",
            [
                {
                    k: getattr(v, k)
                    for k in ("name", "version", "list_date", "imported_at", "entries", "addresses")
                }
                for v in d["lists"]
            ],
        ),
    )
