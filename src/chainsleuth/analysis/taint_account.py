"""Taint tracing on account chains: one asset replayed as pools (TRACING.md).

Two arithmetics, the same rules:

- float64 (default; the numba kernel ``_taint_account_kernels``): amounts in the asset's
  base unit, exact to 2**53 units, within a relative ``1e-9`` beyond (1 ETH is 10**18
  wei, so figures in wei can be off by hundreds of wei per transfer);
- ``exact=True`` (``_taint_account_exact``, Python ints over the edges the taint
  reaches): every amount is an integer read from the exact edge values, and conservation
  holds to the unit. Haircut then carries ``floor(v * taint(A) / balance(A))`` and the
  fraction stays in A's pool: each share within one unit, none above. An edge beyond
  2**128 units (flagged ``edge_overflow``) that the trace would read is refused
  (``Invalid`` naming it), never rounded.

Conventions TRACING.md leaves open:

- Start: one transfer (its receiver holds all its units as taint, hop 0), or an address
  holding ``amount`` tainted units just before edge ``at``: its newest units, after the
  clean rest of its balance (the balance is raised to ``amount`` when the data shows less).
- A transfer whose taint stops (hop limit, dust, time window, labelled sender) still
  takes the units out of the sender's pool; the receiver gets them as clean. Stopped
  taint plus held taint equals the start taint (haircut, FIFO, LIFO).
- Balances come from the graph's edges of that asset; data that misses allocations,
  rewards or gas never drives a pool below zero (the missing units count as clean and
  leave with the send that lacked them). A pool opens, wherever the trace first needs
  it, at what a replay of the address's edges from the first one shows under that rule:
  received − sent + lacked (``_taint_account_kernels.missing``), not ``max(received −
  sent, 0)``, which forgets that an earlier send already lacked units.
- At cluster level a transfer inside one cluster keeps the sender's hop.
- Taint sent to no receiver (NO_ID: a contract creation without one) rests there:
  ``ended["unspent"]``.
- TIHO is not defined for pools (``Invalid``).

Backward (where value came from) is the forward replay run over the edges in reverse
order with sender and receiver swapped, each pool opening at the pool the forward replay
shows at that point. That mirror is exact for every model:

- haircut: undoing a receipt of ``w`` into A hands its sender ``w * taint(A) /
  balance(A)``, the balance just after the receipt (the pool is one mix);
- FIFO: the units A holds arrived in order, so the newest units came with the latest
  receipts; LIFO: likewise, and a send had taken the newest units, so undoing it puts
  them back on top;
- poison: every transfer into a tainted address before the traced point taints its
  sender wholly (hop + 1);
- units a send lacked (forward: clean units that appear at that send) are taken off again
  where backward undoes the send, and so are start units beyond the opening pool: the
  data shows no source for them, so their taint stays with that address (``held``, its
  origin). What a transfer ``s`` delivers into ``t`` forward is what ``t`` owes to ``s``
  backward, for every pair, lacking senders included.

Start: a transfer (the units its sender paid out, sender at hop 0), or ``amount`` units
(``None``: the whole balance) held by an address just before edge ``at``: the units it
would pay out first under the model (FIFO the oldest, LIFO the newest; haircut and
poison have no order). Items are the transfers the traced value passed through; per
address, ``received`` is the traced value that passed through it and ``held`` what it
already held when the data begins or the data never shows arriving (its origin). Reward
and genesis edges (sender NO_ID) end as ``ended["origin"]``. Conservation: start = Σ held
+ Σ origin + Σ stopped.

Per address (both directions, in replay order): held = opening + received − sent, the
opening taint being zero (the start amount counts as received by the start address) and
sent the taint of the items the address pays out, stopped ones included, the start
transfer excluded.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from chainsleuth.analysis import _taint_account_exact as ex
from chainsleuth.analysis import _taint_account_kernels as k
from chainsleuth.analysis._taint_utxo_kernels import ORIGIN, UNSPENT
from chainsleuth.analysis.graph import NO_ID, AccountGraph
from chainsleuth.analysis.taint_utxo import MODELS, Settings
from chainsleuth.analysis.trace_result import STATUS_NAMES, Trace, summaries
from chainsleuth.errors import Invalid


def _arrays(g: AccountGraph, token: np.int64) -> tuple[object, ...]:
    lacked, _ = k.missing(g.edge_src, g.edge_dst, g.edge_token, g.edge_value, token,
                          g.n_addresses)  # fmt: skip
    return (
        g.edge_src, g.edge_dst, g.edge_token, g.edge_value, g.edge_time,
        g.addr_in.indptr, g.addr_in.indices.astype(np.int64),
        g.addr_out.indptr, g.addr_out.indices.astype(np.int64), np.zeros(0), lacked,
    )  # fmt: skip


def _reversed(g: AccountGraph, token: np.int64) -> tuple[object, ...]:
    """The edges last first, sender and receiver swapped; edge ``e`` becomes
    ``n - 1 - e``. Pools open from the final ones, so each is the forward replay's."""
    last = np.int64(g.n_edges - 1)
    lacked, final = k.missing(g.edge_src, g.edge_dst, g.edge_token, g.edge_value, token,
                              g.n_addresses)  # fmt: skip

    def flip(a: npt.NDArray[np.generic]) -> npt.NDArray[np.generic]:
        return np.ascontiguousarray(a[::-1])

    return (
        flip(g.edge_dst), flip(g.edge_src), flip(g.edge_token), flip(g.edge_value),
        flip(g.edge_time), g.addr_out.indptr, last - g.addr_out.indices.astype(np.int64),
        g.addr_in.indptr, last - g.addr_in.indices.astype(np.int64), final, flip(lacked),
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


def _begin(
    g: AccountGraph, *, token: np.int64, back: bool, transfer: int | None, address: int | None,
    at: int,
) -> tuple[int, int]:  # fmt: skip
    """The address the start taint sits at and the replay position it starts from."""
    if transfer is not None:
        if not 0 <= transfer < g.n_edges or g.edge_token[transfer] != token:
            raise Invalid(f"transfer {transfer} is not a transfer of the asset traced")
        holder = g.edge_src[transfer] if back else g.edge_dst[transfer]
        if holder == NO_ID:
            raise Invalid(f"transfer {transfer} has no {'sender' if back else 'receiver'}")
        return int(holder), g.n_edges - transfer if back else transfer + 1
    if address is not None:
        if not 0 <= address < g.n_addresses or not 0 <= at <= g.n_edges:
            raise Invalid(f"address {address} before edge {at} is not in the graph")
        return address, g.n_edges - at if back else at
    raise Invalid("an account trace starts at a transfer or an address")


def trace_account(
    g: AccountGraph, s: Settings, *, transfer: int | None = None,
    address: int | None = None, amount: float | None = None, at: int = 0, exact: bool = False,
) -> Trace:  # fmt: skip
    """Trace one asset from a ``transfer`` or from ``amount`` units at ``address``
    (``None``: its whole balance before edge ``at``); ``exact``: in Python ints
    (:mod:`._taint_account_exact`), ``amount`` then a whole number of units."""
    if s.model == "tiho":
        raise Invalid("account chains trace with poison, haircut, fifo or lifo, not tiho")
    token = np.int64(NO_ID if s.token is None else s.token)
    back = s.direction == "backward"
    holder, at = _begin(g, token=token, back=back, transfer=transfer, address=address, at=at)
    if exact:
        rp, start = ex.replay(g, s, holder, at, transfer=transfer, amount=amount)
        return _result(g, s, rp.held(), rp.item_arrays(), start, exact=True)
    arrays = _reversed(g, token) if back else _arrays(g, token)
    first = np.zeros((0, 4))
    if transfer is not None:
        amount = float(g.edge_value[transfer])
        first = np.array([[transfer, amount, 0, 0]], np.float64)
    elif amount is None:
        amount = k.opening(holder, at, arrays, token)
    model = np.int64(MODELS.index(s.model))
    st = k.seed(k.new_state(), holder, float(amount), at, arrays, token, model)
    st, items = k.replay(st, at, arrays, _options(g, s))
    if back:
        items[:, 0] = g.n_edges - 1 - items[:, 0]
    items = np.concatenate((first, items))
    cols = (items[:, 0].astype(np.int64), items[:, 1], items[:, 2], items[:, 3].astype(np.uint8))
    pools = k.held(st, model)
    return _result(g, s, pools, cols, float(amount), exact=False)


def _result(
    g: AccountGraph,
    s: Settings,
    pools: tuple[npt.NDArray[Any], ...],
    items: tuple[npt.NDArray[Any], ...],
    start: int | float,
    *,
    exact: bool,
) -> Trace:
    """The :class:`Trace` from the pools (address, held, received, hop) and the items
    (edge, taint, hop, status); ``exact``: amounts are Python ints."""
    num = int if exact else float
    addr, held, received, hop = pools
    by_addr, by_cl, by_cat, _ = summaries(
        addr.astype(np.uint32), received, held, hop.astype(np.int64),
        clusters=s.clusters, categories=s.categories,
    )  # fmt: skip
    edge, taint, item_hop, status = items
    _, _, _, item_cluster = summaries(
        g.edge_dst[edge], taint, taint, item_hop, clusters=s.clusters, categories=None
    )
    ended: dict[str, int | float] = {"held": num(held.sum())}
    ended.update(
        {
            STATUS_NAMES[c]: num(taint[status == c].sum())
            for c in (UNSPENT, 2, 3, 4, 5, ORIGIN)
            if (status == c).any()
        }
    )
    none = np.zeros(0, np.int64)
    value = ex.edge_values(g, edge) if exact else g.edge_value[edge]
    return Trace(
        family="account", model=s.model, direction=s.direction,
        level="address" if s.clusters is None else "cluster", fee_mode=s.fee_mode,
        max_hops=s.max_hops, dust=s.dust, token=s.token, start_taint=start,
        item_ref=edge, item_tx=g.edge_tx[edge].astype(np.int64), item_src=g.edge_src[edge],
        item_addr=g.edge_dst[edge], item_cluster=item_cluster, item_value=value,
        item_taint=taint, item_hop=item_hop.astype(np.int32), item_status=status,
        item_next=np.full(len(edge), -1, np.int64), run_ptr=none, run_off=none, run_len=none,
        tx_id=none, tx_hop=np.zeros(0, np.int32), tx_taint_in=np.zeros(0), tx_fee_taint=np.zeros(0),
        by_address=by_addr, by_cluster=by_cl, by_category=by_cat, ended=ended, exact=exact,
    )  # fmt: skip
