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

This module holds the front door and the UTXO side; account chains (one asset at a time,
every transfer of the subject a start) are :mod:`chainsleuth.intel.exposure_account`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import numpy.typing as npt

from chainsleuth.analysis import NO_ID, STATUS_NAMES, AccountGraph, Start, Trace, UtxoGraph, trace
from chainsleuth.errors import Invalid
from chainsleuth.intel.categories import CategoryMap
from chainsleuth.intel.exposure_account import account_exposure
from chainsleuth.intel.exposure_paths import example_path
from chainsleuth.intel.exposure_result import (
    DIRECTIONS,
    CategoryExposure,
    Contributor,
    Exposure,
    ExposureReport,
    by_category,
    num,
)

__all__ = ["CategoryExposure", "Contributor", "Exposure", "ExposureReport", "exposure"]

_FOLLOWED = STATUS_NAMES.index("followed")
_LABEL = STATUS_NAMES.index("label")
I64 = npt.NDArray[np.int64]


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
        left = num(amount - tr.item_taint[mask].sum()) if code >= 0 else num(amount)
        name = "self" if code == _LABEL or reason == "overlap" else reason
        if left:
            rest[name] = rest.get(name, 0) + left
    return rest


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
            amount=num(tr.item_taint[i]),
            path=example_path(g, tr, int(i)),
        )
        for i in order
    )


def _info(tr: Trace) -> dict[str, Any]:
    return {
        "model": tr.model, "trace_direction": tr.direction, "level": tr.level,
        "max_hops": tr.max_hops, "dust": tr.dust, "start_taint": num(tr.start_taint),
        "items": tr.n_items, "txs": len(tr.tx_id), "traces": 1,
        "ended": {k: num(v) for k, v in tr.ended.items()},
    }  # fmt: skip


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
    total = num(tr.start_taint)
    return Exposure(
        direction=direction,
        total=total,
        categories=by_category(
            cats, tr.item_addr[idx], tr.item_hop[idx], tr.item_taint[idx], total
        ),
        untagged=_untagged(tr, tagged),
        contributors=_contributors(g, tr, cats, idx, limit=50),
        traces=(tr,),
        info=_info(tr),
    )


def exposure(
    graph: UtxoGraph | AccountGraph,
    categories: CategoryMap,
    subject: Iterable[int],
    *,
    direction: str = "both",
    model: str = "haircut",
    max_hops: int = 4,
    dust: float = 0,
    clusters: npt.NDArray[np.uint32] | None = None,
    token: int | None = None,
) -> ExposureReport:
    """Direct and indirect exposure of ``subject`` (addr_ids) to every category.

    Parameters
    ----------
    direction : ``in`` (incoming: backward from what it received), ``out`` (outgoing:
        forward from what it sent) or ``both``.
    model, max_hops, dust : as :func:`chainsleuth.analysis.trace`; hop 1 is direct,
        hops 2..``max_hops`` are indirect.
    clusters : UTXO chains: cluster id per address, hops count clusters, not addresses.
    token : account chains: the asset (a token contract's addr_id; None: the native coin).
    """
    if direction not in DIRECTIONS:
        raise Invalid(f"direction must be in, out or both, not {direction!r}")
    if max_hops < 1:
        raise Invalid(f"max_hops must be at least 1, not {max_hops}")
    addrs = np.unique(np.fromiter((int(a) for a in subject), np.int64))
    if not len(addrs) or addrs.min() < 0 or addrs.max() >= graph.n_addresses:
        raise Invalid(f"subject {addrs.tolist()} is not a set of addresses of the graph")
    if len(categories.codes) < graph.n_addresses:
        raise Invalid(f"{len(categories.codes)} categories for {graph.n_addresses} addresses")
    if isinstance(graph, AccountGraph):
        if clusters is not None:
            raise Invalid("exposure at cluster level is for UTXO chains")
        opts: dict[str, Any] = {"model": model, "max_hops": max_hops, "dust": dust, "token": token}
        found = {
            d: account_exposure(graph, categories, addrs, d, **opts) for d in DIRECTIONS[direction]
        }
    else:
        if token is not None:
            raise Invalid("a token is traced on account chains only")
        opts = {"model": model, "max_hops": max_hops, "dust": dust, "clusters": clusters}
        found = {d: _one(graph, categories, addrs, d, opts) for d in DIRECTIONS[direction]}
    return ExposureReport(
        subject=tuple(int(a) for a in addrs),
        model=model,
        max_hops=max_hops,
        incoming=found.get("incoming"),
        outgoing=found.get("outgoing"),
        token=token,
    )
