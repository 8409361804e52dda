"""Exposure: how much of a subject's value came from / went to each category, and how near.

A *subject* is a set of ``addr_id``s: one address, a cluster, or an exchange account (its
deposit addresses). *Incoming* exposure traces backward from every coin the subject
received (where its money came from); *outgoing* traces forward from every coin it spent.
Both use the taint models of :func:`chainsleuth.analysis.trace` (TRACING.md), with every
categorised address as a stop: value is attributed to the first categorised counterparty
on its way, as screening tools count exposure, and is never counted twice.

*Direct* exposure is taint resting at hop 1 (the counterparty of the subject's own
transaction), *indirect* at hops 2..N. Under conserving models (haircut, FIFO, LIFO, TIHO)
the category amounts plus ``untagged`` (where the rest ended: ``unspent``, ``hop``,
``dust``, ``time``, ``fee``, ``origin`` (coinbase), ``unexplained``, ``self`` back at the
subject) add up to ``total``; under poison they do not (taint grows).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from chainsleuth.analysis import NO_ID, STATUS_NAMES, Start, Trace, UtxoGraph, trace
from chainsleuth.errors import Invalid
from chainsleuth.intel.categories import CategoryMap
from chainsleuth.intel.exposure_paths import example_path

DIRECTIONS = {"in": ("incoming",), "out": ("outgoing",), "both": ("incoming", "outgoing")}
_FOLLOWED = STATUS_NAMES.index("followed")
_LABEL = STATUS_NAMES.index("label")
I64 = npt.NDArray[np.int64]


def _num(x: Any) -> int | float:
    return int(x) if np.issubdtype(type(x), np.integer) else float(x)


@dataclass(frozen=True)
class CategoryExposure:
    """Value at rest on one category: at hop 1 (direct) and hops 2..N (indirect)."""

    category: str
    direct: int | float
    indirect: int | float
    direct_share: float
    indirect_share: float
    first_hop: int
    addresses: int

    @property
    def amount(self) -> int | float:
        return self.direct + self.indirect

    @property
    def share(self) -> float:
        return self.direct_share + self.indirect_share


@dataclass(frozen=True)
class Contributor:
    """A categorised address where taint came to rest: at which hop, how much, and one
    path of transactions (tx ids, from the subject outward) that carried it there."""

    addr_id: int
    category: str
    hop: int
    amount: int | float
    path: tuple[int, ...]


@dataclass(frozen=True, eq=False)
class Exposure:
    """One direction's exposure; ``trace`` is the underlying :class:`Trace`."""

    direction: str
    total: int | float
    categories: tuple[CategoryExposure, ...]
    untagged: dict[str, int | float]
    contributors: tuple[Contributor, ...]
    trace: Trace

    def category(self, name: str) -> CategoryExposure | None:
        return next((c for c in self.categories if c.category == name), None)

    def to_json(self) -> dict[str, Any]:
        tr = self.trace
        return {
            "direction": self.direction,
            "total": self.total,
            "categories": [
                {**c.__dict__, "amount": c.amount, "share": c.share} for c in self.categories
            ],
            "untagged": self.untagged,
            "contributors": [{**c.__dict__, "path": list(c.path)} for c in self.contributors],
            "trace": {
                "model": tr.model, "trace_direction": tr.direction, "level": tr.level,
                "max_hops": tr.max_hops, "dust": tr.dust, "start_taint": _num(tr.start_taint),
                "items": tr.n_items, "txs": len(tr.tx_id),
                "ended": {k: _num(v) for k, v in tr.ended.items()},
            },
        }  # fmt: skip


@dataclass(frozen=True, eq=False)
class ExposureReport:
    """Exposure of one subject in the directions asked for."""

    subject: tuple[int, ...]
    model: str
    max_hops: int
    incoming: Exposure | None
    outgoing: Exposure | None

    def directions(self) -> list[Exposure]:
        return [e for e in (self.incoming, self.outgoing) if e is not None]

    def to_json(self) -> dict[str, Any]:
        return {
            "subject": list(self.subject),
            "model": self.model,
            "max_hops": self.max_hops,
            "incoming": self.incoming.to_json() if self.incoming else None,
            "outgoing": self.outgoing.to_json() if self.outgoing else None,
        }


def _start_rows(g: UtxoGraph, subject: I64, direction: str) -> I64:
    rows = np.concatenate([np.zeros(0, np.int64), *(g.addr_outputs.row(a) for a in subject)])
    rows = np.unique(rows.astype(np.int64))
    if direction == "outgoing":
        rows = rows[g.out_spent_tx[rows] != NO_ID]
    return rows


def _terminal(tr: Trace, cats: CategoryMap, subject: I64) -> npt.NDArray[np.bool_]:
    """Items at rest on a categorised counterparty (hop >= 1, not the subject)."""
    code = cats.codes[np.where(tr.item_addr == NO_ID, 0, tr.item_addr).astype(np.int64)]
    code = np.where(tr.item_addr == NO_ID, 0, code)
    mine = np.isin(tr.item_addr, subject)
    rest = (code > 0) & (tr.item_hop >= 1) & ~mine & (tr.item_status != _FOLLOWED)
    return np.asarray(rest, np.bool_)


