"""``chainsleuth trace utxo|account|peel``: follow tainted value hop by hop (TRACING.md)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.console import Group, RenderableType
from rich.table import Table

from chainsleuth.analysis import (
    NO_ID,
    AccountGraph,
    Start,
    Trace,
    UtxoGraph,
    export,
    follow_peel,
    trace,
)
from chainsleuth.cli._app import group
from chainsleuth.cli._options import ChainOption, JsonFlag, StoreOption, pick_chain, store_at
from chainsleuth.cli._render import btc, emit, kv_table
from chainsleuth.errors import Invalid
from chainsleuth.store import ChainInfo, ChainStore

trace_app = group("Trace tainted value forward or backward with an explicit taint model.")


class Model(StrEnum):
    poison = "poison"
    haircut = "haircut"
    fifo = "fifo"
    lifo = "lifo"
    tiho = "tiho"


class FeeMode(StrEnum):
    tail = "tail"
    proportional = "proportional"


FromArgument = Annotated[str, typer.Argument(help="TXID:VOUT, TXID or address.")]
HopsOption = Annotated[int, typer.Option("--hops", min=0, help="Stop at coins this many hops out.")]
ExportOption = Annotated[
    Path | None,
    typer.Option("--export", help="Also write the trace graph: .graphml, .json or a CSV folder."),
]


def _start(store: ChainStore, chain: str, g: UtxoGraph, ref: str, amount: int | None) -> Start:
    """TXID:VOUT, a bare TXID (64 hex digits) or address text as a start set."""
    txid, _, vout = ref.partition(":")
    if vout or (len(ref) == 64 and all(c in "0123456789abcdefABCDEF" for c in ref)):
        t = store.tx_id(chain, txid)
        if not vout:
            return Start.tx(t)
        n = int(g.out_start[t + 1] - g.out_start[t])
        if not vout.isdigit() or int(vout) >= n:
            raise Invalid(f"{ref}: the transaction has {n} outputs")
        return Start.output(int(g.out_start[t]) + int(vout), amount)
    return Start.address(store.address(chain, ref, limit=0).addr_id, amount)


def _names(
    store: ChainStore, info: ChainInfo, addr_ids: list[int], tx_ids: list[int]
) -> dict[str, Any]:
    return {
        "addresses": store.address_labels(info.name, addr_ids),
        "txids": store.tx_hashes(info.name, tx_ids),
    }


def _units(value: float) -> str:
    return f"{round(value):,}"


def _base_units(text: str) -> Decimal:
    """An amount of base units as typed (``1e18``, ``1000000000000000000000001``), exactly."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise typer.BadParameter(f"{text!r} is not a number") from None
    if not value.is_finite() or value < 0:
        raise typer.BadParameter(f"{text!r} is not a non-negative number")
    return value


def _as_units(value: Decimal | None, *, exact: bool, name: str) -> int | float | None:
    """Exact traces take whole base units (dust rounds up: whole taint >= dust iff >=
    ceil(dust)); float traces take the nearest float64."""
    if value is None or not exact:
        return None if value is None else float(value)
    if name == "dust":
        return int(value.to_integral_value(ROUND_CEILING))
    if value != value.to_integral_value():
        raise Invalid(f"--{name} {value}: an exact trace takes a whole number of base units")
    return int(value)


UnitsOption = Annotated[
    Decimal | None,
    typer.Option(parser=_base_units, metavar="<units>", help="Taint only this much (base units)."),
]


def _trace_view(
    tr: Trace, names: dict[str, Any], money: Callable[[int], str] = btc
) -> RenderableType:
    head = kv_table(
        f"{tr.direction} {tr.model} trace",
        [("start taint", money(int(tr.start_taint))), ("hops", tr.max_hops)]
        + [("amounts", "exact integers" if tr.exact else "float64 (1e-9 relative)")]
        + [(k, money(int(v))) for k, v in tr.ended.items()],
    )
    table = Table(title="taint per address", title_justify="left")
    for col in ("address", "first hop", "received", "resting"):
        table.add_column(col, justify="left" if col == "address" else "right", overflow="fold")
    for r in sorted(tr.by_address.rows(), key=lambda r: (-r["received"], r["id"]))[:50]:
        table.add_row(
            names["addresses"].get(r["id"], str(r["id"])),
            str(r["first_hop"]),
            money(r["received"]),
            money(r["held"]),
        )
    return Group(head, table)


