"""What a trace returns: flow items, traced transactions and where the value ended.

One :class:`Trace` for both families. Its *items* are the things that carry taint: coins
(output rows) on UTXO chains, transfers (edges) on account chains. Summaries are grouped
per address, per cluster (when cluster ids were given) and per category (when an
address category array was given).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import numpy.typing as npt

STATUS_NAMES = ("followed", "unspent", "hop", "dust", "time", "label", "origin", "pending")
"""``item_status`` codes: followed on; resting unspent (account: held); stopped by hop
limit, dust, time window or a labelled address; origin (backward: minted by a coinbase)."""

Num = npt.NDArray[Any]
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class Summary:
    """Taint per group (address, cluster or category id), sorted by id."""

    ids: I64
    received: Num
    held: Num
    first_hop: I64

    def rows(self) -> list[dict[str, Any]]:
        return [
            {"id": int(i), "received": _num(r), "held": _num(h), "first_hop": int(f)}
            for i, r, h, f in zip(self.ids, self.received, self.held, self.first_hop, strict=True)
        ]


def summarize(keys: Num, received: Num, held: Num, hop: Num, skip: int) -> Summary:
    """Group ``received``/``held``/min ``hop`` by ``keys``, leaving out the ``skip`` key."""
    keep = keys.astype(np.int64) != skip
    ids, inv = np.unique(keys[keep].astype(np.int64), return_inverse=True)
    first = np.full(len(ids), np.iinfo(np.int64).max, np.int64)
    np.minimum.at(first, inv, hop[keep].astype(np.int64))
    rec = np.zeros(len(ids), received.dtype)
    hld = np.zeros(len(ids), held.dtype)
    np.add.at(rec, inv, received[keep])
    np.add.at(hld, inv, held[keep])
    return Summary(ids, rec, hld, first)


def _num(x: Any) -> int | float:
    return int(x) if np.issubdtype(type(x), np.integer) else float(x)


@dataclass(frozen=True, eq=False)
class Trace:
    """A finished trace (see TRACING.md for the models).

    Items: ``item_ref`` (output row / edge index), ``item_tx`` (creating tx / edge tx),
    ``item_src`` (account: sender; UTXO: NO_ID), ``item_addr`` (holder / receiver),
    ``item_cluster`` (cluster of ``item_addr``, empty at address level), ``item_value``,
    ``item_taint``, ``item_hop``, ``item_status`` (:data:`STATUS_NAMES`), ``item_next``
    (UTXO: the tx that carried it on, -1). Ordered UTXO models keep each coin's tainted
    runs in ``run_off``/``run_len`` at ``run_ptr[i]:run_ptr[i + 1]``. Transactions
    (UTXO): ``tx_id``, ``tx_hop``, ``tx_taint_in``, ``tx_fee_taint`` (backward: taint no
    input explains). ``ended`` maps where the value came to rest (``fee``, ``unspent`` or
    ``held``, a stop reason, ``origin``, ``unexplained``, ``overlap``) to its taint.
    ``exact``: every amount is an integer in base units (always on UTXO chains; on
    account chains with ``exact=True``, as Python ints in object arrays); else float64.
    """

    family: str
    model: str
    direction: str
    level: str
    fee_mode: str
    max_hops: int
    dust: float
    token: int | None
    start_taint: int | float
    item_ref: I64
    item_tx: I64
    item_src: npt.NDArray[np.uint32]
    item_addr: npt.NDArray[np.uint32]
    item_cluster: npt.NDArray[np.uint32]
    item_value: Num
    item_taint: Num
    item_hop: npt.NDArray[np.int32]
    item_status: npt.NDArray[np.uint8]
    item_next: I64
    run_ptr: I64
    run_off: I64
    run_len: I64
    tx_id: I64
    tx_hop: npt.NDArray[np.int32]
    tx_taint_in: Num
    tx_fee_taint: Num
    by_address: Summary
    by_cluster: Summary | None
    by_category: Summary | None
    ended: dict[str, int | float] = field(default_factory=dict)
    exact: bool = False

    @property
    def n_items(self) -> int:
        return len(self.item_ref)

    def status_names(self) -> list[str]:
        return [STATUS_NAMES[s] for s in self.item_status]

    def to_json(self) -> dict[str, Any]:
        """Plain data: settings, summaries, items and transactions as lists of records."""
        head = {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if not isinstance(getattr(self, f.name), np.ndarray | Summary) and f.name != "ended"
        }
        head["start_taint"] = _num(self.start_taint)
        return {
            **head,
            "ended": {k: _num(v) for k, v in self.ended.items()},
            "by_address": self.by_address.rows(),
            "by_cluster": self.by_cluster.rows() if self.by_cluster else None,
            "by_category": self.by_category.rows() if self.by_category else None,
            "items": self.item_rows(),
            "txs": [
                {"tx": int(t), "hop": int(h), "taint_in": _num(a), "fee_taint": _num(b)}
                for t, h, a, b in zip(
                    self.tx_id, self.tx_hop, self.tx_taint_in, self.tx_fee_taint, strict=True
                )
            ],
        }

    def item_rows(self) -> list[dict[str, Any]]:
        """One record per item, runs included for ordered UTXO models."""
        rows = []
        has_runs = len(self.run_ptr) > 0
        for i in range(self.n_items):
            row: dict[str, Any] = {
                "ref": int(self.item_ref[i]),
                "tx": int(self.item_tx[i]),
                "src": _addr(self.item_src[i]),
                "address": _addr(self.item_addr[i]),
                "value": _num(self.item_value[i]),
                "taint": _num(self.item_taint[i]),
                "hop": int(self.item_hop[i]),
                "status": STATUS_NAMES[self.item_status[i]],
                "next_tx": int(self.item_next[i]),
            }
            if has_runs:
                a, b = self.run_ptr[i], self.run_ptr[i + 1]
                row["runs"] = [
                    [int(o), int(n)]
                    for o, n in zip(self.run_off[a:b], self.run_len[a:b], strict=True)
                ]
            rows.append(row)
        return rows


def _addr(a: Any) -> int | None:
    return None if int(a) == 0xFFFFFFFF else int(a)


def summaries(
    addr: Num, received: Num, held: Num, hop: Num, *, clusters: Num | None, categories: Num | None
) -> tuple[Summary, Summary | None, Summary | None, Num]:
    """Per address, cluster and category summaries; also each item's cluster id."""
    no_id = 0xFFFFFFFF
    known = addr != no_id
    safe = np.where(known, addr, 0).astype(np.int64)
    by_address = summarize(addr, received, held, hop, no_id)
    item_cluster = np.zeros(0, np.uint32)
    by_cluster = by_category = None
    if clusters is not None:
        item_cluster = np.where(known, clusters[safe] if len(clusters) else no_id, no_id).astype(
            np.uint32
        )
        by_cluster = summarize(item_cluster, received, held, hop, no_id)
    if categories is not None:
        cat = np.where(known, categories[safe].astype(np.int64) if len(categories) else -1, -1)
        by_category = summarize(cat, received, held, hop, -1)
    return by_address, by_cluster, by_category, item_cluster
