"""Taint tracing on UTXO chains: start sets, the numba walk, and the :class:`Trace`.

Models, hops, fees, stops and conservation follow TRACING.md. Conventions it leaves open:

- Haircut shares are whole base units, split by largest remainder, so every transaction
  conserves exactly and each share is within one unit of ``T * value / V``.
- ``fee_mode="proportional"`` takes each input's fee share (largest remainder, whole
  units) off the end of its units in the model's reading order (LIFO: the coin's first
  units); under TIHO the fee share eats the input's clean units first.
- An unresolved input counts as zero units; ``V`` is then ``max(sum of known inputs,
  sum of outputs)``.
- Stop checks run in the order hop, dust, time window (``start_time <= time < end_time``
  of the spending tx), label (never on hop 0).
- Backward mirrors forward: a traced tx is the creator of a tainted coin; its inputs'
  spent coins get the taint: poison taints every spent coin wholly; haircut gives input
  ``i`` ``T * value(i) / V`` (the rest, for unresolved inputs, is *unexplained*); FIFO
  and LIFO invert the same unit line (outputs, then fee, against the inputs); TIHO fills
  the inputs highest value first. Coins minted by a coinbase end as ``origin``.
- At cluster level a coin whose cluster equals that of a followed coin of the same
  transaction keeps that coin's hop (moving inside a cluster is no hop).
- A start coin reached again by the trace keeps the larger of the overlapping taint;
  the units counted twice are reported as ``overlap``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from chainsleuth.analysis import _taint_utxo_kernels as k
from chainsleuth.analysis._taint_utxo_back import backward
from chainsleuth.analysis.graph import NO_ID, UtxoGraph
from chainsleuth.analysis.trace_result import STATUS_NAMES, Trace, summaries

MODELS = ("poison", "haircut", "fifo", "lifo", "tiho")
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Settings:
    """Everything but the start set; validated by :func:`chainsleuth.analysis.trace`."""

    model: str = "haircut"
    direction: str = "forward"
    max_hops: int = 6
    dust: float = 0
    fee_mode: str = "tail"
    start_time: int | None = None
    end_time: int | None = None
    clusters: npt.NDArray[np.uint32] | None = None
    categories: npt.NDArray[np.uint16] | None = None
    stop_categories: frozenset[int] = frozenset()
    token: int | None = None

    def stop_mask(self) -> npt.NDArray[np.bool_]:
        if self.categories is None or not self.stop_categories:
            return np.zeros(0, np.bool_)
        return np.isin(self.categories, np.array(sorted(self.stop_categories), np.int64))


def _arrays(g: UtxoGraph) -> tuple[object, ...]:
    return (
        g.out_start, g.in_start, g.in_prev_out, g.in_value, g.out_value, g.out_addr,
        g.out_spent_tx, g.tx_time, g.tx_coinbase, g.in_addr,
    )  # fmt: skip


def _options(s: Settings) -> tuple[object, ...]:
    far = np.iinfo(np.int64).max
    return (
        s.clusters if s.clusters is not None else np.zeros(0, np.uint32),
        s.stop_mask(),
        np.int64(s.max_hops),
        np.int64(np.ceil(s.dust)),  # integer taint >= dust iff >= ceil(dust)
        np.int64(s.start_time if s.start_time is not None else -far),
        np.int64(s.end_time if s.end_time is not None else far),
        np.int64(MODELS.index(s.model)),
        s.fee_mode == "proportional",
    )


def trace_utxo(g: UtxoGraph, rows: I64, amounts: I64, s: Settings) -> Trace:
    """Trace from the start coins ``rows`` (first ``amounts`` units each)."""
    ordered = s.model in ("fifo", "lifo")
    n = len(rows)
    ptr = np.arange(n + 1, dtype=np.int64) if ordered else np.zeros(n + 1, np.int64)
    zeros = np.zeros(n if ordered else 0, np.int64)
    st, lost0 = k.seed(
        k.new_state(ordered), rows, amounts, ptr, zeros, amounts[: len(zeros)], _arrays(g)
    )
    walk = k.forward if s.direction == "forward" else backward
    st, txs, lost = walk(st, _arrays(g), _options(s))
    return _result(g, s, st, txs, start=int(amounts.sum()), lost=int(lost0 + lost))


def _runs(coins: I64, runs: I64) -> tuple[I64, I64, I64]:
    lens = coins[:, k.C_RN]
    ptr = np.zeros(len(coins) + 1, np.int64)
    np.cumsum(lens, out=ptr[1:])
    flat = np.repeat(coins[:, k.C_RP] - ptr[:-1], lens) + np.arange(ptr[-1])
    return ptr, runs[flat, 0], runs[flat, 1]


def _result(
    g: UtxoGraph, s: Settings, st: tuple[object, ...], txs: I64, *, start: int, lost: int
) -> Trace:
    coins = np.asarray(st[0])[: int(st[2])]  # type: ignore[call-overload]
    coins = coins[np.argsort(coins[:, k.C_ROW], kind="stable")]
    rows = coins[:, k.C_ROW]
    taint, status = coins[:, k.C_TAINT], coins[:, k.C_STATUS].astype(np.uint8)
    held = np.where(status == k.FOLLOWED, 0, taint)
    addr = g.out_addr[rows]
    hop = coins[:, k.C_HOP].astype(np.int32)
    by_addr, by_cl, by_cat, item_cluster = summaries(
        addr, taint, held, hop, clusters=s.clusters, categories=s.categories
    )
    run_ptr, run_off, run_len = (
        _runs(coins, np.asarray(st[1])) if st[5] else (np.zeros(0, np.int64),) * 3
    )
    txs = txs[np.argsort(txs[:, 0], kind="stable")]
    ended: dict[str, int | float] = {
        STATUS_NAMES[c]: int(taint[status == c].sum()) for c in range(1, 7) if (status == c).any()
    }
    ended["fee" if s.direction == "forward" else "unexplained"] = int(txs[:, 3].sum())
    if lost:
        ended["overlap"] = lost
    return Trace(
        family="utxo", model=s.model, direction=s.direction,
        level="address" if s.clusters is None else "cluster", fee_mode=s.fee_mode,
        max_hops=s.max_hops, dust=s.dust, token=None, start_taint=start,
        item_ref=rows, item_tx=np.searchsorted(g.out_start, rows, side="right") - 1,
        item_src=np.full(len(rows), NO_ID, np.uint32), item_addr=addr, item_cluster=item_cluster,
        item_value=g.out_value[rows], item_taint=taint, item_hop=hop, item_status=status,
        item_next=coins[:, k.C_NEXT], run_ptr=run_ptr, run_off=run_off, run_len=run_len,
        tx_id=txs[:, 0], tx_hop=txs[:, 1].astype(np.int32), tx_taint_in=txs[:, 2],
        tx_fee_taint=txs[:, 3], by_address=by_addr, by_cluster=by_cl, by_category=by_cat,
        ended=ended,
    )  # fmt: skip
