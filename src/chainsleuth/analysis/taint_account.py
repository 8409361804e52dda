"""Taint tracing on account chains: one asset replayed as pools (TRACING.md).

Values are float64 in the asset's base unit: amounts agree with exact arithmetic to a
relative ``1e-9`` of the start taint (conservation is checked with that tolerance).
Conventions TRACING.md leaves open:

- Start: one transfer (its receiver holds all its units as taint, hop 0), or an address
  holding ``amount`` tainted units just before edge ``at``: its newest units, after the
  clean rest of its balance (the balance is raised to ``amount`` when the data shows less).
- A transfer whose taint stops (hop limit, dust, time window, labelled sender) still
  takes the units out of the sender's pool; the receiver gets them as clean. Stopped
  taint plus held taint equals the start taint (haircut, FIFO, LIFO).
- Balances come from the graph's edges of that asset; data that misses allocations,
  rewards or gas never drives a pool below zero (the missing units count as clean).
- At cluster level a transfer inside one cluster keeps the sender's hop.
- Backward tracing and TIHO are not defined for pools yet (``Invalid``).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from chainsleuth.analysis import _taint_account_kernels as k
from chainsleuth.analysis.graph import NO_ID, AccountGraph
from chainsleuth.analysis.taint_utxo import MODELS, Settings
from chainsleuth.analysis.trace_result import STATUS_NAMES, Trace, summaries
from chainsleuth.errors import Invalid

REL_TOL = 1e-9


def _arrays(g: AccountGraph) -> tuple[object, ...]:
    return (
        g.edge_src, g.edge_dst, g.edge_token, g.edge_value, g.edge_time,
        g.addr_in.indptr, g.addr_in.indices.astype(np.int64),
        g.addr_out.indptr, g.addr_out.indices.astype(np.int64),
    )  # fmt: skip


def _options(g: AccountGraph, s: Settings) -> tuple[object, ...]:
    far = np.iinfo(np.int64).max
    return (
        s.clusters if s.clusters is not None else np.zeros(0, np.uint32),
        s.stop_mask(),
        float(s.max_hops),
        float(s.dust),
        np.int64(s.start_time if s.start_time is not None else -far),
        np.int64(s.end_time if s.end_time is not None else far),
        np.int64(MODELS.index(s.model)),
        np.int64(NO_ID if s.token is None else s.token),
    )


def trace_account(
    g: AccountGraph, s: Settings, *, transfer: int | None = None,
    address: int | None = None, amount: float = 0.0, at: int = 0,
) -> Trace:  # fmt: skip
    """Trace one asset from a ``transfer`` or from ``amount`` units at ``address``."""
    if s.direction != "forward" or s.model == "tiho":
        raise Invalid(
            "account chains trace forward with poison, haircut, fifo or lifo, "
            f"not {s.direction} {s.model}"
        )
    token = np.int64(NO_ID if s.token is None else s.token)
    arrays, st = _arrays(g), k.new_state()
    first = np.zeros((0, 4))
    if transfer is not None:
        if g.edge_token[transfer] != token:
            raise Invalid(f"transfer {transfer} moves another asset than the one traced")
        amount = float(g.edge_value[transfer])
        st = k.seed(st, int(g.edge_dst[transfer]), amount, transfer + 1, arrays, token)
        first = np.array([[transfer, amount, 0, 0]], np.float64)
        at = transfer + 1
    elif address is not None:
        st = k.seed(st, address, float(amount), at, arrays, token)
    else:
        raise Invalid("an account trace starts at a transfer or an address")
    st, items = k.replay(st, at, arrays, _options(g, s))
    return _result(g, s, st, np.concatenate((first, items)), amount)


def _result(
    g: AccountGraph,
    s: Settings,
    st: tuple[object, ...],
    items: npt.NDArray[np.float64],
    start: float,
) -> Trace:
    addr, held, received, hop = k.held(st, np.int64(MODELS.index(s.model)))
    addr = addr.astype(np.uint32)
    by_addr, by_cl, by_cat, _ = summaries(
        addr, received, held, hop.astype(np.int64), clusters=s.clusters, categories=s.categories
    )
    edge = items[:, 0].astype(np.int64)
    status = items[:, 3].astype(np.uint8)
    taint = items[:, 1]
    _, _, _, item_cluster = summaries(
        g.edge_dst[edge], taint, taint, items[:, 2], clusters=s.clusters, categories=None
    )
    ended: dict[str, int | float] = {"held": float(held.sum())}
    ended.update(
        {
            STATUS_NAMES[c]: float(taint[status == c].sum())
            for c in (2, 3, 4, 5)
            if (status == c).any()
        }
    )
    none = np.zeros(0, np.int64)
    return Trace(
        family="account", model=s.model, direction=s.direction,
        level="address" if s.clusters is None else "cluster", fee_mode=s.fee_mode,
        max_hops=s.max_hops, dust=s.dust, token=s.token, start_taint=start,
        item_ref=edge, item_tx=g.edge_tx[edge].astype(np.int64), item_src=g.edge_src[edge],
        item_addr=g.edge_dst[edge], item_cluster=item_cluster, item_value=g.edge_value[edge],
        item_taint=taint, item_hop=items[:, 2].astype(np.int32), item_status=status,
        item_next=np.full(len(edge), -1, np.int64), run_ptr=none, run_off=none, run_len=none,
        tx_id=none, tx_hop=np.zeros(0, np.int32), tx_taint_in=np.zeros(0), tx_fee_taint=np.zeros(0),
        by_address=by_addr, by_cluster=by_cl, by_category=by_cat, ended=ended,
    )  # fmt: skip
