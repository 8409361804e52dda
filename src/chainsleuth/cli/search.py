"""``chainsleuth search neighbours|path``: where money went, and how it got from A to B."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.console import Group, RenderableType
from rich.table import Table

from chainsleuth.analysis import (
    NO_ID,
    FlowFilter,
    FlowGraph,
    Neighbourhood,
    PathResult,
    account_flow_graph,
    neighbours,
    shortest_path,
    simple_paths,
    utxo_flow_graph,
)
from chainsleuth.analysis.neighbours import Direction
from chainsleuth.cli._app import group
from chainsleuth.cli._options import ChainOption, JsonFlag, StoreOption, pick_chain, store_at
from chainsleuth.cli._render import btc, emit
from chainsleuth.errors import Invalid
from chainsleuth.store import ChainInfo, ChainStore

search_app = group("Search the money-flow graph: neighbours of an address, paths between two.")

DepthOption = Annotated[int, typer.Option(min=0, help="How many hops to go.")]
MinValueOption = Annotated[
    int, typer.Option(min=0, help="Keep links moving at least this much (base units).")
]
SinceOption = Annotated[
    datetime | None, typer.Option(help="Only transactions at or after (UTC).", show_default=False)
]
UntilOption = Annotated[
    datetime | None, typer.Option(help="Only transactions before (UTC).", show_default=False)
]
TokenOption = Annotated[
    str | None,
    typer.Option(help="Account chains: follow this token contract, not the native coin."),
]


@dataclass(frozen=True)
class _Chain:
    """One chain of the store, its flow graph, and id -> text look-ups."""

    store: ChainStore
    info: ChainInfo
    flow: FlowGraph

    def addr_id(self, text: str) -> int:
        return self.store.address(self.info.name, text, limit=0).addr_id

    def money(self, value: float) -> str:
        return btc(round(value)) if self.info.family == "utxo" else f"{round(value):,}"

    def labels(self, ids: list[int]) -> dict[int, str]:
        return self.store.address_labels(self.info.name, ids)

    def txids(self, ids: list[int]) -> dict[int, str]:
        return self.store.tx_hashes(self.info.name, ids)


def _open(store_dir: Any, chain: str | None, token: str | None) -> _Chain:
    store = store_at(store_dir)
    info = pick_chain(store, chain)
    if info.family == "utxo":
        if token is not None:
            raise Invalid("--token applies to account chains only")
        return _Chain(store, info, utxo_flow_graph(store.utxo_graph(info.name)))
    graph = store.account_graph(info.name)
    asset = int(NO_ID) if token is None else store.address(info.name, token, limit=0).addr_id
    return _Chain(store, info, account_flow_graph(graph, asset=asset))


def _filter(min_value: int, since: datetime | None, until: datetime | None) -> FlowFilter:
    def unix(when: datetime | None) -> int | None:
        return None if when is None else int(when.replace(tzinfo=when.tzinfo or UTC).timestamp())

    return FlowFilter(min_value=min_value, start_time=unix(since), end_time=unix(until))


def _neighbours_view(r: Neighbourhood, c: _Chain, names: Mapping[int, str]) -> RenderableType:
    nodes = Table(title=f"{len(r.nodes)} addresses within {r.max_depth} hops", title_justify="left")
    for col in ("depth", "address", "reached from"):
        nodes.add_column(col)
    for v, d, p in zip(r.nodes.tolist(), r.depth.tolist(), r.parent.tolist(), strict=True):
        nodes.add_row(str(d), names.get(v, str(v)), names.get(p, "") if p >= 0 else "")
    edges = Table(title="money links", title_justify="left")
    for col in ("from", "to", "value", "txs"):
        edges.add_column(col, justify="right" if col in {"value", "txs"} else "left")
    for s, t, val, n in zip(
        r.edge_source, r.edge_target, r.edge_value, r.edge_tx_count, strict=True
    ):
        edges.add_row(names.get(int(s), str(s)), names.get(int(t), str(t)), c.money(val), str(n))
    return Group(nodes, edges)


@search_app.command("neighbours")
def search_neighbours(
    address: Annotated[str, typer.Argument(help="Address text to start from.")],
    depth: DepthOption = 1,
    direction: Annotated[
        str, typer.Option(help="out: where it sent; in: who paid it; both.")
    ] = "out",
    breadth: Annotated[
        int, typer.Option(min=0, help="Keep the N largest links per address (0: all).")
    ] = 16,
    min_value: MinValueOption = 0,
    since: SinceOption = None,
    until: UntilOption = None,
    token: TokenOption = None,
    chain: ChainOption = None,
    store: StoreOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Addresses that sent money to or received money from ADDRESS, DEPTH hops out."""
    if direction not in {"out", "in", "both"}:
        raise Invalid(f"--direction must be out, in or both, not {direction!r}")
    c = _open(store, chain, token)
    dirn: Direction = "out" if direction == "out" else "in" if direction == "in" else "both"
    r = neighbours(
        c.flow,
        c.addr_id(address),
        depth=depth,
        direction=dirn,
        breadth=breadth or None,
        filters=_filter(min_value, since, until),
    )
    names = c.labels(r.nodes.tolist())
    emit(r.to_json(names), as_json=as_json, render=lambda _: _neighbours_view(r, c, names))