def _untagged(tr: Trace, tagged: npt.NDArray[np.bool_]) -> dict[str, int | float]:
    """Where the untagged rest ended; ``label`` stops and ``overlap`` are the subject."""
    rest: dict[str, int | float] = {}
    for reason, amount in tr.ended.items():
        code = STATUS_NAMES.index(reason) if reason in STATUS_NAMES else -1
        mask = tagged & (tr.item_status == code)
        left = _num(amount - tr.item_taint[mask].sum()) if code >= 0 else _num(amount)
        name = "self" if code == _LABEL or reason == "overlap" else reason
        if left:
            rest[name] = rest.get(name, 0) + left
    return rest


def _by_category(
    tr: Trace, cats: CategoryMap, idx: I64, total: int | float
) -> tuple[CategoryExposure, ...]:
    code = cats.codes[tr.item_addr[idx].astype(np.int64)]
    out = []
    for c in np.unique(code):
        sel = idx[code == c]
        hop, taint = tr.item_hop[sel], tr.item_taint[sel]
        direct, indirect = _num(taint[hop == 1].sum()), _num(taint[hop >= 2].sum())
        out.append(
            CategoryExposure(
                category=cats.names[int(c) - 1],
                direct=direct,
                indirect=indirect,
                direct_share=float(direct / total) if total else 0.0,
                indirect_share=float(indirect / total) if total else 0.0,
                first_hop=int(hop.min()),
                addresses=len(np.unique(tr.item_addr[sel])),
            )
        )
    return tuple(sorted(out, key=lambda e: (-e.amount, e.category)))


def _contributors(
    g: UtxoGraph, tr: Trace, cats: CategoryMap, idx: I64, limit: int
) -> tuple[Contributor, ...]:
    """The largest resting items on categorised addresses, each with one example path."""
    order = idx[np.lexsort((tr.item_ref[idx], -tr.item_taint[idx].astype(np.float64)))][:limit]
    return tuple(
        Contributor(
            addr_id=int(tr.item_addr[i]),
            category=cats.names[int(cats.codes[int(tr.item_addr[i])]) - 1],
            hop=int(tr.item_hop[i]),
            amount=_num(tr.item_taint[i]),
            path=example_path(g, tr, int(i)),
        )
        for i in order
    )


def _one(
    g: UtxoGraph, cats: CategoryMap, subject: I64, direction: str, opts: dict[str, Any]
) -> Exposure:
    rows = _start_rows(g, subject, direction)
    tr = trace(
        g,
        start=Start("output", tuple(int(r) for r in rows)),
        direction="backward" if direction == "incoming" else "forward",
        stop_categories=range(1, len(cats.names) + 1),
        categories=cats.codes,
        **opts,
    )
    tagged = _terminal(tr, cats, subject)
    idx = np.flatnonzero(tagged).astype(np.int64)
    total = _num(tr.start_taint)
    return Exposure(
        direction=direction,
        total=total,
        categories=_by_category(tr, cats, idx, total),
        untagged=_untagged(tr, tagged),
        contributors=_contributors(g, tr, cats, idx, limit=50),
        trace=tr,
    )


def exposure(
    graph: UtxoGraph,
    categories: CategoryMap,
    subject: Iterable[int],
    *,
    direction: str = "both",
    model: str = "haircut",
    max_hops: int = 4,
    dust: float = 0,
    clusters: npt.NDArray[np.uint32] | None = None,
) -> ExposureReport:
    """Direct and indirect exposure of ``subject`` (addr_ids) to every category.

    Parameters
    ----------
    direction : ``in`` (incoming: backward from its received coins), ``out`` (outgoing:
        forward from its spent coins) or ``both``.
    model, max_hops, dust : as :func:`chainsleuth.analysis.trace`; hops 2..``max_hops``
        are indirect.
    clusters : cluster id per address: hops count clusters, not addresses.
    """
    if not isinstance(graph, UtxoGraph):
        raise Invalid("exposure is computed on UTXO chains for now")
    if direction not in DIRECTIONS:
        raise Invalid(f"direction must be in, out or both, not {direction!r}")
    addrs = np.unique(np.fromiter((int(a) for a in subject), np.int64))
    if not len(addrs) or addrs.min() < 0 or addrs.max() >= graph.n_addresses:
        raise Invalid(f"subject {addrs.tolist()} is not a set of addresses of the graph")
    if len(categories.codes) < graph.n_addresses:
        raise Invalid(f"{len(categories.codes)} categories for {graph.n_addresses} addresses")
    opts = {"model": model, "max_hops": max_hops, "dust": dust, "clusters": clusters}
    found = {d: _one(graph, categories, addrs, d, opts) for d in DIRECTIONS[direction]}
    return ExposureReport(
        subject=tuple(int(a) for a in addrs),
        model=model,
        max_hops=max_hops,
        incoming=found.get("incoming"),
        outgoing=found.get("outgoing"),
    )
