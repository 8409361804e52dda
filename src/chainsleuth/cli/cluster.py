"""``chainsleuth cluster build|show``: address clusters of a UTXO chain, and why."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Group, RenderableType
from rich.table import Table

from chainsleuth.analysis import CHANGE_HEURISTICS, explain, load_clusters, refresh_clusters
from chainsleuth.cli._app import group
from chainsleuth.cli._options import (
    ChainOption,
    JsonFlag,
    StoreOption,
    clusters_folder,
    pick_chain,
    store_at,
)
from chainsleuth.cli._render import btc, emit, kv_table

cluster_app = group("Cluster addresses into entities (co-spending, optional change) and explain.")

ChangeOption = Annotated[
    list[str] | None,
    typer.Option(
        "--change",
        help="Also join change addresses by this heuristic (repeatable): "
        + ", ".join(CHANGE_HEURISTICS)
        + ".",
        show_default=False,
    ),
]
FullFlag = Annotated[bool, typer.Option("--full", help="Recompute instead of updating.")]
ToOption = Annotated[
    str | None, typer.Option("--to", help="Explain the link to this address.", show_default=False)
]
LimitOption = Annotated[int, typer.Option(min=1, help="How many members to list.")]


@cluster_app.command("build")
def cluster_build(
    chain: ChainOption = None,
    change: ChangeOption = None,
    full: FullFlag = False,
    store: StoreOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Cluster the chain's addresses and save the clusters in the store folder."""
    target = store_at(store)
    name = pick_chain(target, chain, family="utxo").name
    graph = target.utxo_graph(name)
    clusters, mode = refresh_clusters(
        graph, clusters_folder(target, name), change=change or (), full=full
    )
    summary = {"chain": name, "mode": mode, **clusters.to_json()}
    emit(summary, as_json=as_json, render=_summary_view)


def _summary_view(s: dict[str, Any]) -> RenderableType:
    head = kv_table(
        f"clusters of {s['chain']} ({s['mode']} build)",
        [
            ("addresses", f"{s['n_addresses']:,}"),
            ("clusters", f"{s['n_clusters']:,}"),
            ("transactions", f"{s['n_txs']:,}"),
            ("change heuristics", ", ".join(s["change"]) or "none (co-spending only)"),
        ],
    )
    top = Table(title="largest clusters", title_justify="left")
    for col in ("cluster", "addresses", "received"):
        top.add_column(col, justify="right")
    for c in s["largest"]:
        top.add_row(str(c["cluster"]), f"{c['n_addresses']:,}", btc(c["received"]))
    return Group(head, top)


@cluster_app.command("show")
def cluster_show(
    address: Annotated[str, typer.Argument(help="Address text.")],
    to: ToOption = None,
    chain: ChainOption = None,
    limit: LimitOption = 20,
    store: StoreOption = None,
    as_json: JsonFlag = False,
) -> None:
    """The cluster of an address: id, size, members; with --to, why two addresses link."""
    target = store_at(store)
    name = pick_chain(target, chain, family="utxo").name
    clusters = load_clusters(clusters_folder(target, name))
    a = target.address(name, address, limit=1).addr_id
    cid = int(clusters.cluster[a])
    members = clusters.members(cid)[:limit].tolist()
    texts = target.address_labels(name, members)
    info: dict[str, Any] = {
        "chain": name,
        "address": address,
        "cluster": cid,
        "n_addresses": int(clusters.n_members[clusters.index_of(cid)]),
        "received": int(clusters.received[clusters.index_of(cid)]),
        "members": [texts[m] for m in members],
    }
    if to is not None:
        b = target.address(name, to, limit=1).addr_id
        steps = explain(target.utxo_graph(name), clusters, a, b)
        texts = target.address_labels(name, sorted({x for s in steps for x in s.joined}))
        txids = target.tx_hashes(name, sorted({s.tx for s in steps}))
        info["to"] = to
        info["explanation"] = [
            {
                "txid": txids[s.tx],
                "height": s.height,
                "heuristic": s.heuristic,
                "joined": [texts[x] for x in s.joined],
            }
            for s in steps
        ]
    emit(info, as_json=as_json, render=_show_view)


def _show_view(i: dict[str, Any]) -> RenderableType:
    head = kv_table(
        f"cluster of {i['address']}",
        [
            ("cluster id", i["cluster"]),
            ("addresses", f"{i['n_addresses']:,}"),
            ("received", btc(i["received"])),
            ("members (sample)", "\n".join(i["members"])),
        ],
    )
    if "explanation" not in i:
        return head
    steps = Table(title=f"why {i['address']} and {i['to']} are one entity", title_justify="left")
    for col in ("#", "transaction", "height", "heuristic", "joined"):
        steps.add_column(col)
    for n, s in enumerate(i["explanation"], 1):
        steps.add_row(str(n), s["txid"], str(s["height"]), s["heuristic"], " + ".join(s["joined"]))
    return Group(head, steps)
