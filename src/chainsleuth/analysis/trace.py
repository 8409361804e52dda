"""Front door of taint tracing: ``trace(graph, start=..., model=..., ...) -> Trace``.

The models and their conventions are documented in :mod:`chainsleuth.analysis.taint_utxo`
and :mod:`chainsleuth.analysis.taint_account` after TRACING.md: poison and haircut
(Möser, Böhme, Breuker 2014), FIFO (Anderson et al., "Bitcoin Redux", 2018), LIFO and
TIHO (Tironsakkul et al., 2019).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from chainsleuth.analysis.graph import AccountGraph, UtxoGraph
from chainsleuth.analysis.taint_account import trace_account
from chainsleuth.analysis.taint_utxo import MODELS, Settings, trace_utxo
from chainsleuth.analysis.trace_result import Trace
from chainsleuth.errors import Invalid

I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Start:
    """Where taint starts. ``kind``: ``output`` (global output rows), ``tx`` (all outputs
    of the txs), ``address`` (UTXO: its outputs in chain order, in full, until ``amount``
    runs out; account: ``amount`` units, default all, held before edge ``at``) or ``transfer``
    (account edge). ``amount`` limits an ``output`` start to its first units."""

    kind: str
    ids: tuple[int, ...]
    amount: int | float | None = None
    at: int = 0

    @classmethod
    def output(cls, row: int, amount: int | None = None) -> Start:
        return cls("output", (row,), amount)

    @classmethod
    def tx(cls, *txs: int) -> Start:
        return cls("tx", tuple(txs))

    @classmethod
    def address(cls, addr: int, amount: int | float | None = None, *, at: int = 0) -> Start:
        return cls("address", (addr,), amount, at)

    @classmethod
    def transfer(cls, edge: int) -> Start:
        return cls("transfer", (edge,))


def utxo_start(g: UtxoGraph, start: Start) -> tuple[I64, I64]:
    """Start coins (output rows) and the units tainted in each."""
    if start.kind == "output":
        rows = np.asarray(start.ids, np.int64)
    elif start.kind == "tx":
        rows = np.concatenate([np.arange(g.out_start[t], g.out_start[t + 1]) for t in start.ids])
    elif start.kind == "address":
        rows = np.concatenate([g.addr_outputs.row(a) for a in start.ids]).astype(np.int64)
    else:
        raise Invalid(f"a UTXO trace cannot start at a {start.kind}")
    if len(rows) and (rows.min() < 0 or rows.max() >= g.n_outputs):
        raise Invalid(f"start outputs {start.ids} are not in the graph")
    values = g.out_value[rows]
    if start.amount is None:
        return rows, values.copy()
    before = np.concatenate(([0], np.cumsum(values)[:-1]))
    amounts = np.clip(int(start.amount) - before, 0, values)
    keep = amounts > 0
    return rows[keep], amounts[keep]


def _check(model: str, direction: str, fee_mode: str, max_hops: int, dust: float) -> None:
    if model not in MODELS:
        raise Invalid(f"unknown taint model {model!r}; use one of {', '.join(MODELS)}")
    if direction not in ("forward", "backward"):
        raise Invalid(f"direction must be forward or backward, not {direction!r}")
    if fee_mode not in ("tail", "proportional"):
        raise Invalid(f"fee_mode must be tail or proportional, not {fee_mode!r}")
    if max_hops < 0 or dust < 0:
        raise Invalid("max_hops and dust must not be negative")


def trace(
    graph: UtxoGraph | AccountGraph,
    *,
    start: Start,
    model: str = "haircut",
    direction: str = "forward",
    max_hops: int = 6,
    dust: float = 0,
    fee_mode: str = "tail",
    start_time: int | None = None,
    end_time: int | None = None,
    clusters: npt.NDArray[np.uint32] | None = None,
    categories: npt.NDArray[np.uint16] | None = None,
    stop_categories: Iterable[int] = (),
    token: int | None = None,
    exact: bool = False,
) -> Trace:
    """Follow tainted value through ``graph`` hop by hop.

    Parameters
    ----------
    start : where the taint starts (:class:`Start`).
    model : ``poison``, ``haircut``, ``fifo``, ``lifo`` or ``tiho`` (TRACING.md).
    direction : ``forward`` (where value went) or ``backward`` (where it came from).
    max_hops, dust : coins at hop >= ``max_hops`` or with taint below ``dust`` stop.
    fee_mode : ``tail`` or ``proportional`` (ordered models).
    start_time, end_time : only transactions with ``start_time <= time < end_time``.
    clusters : cluster id per address: hops and summaries count clusters.
    categories, stop_categories : category per address; taint stops at the listed ones.
    token : account chains: the asset traced (None: the native coin).
    exact : account chains: every amount a Python int in base units, conserved to the
        unit (slower; see :mod:`chainsleuth.analysis.taint_account`). ``start.amount`` is
        then a whole number. UTXO traces are always exact.
    """
    _check(model, direction, fee_mode, max_hops, dust)
    settings = Settings(
        model, direction, max_hops, dust, fee_mode, start_time, end_time,
        clusters, categories, frozenset(int(c) for c in stop_categories), token,
    )  # fmt: skip
    if isinstance(graph, UtxoGraph):
        rows, amounts = utxo_start(graph, start)
        return replace(trace_utxo(graph, rows, amounts, settings), exact=True)
    if start.kind == "transfer":
        return trace_account(graph, settings, transfer=start.ids[0], exact=exact)
    if start.kind == "address":
        amount = start.amount
        if amount is not None and not exact:
            amount = float(amount)
        return trace_account(
            graph, settings, address=start.ids[0], amount=amount, at=start.at, exact=exact
        )
    raise Invalid(f"an account trace cannot start at a {start.kind}")