@trace_app.command("utxo")
def trace_utxo(
    start: FromArgument,
    model: Annotated[Model, typer.Option(help="Taint model.")] = Model.haircut,
    hops: HopsOption = 6,
    dust: Annotated[int, typer.Option(min=0, help="Stop coins with less taint (satoshi).")] = 0,
    amount: Annotated[int | None, typer.Option(help="Taint only this much (satoshi).")] = None,
    backward: Annotated[bool, typer.Option(help="Where the value came from.")] = False,
    fee_mode: Annotated[FeeMode, typer.Option(help="Fees for ordered models.")] = FeeMode.tail,
    export_to: ExportOption = None,
    chain: ChainOption = None,
    store: StoreOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Trace from an output, a transaction or an address of a UTXO chain."""
    target = store_at(store)
    info = pick_chain(target, chain, family="utxo")
    g = target.utxo_graph(info.name)
    tr = trace(
        g,
        start=_start(target, info.name, g, start, amount),
        model=model.value,
        direction="backward" if backward else "forward",
        max_hops=hops,
        dust=dust,
        fee_mode=fee_mode.value,
    )
    if export_to is not None:
        export(tr, export_to)
    names = _names(target, info, tr.by_address.ids.tolist(), tr.tx_id.tolist())
    emit({**tr.to_json(), **names}, as_json=as_json, render=lambda _: _trace_view(tr, names))


def _account_start(
    store: ChainStore,
    chain: str,
    g: AccountGraph,
    ref: str,
    asset: int,
    amount: int | float | None,
) -> Start:
    """A transaction hash (its first transfer of the asset) or an address as a start set."""
    if len(ref.removeprefix("0x")) == 64:
        t = store.tx_id(chain, ref)
        edges = np.flatnonzero((g.edge_tx == t) & (g.edge_token == asset) & (g.edge_value > 0))
        if not len(edges):
            raise Invalid(f"transaction {ref} moves none of the traced asset")
        return Start.transfer(int(edges[0]))
    return Start.address(store.address(chain, ref, limit=0).addr_id, amount)


@trace_app.command("account")
def trace_account(
    start: Annotated[str, typer.Argument(help="0x address or transaction hash.")],
    token: Annotated[
        str | None, typer.Option(help="Trace this token contract, not the native coin.")
    ] = None,
    model: Annotated[Model, typer.Option(help="Taint model.")] = Model.haircut,
    hops: HopsOption = 6,
    dust: Annotated[
        Decimal,
        typer.Option(parser=_base_units, metavar="<units>", help="Stop transfers with less taint."),
    ] = Decimal(0),
    amount: UnitsOption = None,
    backward: Annotated[bool, typer.Option(help="Where the value came from.")] = False,
    exact: Annotated[
        bool,
        typer.Option(
            "--exact",
            help="Exact integers (wei, token units) conserved to the unit; slower than float64.",
        ),
    ] = False,
    export_to: ExportOption = None,
    chain: ChainOption = None,
    store: StoreOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Trace from an address or a transfer of an account chain (ether or one token)."""
    target = store_at(store)
    info = pick_chain(target, chain, family="account")
    g = target.account_graph(info.name)
    asset = int(NO_ID) if token is None else target.address(info.name, token, limit=0).addr_id
    tr = trace(
        g,
        start=_account_start(
            target, info.name, g, start, asset, _as_units(amount, exact=exact, name="amount")
        ),
        model=model.value,
        direction="backward" if backward else "forward",
        max_hops=hops,
        dust=_as_units(dust, exact=exact, name="dust") or 0,
        token=None if token is None else asset,
        exact=exact,
    )
    if export_to is not None:
        export(tr, export_to)
    tx_ids = [int(t) for t in np.unique(g.edge_tx[tr.item_ref]) if t != NO_ID]
    names = _names(target, info, tr.by_address.ids.tolist(), tx_ids)
    emit(
        {**tr.to_json(), **names},
        as_json=as_json,
        render=lambda _: _trace_view(tr, names, _units),
    )


@trace_app.command("peel")
def trace_peel(
    start: Annotated[str, typer.Argument(help="TXID:VOUT of the coin to follow.")],
    hops: Annotated[
        int, typer.Option("--hops", min=1, help="Follow at most this many spends.")
    ] = 100,
    chain: ChainOption = None,
    store: StoreOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Follow a peel chain: the largest output hop by hop, listing what is peeled off."""
    target = store_at(store)
    info = pick_chain(target, chain, family="utxo")
    g = target.utxo_graph(info.name)
    begin = _start(target, info.name, g, start, None)
    if begin.kind != "output":
        raise Invalid("trace peel starts at one output: TXID:VOUT")
    p = follow_peel(g, begin.ids[0], max_hops=hops)
    rows = [int(r) for r in (*p.chain, *p.peeled)]
    addrs = [int(g.out_addr[r]) for r in rows]
    names = _names(target, info, addrs, [int(t) for t in p.txs])
    data = {**p.to_json(), "values": {r: int(g.out_value[r]) for r in rows}, **names}
    emit(data, as_json=as_json, render=lambda _: _peel_view(data, g))


def _peel_view(data: dict[str, Any], g: UtxoGraph) -> RenderableType:
    table = Table(title=f"peel chain (ends: {data['end']})", title_justify="left")
    for col in ("hop", "txid", "peeled to", "value"):
        table.add_column(col, overflow="fold")
    by_hop = {p["hop"]: p["output"] for p in data["peeled"]}
    for hop, t in enumerate(data["txs"], start=1):
        out = by_hop.get(hop)
        who = "" if out is None else data["addresses"].get(int(g.out_addr[out]), "")
        value = "" if out is None else btc(data["values"][out])
        table.add_row(str(hop), data["txids"].get(t, str(t)), who, value)
    return table
