"""``chainsleuth intel ...``: import tags and sanctions lists, export TagPacks, screen;
exposure and risk scores of addresses, clusters and accounts; screen transactions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import numpy.typing as npt
import typer
from rich.console import Group, RenderableType
from rich.table import Table

from chainsleuth.analysis import AccountGraph, UtxoGraph, load_clusters
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
from chainsleuth.config import get_settings
from chainsleuth.errors import Invalid, NotFound
from chainsleuth.intel import (
    CategoryMap,
    ExposureReport,
    IntelStore,
    RiskPolicy,
    RiskScore,
    ScreenResult,
    assess_risk,
    category_map,
    default_policy,
    export_tagpack,
    exposure,
    find_packs,
    load_policy,
    open_intel,
    read_actorpack,
    read_batch,
    read_sanctions,
    read_tagpack,
    sanctioned_in_store,
    screen_addresses,
    screen_transaction,
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


class Model(StrEnum):
    poison = "poison"
    haircut = "haircut"
    fifo = "fifo"
    lifo = "lifo"
    tiho = "tiho"


class Direction(StrEnum):
    in_ = "in"
    out = "out"
    both = "both"


SubjectArgument = Annotated[
    list[str], typer.Argument(help="Address(es): several form one subject (an account).")
]
ClusterFlag = Annotated[
    bool, typer.Option("--cluster", help="The addresses' whole clusters (run cluster build).")
]
PolicyOption = Annotated[
    Path | None,
    typer.Option("--policy", exists=True, help="Risk policy TOML [default: the shipped one]."),
]


TokenOption = Annotated[
    str | None,
    typer.Option(
        help="Account chains: this token contract, not the native coin.", show_default=False
    ),
]


@dataclass(frozen=True)
class _Subject:
    chain: str
    graph: UtxoGraph | AccountGraph
    categories: CategoryMap
    ids: list[int]
    clusters: npt.NDArray[np.uint32] | None
    token: int | None

    def money(self, amount: float) -> str:
        """Satoshi as BTC; account amounts (float64 base units) rounded."""
        return btc(int(amount)) if isinstance(self.graph, UtxoGraph) else f"{round(amount):,}"


def _subject(
    target: ChainStore, intel: IntelStore, chain: str | None, texts: list[str], *,
    cluster: bool, policy: RiskPolicy, token: str | None,
) -> _Subject:  # fmt: skip
    """Graph, categories (policy priority), addr_ids and asset of the subject addresses."""
    info = pick_chain(target, chain)
    name = info.name
    g = target.utxo_graph(name) if info.family == "utxo" else target.account_graph(name)
    if token is not None and info.family == "utxo":
        raise Invalid(f"--token is for account chains; {name} is a UTXO chain")
    if cluster and info.family != "utxo":
        raise Invalid(f"--cluster is for UTXO chains; {name} is an account chain")
    ids = [target.address(name, t, limit=0).addr_id for t in texts]
    asset = None if token is None else target.address(name, token, limit=0).addr_id
    clusters = None
    if cluster:
        clusters = np.asarray(load_clusters(clusters_folder(target, name)).cluster, np.uint32)
        ids = np.flatnonzero(np.isin(clusters, clusters[ids])).tolist()
    cats = category_map(
        target, intel, name, n_addresses=g.n_addresses, clusters=clusters,
        priority=policy.priority(),
    )  # fmt: skip
    return _Subject(name, g, cats, ids, clusters, asset)


def _names(target: ChainStore, chain: str, report: ExposureReport) -> dict[str, Any]:
    """Display text of the contributing addresses and hashes of the txs on their paths."""
    found = [c for e in report.directions() for c in e.contributors]
    token = set() if report.token is None else {report.token}
    return {
        "addresses": target.address_labels(chain, {c.addr_id for c in found} | token),
        "txids": target.tx_hashes(chain, {t for c in found for t in c.path}),
    }


@intel_app.command("exposure")
def exposure_cmd(
    addresses: SubjectArgument,
    hops: Annotated[int, typer.Option("--hops", min=1, help="Hops 2..N are indirect.")] = 4,
    model: Annotated[Model, typer.Option(help="Taint model (TRACING.md).")] = Model.haircut,
    direction: Annotated[Direction, typer.Option(help="Incoming, outgoing or both.")] = (
        Direction.both
    ),
    cluster: ClusterFlag = False,
    token: TokenOption = None,
    chain: ChainOption = None,
    intel: IntelOption = None,
    store: StoreOption = None,
    json: JsonFlag = False,
) -> None:
    """Direct and indirect exposure of an address, cluster or account to each category."""
    target = store_at(store)
    s = _subject(target, _intel(intel, store), chain, addresses, cluster=cluster,
                 policy=default_policy(), token=token)  # fmt: skip
    report = exposure(
        s.graph, s.categories, s.ids, direction=direction.value, model=model.value,
        max_hops=hops, clusters=s.clusters, token=s.token,
    )  # fmt: skip
    data = {"chain": s.chain, **report.to_json(), **_names(target, s.chain, report)}
    emit(data, as_json=json, render=lambda d: _exposure_view(report, s))


def _exposure_view(report: ExposureReport, s: _Subject) -> RenderableType:
    table = Table(title=f"exposure within {report.max_hops} hops ({report.model})",
                  title_justify="left")  # fmt: skip
    for col in ("direction", "category", "direct", "indirect", "share", "first hop"):
        table.add_column(col, justify="left" if col in ("direction", "category") else "right")
    for e in report.directions():
        table.add_row(e.direction, "(total)", s.money(e.total), "", "", "")
        for c in e.categories:
            table.add_row("", c.category, s.money(c.direct), s.money(c.indirect),
                          f"{c.share:.2%}", str(c.first_hop))  # fmt: skip
        for reason, amount in e.untagged.items():
            share = f"{amount / e.total:.2%}" if e.total else ""
            table.add_row("", f"untagged: {reason}", "", s.money(amount), share, "")
    return table


@intel_app.command("risk")
def risk_cmd(
    addresses: SubjectArgument,
    policy: PolicyOption = None,
    cluster: ClusterFlag = False,
    token: TokenOption = None,
    chain: ChainOption = None,
    intel: IntelOption = None,
    store: StoreOption = None,
    json: JsonFlag = False,
) -> None:
    """Risk score and level of an address, cluster or account, with every reason."""
    rules = load_policy(policy)
    target = store_at(store)
    s = _subject(target, _intel(intel, store), chain, addresses, cluster=cluster, policy=rules,
                 token=token)  # fmt: skip
    risk = assess_risk(s.graph, s.categories, s.ids, rules, clusters=s.clusters, token=s.token)
    data = {"chain": s.chain, **risk.to_json(), **_names(target, s.chain, risk.exposure)}
    emit(data, as_json=json, render=lambda d: _risk_view(risk, d, s))


def _risk_view(risk: RiskScore, d: dict[str, Any], s: _Subject) -> RenderableType:
    head = kv_table(
        f"risk: {risk.level.upper()} ({risk.score:.1f} / 100)",
        [("policy", f"{risk.policy.name} ({risk.policy.source})"),
         ("thresholds", ", ".join(f"{k} >= {v:g}" for k, v in risk.policy.thresholds.items()))],
    )  # fmt: skip
    table = Table(title="why", title_justify="left")
    for col in ("points", "reason", "amount", "addresses (hop, tags, path)"):
        table.add_column(col, overflow="fold", justify="right" if col == "points" else "left")
    for c in risk.contributions:
        who = "\n".join(_who(a, d) for a in c.addresses)
        table.add_row(f"{c.points:.1f}", c.reason(), s.money(c.amount), who)
    return Group(head, table)


def _who(a: dict[str, Any], d: dict[str, Any]) -> str:
    tags = "; ".join(f"{t['label']} [{t['category']}, {t['source']}]" for t in a["tags"])
    path = " > ".join(d["txids"].get(t, str(t))[:12] for t in a["path"])
    return f"{d['addresses'].get(a['addr_id'], a['addr_id'])} (hop {a['hop']}): {tags}; {path}"


@intel_app.command("screen-tx")
def screen_tx(
    txid: Annotated[str, typer.Argument(help="Transaction hash.")],
    with_exposure: Annotated[
        bool, typer.Option("--exposure", help="Also score each address's exposure.")
    ] = False,
    policy: PolicyOption = None,
    min_confidence: Annotated[int, typer.Option(help="Ignore tags below this score.")] = 0,
    chain: ChainOption = None,
    intel: IntelOption = None,
    store: StoreOption = None,
    json: JsonFlag = False,
) -> None:
    """Screen the input and output addresses of a transaction (and their exposure)."""
    target = store_at(store)
    names = [c.name for c in target.chains() if chain in (None, c.name)]
    if len(names) != 1:
        raise Invalid("name one chain of the store with --chain")
    result = screen_transaction(
        target, _intel(intel, store), names[0], txid, min_confidence=min_confidence,
        policy=load_policy(policy) if with_exposure else None,
    )  # fmt: skip
    emit(result.to_json(), as_json=json, render=_screen_tx_view)


def _screen_tx_view(d: dict[str, Any]) -> Table:
    rows = [
        {
            "role": f"{p['role']} {p['index']}", "address": p["address"],
            "value": p["value"], "status": p["status"],
            "why": " | ".join([s["entry_name"] for s in p["sanctions"]]
                              + [t["label"] for t in p["tags"]]),
            **({"risk": f"{p['risk']['level']} ({p['risk']['score']:.0f})"} if "risk" in p else {}),
        }
        for p in d["parties"]
    ]  # fmt: skip
    return _rows_table(f"screening {d['txid']}", rows)
