"""``chainsleuth intel exposure|risk|screen-tx``: how close addresses are to crime, explained."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import numpy.typing as npt
import typer
from rich.console import Group, RenderableType
from rich.table import Table

from chainsleuth.analysis import AccountGraph, UtxoGraph, load_clusters
from chainsleuth.cli._options import (
    ChainOption,
    JsonFlag,
    StoreOption,
    clusters_folder,
    pick_chain,
    store_at,
)
from chainsleuth.cli._render import btc, emit, kv_table
from chainsleuth.cli.intel import IntelOption, _intel, _rows_table, intel_app
from chainsleuth.errors import Invalid
from chainsleuth.intel import (
    CategoryMap,
    ExposureReport,
    IntelStore,
    RiskPolicy,
    RiskScore,
    assess_risk,
    category_map,
    default_policy,
    exposure,
    load_policy,
    screen_transaction,
)
from chainsleuth.store import ChainStore


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
