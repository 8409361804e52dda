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
- Taint sent to no receiver (NO_ID: a contract creation without one) rests there:
  ``ended["unspent"]``.
- TIHO is not defined for pools (``Invalid``).

Backward (where value came from) is the forward replay run over the edges in reverse
order with sender and receiver swapped, each pool opening at the balance the real chain
shows at that point. That mirror is exact for every model:

- haircut: undoing a receipt of ``w`` into A hands its sender ``w * taint(A) /
  balance(A)``, the balance just after the receipt (the pool is one mix);
- FIFO: the units A holds arrived in order, so the newest units came with the latest
  receipts; LIFO: likewise, and a send had taken the newest units, so undoing it puts
  them back on top;
- poison: every transfer into a tainted address before the traced point taints its
  sender wholly (hop + 1).

Start: a transfer (the units its sender paid out, sender at hop 0), or ``amount`` units
(``None``: the whole balance) held by an address just before edge ``at``: the units it
would pay out first under the model (FIFO the oldest, LIFO the newest; haircut and
poison have no order). Items are the transfers the traced value passed through; per
address, ``received`` is the traced value that passed through it and ``held`` what it
already held when the data begins (its origin). Reward edges (sender NO_ID) end as
``ended["origin"]``. Conservation: start = Σ held + Σ origin + Σ stopped.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from chainsleuth.analysis import _taint_account_kernels as k
from chainsleuth.analysis._taint_utxo_kernels import ORIGIN, UNSPENT
from chainsleuth.analysis.graph import NO_ID, AccountGraph
from chainsleuth.analysis.taint_utxo import MODELS, Settings
from chainsleuth.analysis.trace_result import STATUS_NAMES, Trace, summaries
from chainsleuth.errors import Invalid


def _arrays(g: AccountGraph) -> tuple[object, ...]:
    return (
        g.edge_src, g.edge_dst, g.edge_token, g.edge_value, g.edge_time,
        g.addr_in.indptr, g.addr_in.indices.astype(np.int64),
        g.addr_out.indptr, g.addr_out.indices.astype(np.int64), np.zeros(0),
    )  # fmt: skip


def _final_balances(g: AccountGraph, token: np.int64) -> npt.NDArray[np.float64]:
    """Every address's balance after the last edge of ``token`` (received - sent)."""
    keep = g.edge_token == token
    src, dst, val = g.edge_src[keep], g.edge_dst[keep], g.edge_value[keep]
    n = g.n_addresses
    got = np.bincount(dst[dst != NO_ID], val[dst != NO_ID], minlength=n)
    gave = np.bincount(src[src != NO_ID], val[src != NO_ID], minlength=n)
    return np.asarray(got[:n] - gave[:n], np.float64)


def _reversed(g: AccountGraph, token: np.int64) -> tuple[object, ...]:
    """The edges last first, sender and receiver swapped; edge ``e`` becomes
    ``n - 1 - e``. Pools open from the final balances, so each is the real one."""
    last = np.int64(g.n_edges - 1)

    def flip(a: npt.NDArray[np.generic]) -> npt.NDArray[np.generic]:
        return np.ascontiguousarray(a[::-1])

    return (
        flip(g.edge_dst), flip(g.edge_src), flip(g.edge_token), flip(g.edge_value),
        flip(g.edge_time), g.addr_out.indptr, last - g.addr_out.indices.astype(np.int64),
        g.addr_in.indptr, last - g.addr_in.indices.astype(np.int64), _final_balances(g, token),
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
        np.int64(ORIGIN if s.direction == "backward" else UNSPENT),
    )


def trace_account(
    g: AccountGraph, s: Settings, *, transfer: int | None = None,
    address: int | None = None, amount: float | None = None, at: int = 0,
) -> Trace:  # fmt: skip
    """Trace one asset from a ``transfer`` or from ``amount`` units at ``address``
    (``None``: its whole balance before edge ``at``)."""
    if s.model == "tiho":
        raise Invalid("account chains trace with poison, haircut, fifo or lifo, not tiho")
    token = np.int64(NO_ID if s.token is None else s.token)
    back = s.direction == "backward"
    arrays, st = (_reversed(g, token) if back else _arrays(g)), k.new_state()
    first = np.zeros((0, 4))
    if transfer is not None:
        if not 0 <= transfer < g.n_edges or g.edge_token[transfer] != token:
            raise Invalid(f"transfer {transfer} is not a transfer of the asset traced")
        amount = float(g.edge_value[transfer])
        holder = g.edge_src[transfer] if back else g.edge_dst[transfer]
        if holder == NO_ID:
            raise Invalid(f"transfer {transfer} has no {'sender' if back else 'receiver'}")
        at = g.n_edges - transfer if back else transfer + 1
        st = k.seed(st, int(holder), amount, at, arrays, token)
        first = np.array([[transfer, amount, 0, 0]], np.float64)
    elif address is not None:
        if not 0 <= address < g.n_addresses or not 0 <= at <= g.n_edges:
            raise Invalid(f"address {address} before edge {at} is not in the graph")
        at = g.n_edges - at if back else at
        if amount is None:
            amount = k.opening(address, at, arrays, token)
        st = k.seed(st, address, float(amount), at, arrays, token)
    else:
        raise Invalid("an account trace starts at a transfer or an address")
    st, items = k.replay(st, at, arrays, _options(g, s))
    if back:
        items[:, 0] = g.n_edges - 1 - items[:, 0]
    return _result(g, s, st, np.concatenate((first, items)), float(amount))


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
            for c in (UNSPENT, 2, 3, 4, 5, ORIGIN)
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