def _paths_view(
    r: PathResult, c: _Chain, names: Mapping[int, str], txids: Mapping[int, str]
) -> RenderableType:
    if not r.paths:
        return f"no path of at most {r.max_depth} hops"
    tables = []
    for i, p in enumerate(r.paths, 1):
        t = Table(title=f"path {i}: {len(p.hops)} hops", title_justify="left")
        for col in ("from", "to", "money", "value", "transactions"):
            t.add_column(col, justify="right" if col == "value" else "left")
        for h in p.hops:
            t.add_row(
                names.get(h.source, str(h.source)),
                names.get(h.target, str(h.target)),
                "->" if h.forward else "<-",
                c.money(h.value),
                "\n".join(txids.get(x, str(x)) for x in h.txs),
            )
        tables.append(t)
    return Group(*tables)


@search_app.command("path")
def search_path(
    source: Annotated[str, typer.Argument(help="Address text the money leaves.")],
    target: Annotated[str, typer.Argument(help="Address text the money reaches.")],
    max_depth: Annotated[int, typer.Option(min=0, help="Longest path in hops.")] = 6,
    all_paths: Annotated[bool, typer.Option("--all", help="List all simple paths.")] = False,
    max_paths: Annotated[int, typer.Option(min=1, help="With --all: at most this many.")] = 20,
    undirected: Annotated[bool, typer.Option(help="Also walk links against the money.")] = False,
    min_value: MinValueOption = 0,
    since: SinceOption = None,
    until: UntilOption = None,
    token: TokenOption = None,
    chain: ChainOption = None,
    store: StoreOption = None,
    as_json: JsonFlag = False,
) -> None:
    """The shortest money path from SOURCE to TARGET (or all of them), hop by hop."""
    c = _open(store, chain, token)
    a, b = c.addr_id(source), c.addr_id(target)
    flt = _filter(min_value, since, until)
    if all_paths:
        r = simple_paths(
            c.flow,
            a,
            b,
            max_depth=max_depth,
            max_paths=max_paths,
            directed=not undirected,
            filters=flt,
        )
    else:
        r = shortest_path(c.flow, a, b, max_depth=max_depth, directed=not undirected, filters=flt)
    names = c.labels(sorted({n for p in r.paths for n in p.nodes}))
    txids = c.txids(sorted({t for p in r.paths for h in p.hops for t in h.txs}))
    emit(r.to_json(names, txids), as_json=as_json, render=lambda _: _paths_view(r, c, names, txids))
