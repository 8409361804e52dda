"""Exposure on account chains: one asset at a time, every transfer of the subject a start.

*Outgoing* starts from every transfer the subject sent (in the asset traced, value > 0),
*incoming* from every transfer it received, each in full, as the UTXO side starts from
every coin. The transfer's counterparty is hop 1: a categorised one takes the whole
transfer as direct exposure, the subject itself counts as ``self``, a missing one (a
contract creation without a receiver, or a block reward) as ``unspent`` / ``origin``.
Any other counterparty is traced on with :func:`chainsleuth.analysis.trace` from
``Start.transfer`` (forward for outgoing, backward for incoming), its hops shifted by one.
Categorised addresses and the subject's own addresses are stops, so value is credited to
the first categorised address on its way and never counted twice.

**Merge convention.** The account trace takes one start per call, so each transfer is
traced on its own and the results are summed. Haircut, FIFO and LIFO are additive in
their start (a pool's carried share is linear in its taint; ordered pools keep each
start's units at their own positions), so the sum equals one trace of all the subject's
transfers together (save where data gaps clamp a pool at zero); poison is not, and its
shares can exceed 1. Cost: one replay per transfer whose counterparty is untagged.

Untagged: ``held`` (still held by an untagged address at the end of the data, or,
backward, already held where the data begins), ``hop``, ``dust``, ``unspent``,
``origin`` and ``self``. Category amounts and untagged add up to ``total`` within the
account tracer's relative tolerance (1e-9).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from chainsleuth.analysis import NO_ID, STATUS_NAMES, AccountGraph, Start, Trace, trace
from chainsleuth.errors import Invalid
from chainsleuth.intel.categories import CategoryMap
from chainsleuth.intel.exposure_paths import account_path
from chainsleuth.intel.exposure_result import Contributor, Exposure, by_category

_FOLLOWED = STATUS_NAMES.index("followed")
_MODELS = ("poison", "haircut", "fifo", "lifo")
_TOL = 1e-9
_CONTRIBUTORS = 50
I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
U16 = npt.NDArray[np.uint16]


@dataclass
class _Rest:
    """Where the subject's transfers came to rest, gathered over all traces.

    Arrivals on categorised addresses: address, hop, taint, and which trace (-1: the
    direct transfer ``ref``) and item carried them there."""

    addr: list[I64] = field(default_factory=list)
    hop: list[I64] = field(default_factory=list)
    taint: list[F64] = field(default_factory=list)
    trace_no: list[I64] = field(default_factory=list)
    ref: list[I64] = field(default_factory=list)
    untagged: dict[str, float] = field(default_factory=dict)

    def add(self, reason: str, amount: float) -> None:
        if amount > 0:
            self.untagged[reason] = self.untagged.get(reason, 0.0) + float(amount)

    def arrive(self, addr: I64, hop: I64, taint: F64, trace_no: int, ref: I64) -> None:
        self.addr.append(addr)
        self.hop.append(hop)
        self.taint.append(taint)
        self.trace_no.append(np.full(len(addr), trace_no, np.int64))
        self.ref.append(ref)

    def arrays(self) -> tuple[I64, I64, F64, I64, I64]:
        def cat(parts: list[Any], dtype: type) -> Any:
            return np.concatenate([np.zeros(0, dtype), *parts])

        return (
            cat(self.addr, np.int64), cat(self.hop, np.int64), cat(self.taint, np.float64),
            cat(self.trace_no, np.int64), cat(self.ref, np.int64),
        )  # fmt: skip


def _code(codes: U16, ids: npt.NDArray[np.uint32]) -> I64:
    """Code per address id, 0 for NO_ID."""
    none = ids == NO_ID
    return np.where(none, 0, codes[np.where(none, 0, ids).astype(np.int64)]).astype(np.int64)


def _starts(g: AccountGraph, subject: I64, outgoing: bool, token: np.uint32) -> I64:
    adj = g.addr_out if outgoing else g.addr_in
    rows = [adj.row(int(a)).astype(np.int64) for a in subject]
    edges = np.unique(np.concatenate([np.zeros(0, np.int64), *rows]))
    return np.asarray(edges[(g.edge_token[edges] == token) & (g.edge_value[edges] > 0)])


def _collect(tr: Trace, codes: U16, n_named: int, rest: _Rest, trace_no: int) -> None:
    """Arrivals on categorised addresses, ``self``, and the untagged rest of one trace."""
    fwd = tr.direction == "forward"
    holder, receiver = (tr.item_src, tr.item_addr) if fwd else (tr.item_addr, tr.item_src)
    got, gave = _code(codes, receiver), _code(codes, holder)
    given = tr.item_status == _FOLLOWED
    tagged = np.flatnonzero(given & (got > 0) & (got <= n_named))
    rest.arrive(
        receiver[tagged].astype(np.int64), tr.item_hop[tagged].astype(np.int64) + 1,
        tr.item_taint[tagged].astype(np.float64), trace_no, tagged.astype(np.int64),
    )  # fmt: skip
    rest.add("self", tr.item_taint[given & (got > n_named)].sum())
    stopped = ~given & (gave == 0)  # stops at categorised holders are in their arrivals
    for status in np.unique(tr.item_status[stopped]):
        rest.add(STATUS_NAMES[status], tr.item_taint[stopped & (tr.item_status == status)].sum())
    s = tr.by_address
    rest.add("held", s.held[codes[s.ids] == 0].sum())


def _contributors(
    cats: CategoryMap, rest: _Rest, traces: list[Trace], g: AccountGraph
) -> tuple[Contributor, ...]:
    """Per (address, hop): the amount, and the path of its largest arrival."""
    addr, hop, taint, trace_no, ref = rest.arrays()
    if not len(addr):
        return ()
    keys, inv = np.unique(np.stack([addr, hop], axis=1), axis=0, return_inverse=True)
    inv = inv.reshape(-1)
    amount = np.bincount(inv, taint, minlength=len(keys))
    order = np.lexsort((-taint, inv))
    first = order[np.searchsorted(inv[order], np.arange(len(keys)))]
    found = []
    for k in np.lexsort((keys[:, 1], keys[:, 0], -amount))[:_CONTRIBUTORS]:
        i = int(first[k])
        no = int(trace_no[i])
        path = (int(g.edge_tx[ref[i]]),) if no < 0 else account_path(traces[no], int(ref[i]))
        a = int(keys[k, 0])
        found.append(
            Contributor(
                a, cats.names[int(cats.codes[a]) - 1], int(keys[k, 1]), float(amount[k]), path
            )
        )
    return tuple(found)


def _info(traces: list[Trace], total: float, opts: dict[str, Any]) -> dict[str, Any]:
    ended: dict[str, float] = {}
    for tr in traces:
        for k, v in tr.ended.items():
            ended[k] = ended.get(k, 0.0) + float(v)
    txs = np.unique(np.concatenate([np.zeros(0, np.int64), *(t.item_tx for t in traces)]))
    return {
        **opts, "level": "address", "start_taint": total,
        "items": sum(t.n_items for t in traces), "txs": len(txs), "traces": len(traces),
        "ended": ended,
    }  # fmt: skip


def _first_hop(
    g: AccountGraph, edges: I64, codes: U16, n_named: int, *, outgoing: bool, rest: _Rest
) -> I64:
    """Settle the start transfers whose counterparty is categorised, the subject or
    missing; return the others, to be traced."""
    other = g.edge_dst[edges] if outgoing else g.edge_src[edges]
    code, value = _code(codes, other), g.edge_value[edges]
    rest.add("unspent" if outgoing else "origin", value[other == NO_ID].sum())
    rest.add("self", value[code > n_named].sum())
    direct = (code > 0) & (code <= n_named)
    rest.arrive(
        other[direct].astype(np.int64), np.ones(int(direct.sum()), np.int64),
        value[direct], -1, edges[direct],
    )  # fmt: skip
    return np.asarray(edges[(code == 0) & (other != NO_ID)], np.int64)


def account_exposure(
    g: AccountGraph,
    cats: CategoryMap,
    subject: I64,
    direction: str,
    *,
    model: str,
    max_hops: int,
    dust: float,
    token: int | None,
) -> Exposure:
    """``direction`` (incoming / outgoing) exposure of ``subject`` in one asset."""
    if model not in _MODELS:  # checked here too: a trace may never run
        raise Invalid(f"account chains trace with {', '.join(_MODELS)}, not {model!r}")
    if token is not None and not 0 <= token < g.n_addresses:
        raise Invalid(f"token {token} is not an address of the graph")
    outgoing = direction == "outgoing"
    edges = _starts(g, subject, outgoing, NO_ID if token is None else np.uint32(token))
    n_named = len(cats.names)
    codes = cats.codes[: g.n_addresses].copy()
    codes[subject] = n_named + 1  # the subject: a stop of its own, reported as self
    rest = _Rest()
    way = "forward" if outgoing else "backward"
    traces = [
        trace(
            g, start=Start.transfer(int(e)), model=model, direction=way,
            max_hops=max_hops - 1, dust=dust, categories=codes,
            stop_categories=range(1, n_named + 2), token=token,
        )
        for e in _first_hop(g, edges, codes, n_named, outgoing=outgoing, rest=rest)
    ]  # fmt: skip
    for no, tr in enumerate(traces):
        _collect(tr, codes, n_named, rest, no)
    total = float(g.edge_value[edges].sum())
    addr, hop, taint, _, _ = rest.arrays()
    info = {"model": model, "trace_direction": way, "max_hops": max_hops, "dust": dust,
            "token": token}  # fmt: skip
    return Exposure(
        direction=direction,
        total=total,
        categories=by_category(cats, addr, hop, taint, total),
        untagged={k: v for k, v in rest.untagged.items() if v > _TOL * total},
        contributors=_contributors(cats, rest, traces, g),
        traces=tuple(traces),
        info=_info(traces, total, info),
    )
