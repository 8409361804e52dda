"""Change-output heuristics: which output of a payment went back to the payer.

Each heuristic marks *candidate* outputs; it votes in a transaction only when it marks
exactly one output there (BlockSci's ``unique_change``). :func:`mark_change` combines
the chosen heuristics: an output is the change when at least ``min_votes`` heuristics
vote for it and none votes for another output. Transactions with fewer than two value
outputs, coinbases and skipped ones (CoinJoins) get no change.

The rules (BlockSci docs, "Change Address Heuristics", citp.github.io/BlockSci; the
original papers are named per rule):

- ``address_reuse``: an output paying one of the inputs' addresses is change
  (Androulaki et al. 2013, "Evaluating user privacy in Bitcoin").
- ``address_type``: all inputs share one address type; the one output of that type is
  change (BlockSci; P2PK counts as P2PKH, as the address is the same).
- ``optimal_change``: an output smaller than every input is change, else the wallet
  would not have needed that input (Nick 2015; BlockSci).
- ``power_of_ten``: payments are round; the one output not a multiple of 10^6 sat is
  change (BlockSci ``power_of_ten_value``).
- ``fresh_address``: clients send change to a new address; the one output whose address
  is seen here for the first time is change (Meiklejohn et al. 2013, "A fistful of
  bitcoins"; BlockSci ``client_change_address_behavior``).
- ``fixed_fee``: a wallet paying a fixed fee spends its change with the same fee; the one
  output spent by a transaction with this transaction's fee is change (Ermilov et al.
  2017, "Automatic Bitcoin address clustering"; BlockSci).
- ``locktime``: wallets set locktime alike every time (Bitcoin Core: the tip height, for
  anti fee sniping); when all outputs are spent, the one spent by a transaction with this
  one's locktime behaviour (zero / non-zero) is change (BlockSci ``locktime``).
- ``peel_chain``: in a peel chain each 1-input, 2-output transaction pays a small amount
  and passes the rest on; the output spent by another such transaction is change
  (Kappos et al. 2022, "How to peel a million"; BlockSci ``peeling_chain``).

The last three look *forward* (at the spending transactions): their verdict on an old
transaction can change when new blocks arrive, so incremental clustering refuses them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from chainsleuth.analysis.graph import I64, NO_ID, B, UtxoGraph
from chainsleuth.chain.script import ScriptType
from chainsleuth.errors import Invalid

CHANGE_HEURISTICS = (
    "address_reuse",
    "address_type",
    "fixed_fee",
    "fresh_address",
    "locktime",
    "optimal_change",
    "peel_chain",
    "power_of_ten",
)
FORWARD_HEURISTICS = frozenset({"fixed_fee", "locktime", "peel_chain"})
ROUND = 10**6
U16 = npt.NDArray[np.uint16]


@dataclass(frozen=True, eq=False)
class ChangeMarks:
    """Per transaction: the change output row (-1: none) and the heuristics that voted.

    ``votes`` bit ``i`` stands for ``CHANGE_HEURISTICS[i]``.
    """

    change_out: I64
    votes: U16

    def voters(self, tx: int) -> list[str]:
        """Names of the heuristics that chose the change of ``tx``."""
        return heuristic_names(int(self.votes[tx]))


def heuristic_names(bits: int) -> list[str]:
    """The heuristic names in a vote bit mask."""
    return [name for i, name in enumerate(CHANGE_HEURISTICS) if bits >> i & 1]


def check_heuristics(names: Iterable[str]) -> tuple[str, ...]:
    """``names`` sorted and deduplicated; :class:`Invalid` for an unknown one."""
    unknown = sorted(set(names) - set(CHANGE_HEURISTICS))
    if unknown:
        raise Invalid(
            f"unknown change heuristic {', '.join(unknown)}; known: {', '.join(CHANGE_HEURISTICS)}"
        )
    return tuple(sorted(set(names)))


@dataclass(frozen=True, eq=False)
class _Ctx:
    """Arrays several heuristics share, computed once."""

    out_tx: I64
    in_tx: I64
    value_out: B  # outputs that pay an address (no OP_RETURN, known address)
    spent_by: I64  # spending tx per output, -1 unspent


def _ctx(graph: UtxoGraph) -> _Ctx:
    spent = graph.out_spent_tx
    return _Ctx(
        out_tx=graph.out_tx(),
        in_tx=graph.in_tx(),
        value_out=(graph.out_type != ScriptType.NULLDATA) & (graph.out_addr != NO_ID),
        spent_by=np.where(spent == NO_ID, -1, spent.astype(np.int64)),
    )


def _all_inputs(graph: UtxoGraph, c: _Ctx, ok: B) -> B:
    """Per tx: every input satisfies ``ok`` (and there is at least one input)."""
    bad = np.bincount(c.in_tx[~ok], minlength=graph.n_txs) > 0
    return ~bad & (np.diff(graph.in_start) > 0)


def _folded_type(types: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    return np.where(types == ScriptType.P2PK, np.uint8(ScriptType.P2PKH), types)


def _address_reuse(graph: UtxoGraph, c: _Ctx) -> B:
    in_keys = c.in_tx[graph.in_addr != NO_ID] << 32 | graph.in_addr[graph.in_addr != NO_ID]
    out_keys = c.out_tx << 32 | graph.out_addr.astype(np.int64)
    return np.isin(out_keys, in_keys)


def _address_type(graph: UtxoGraph, c: _Ctx) -> B:
    resolved = graph.in_prev_out >= 0
    in_type = np.zeros(graph.n_inputs, np.int64)
    in_type[resolved] = _folded_type(graph.out_type[graph.in_prev_out[resolved]])
    lo = np.full(graph.n_txs, 255, np.int64)
    hi = np.full(graph.n_txs, -1, np.int64)
    np.minimum.at(lo, c.in_tx, in_type)
    np.maximum.at(hi, c.in_tx, in_type)
    one_type = _all_inputs(graph, c, resolved) & (lo == hi)
    return np.asarray(one_type[c.out_tx] & (_folded_type(graph.out_type) == lo[c.out_tx]), np.bool_)


def _optimal_change(graph: UtxoGraph, c: _Ctx) -> B:
    known = graph.in_value >= 0
    smallest = np.full(graph.n_txs, np.iinfo(np.int64).max, np.int64)
    np.minimum.at(smallest, c.in_tx, graph.in_value)
    usable = _all_inputs(graph, c, known)
    return usable[c.out_tx] & (graph.out_value < smallest[c.out_tx])


def _power_of_ten(graph: UtxoGraph, c: _Ctx) -> B:
    return np.asarray(graph.out_value % ROUND != 0, np.bool_)


def _fresh_address(graph: UtxoGraph, c: _Ctx) -> B:
    rows = np.flatnonzero(c.value_out)
    _, first = np.unique(graph.out_addr[rows], return_index=True)
    fresh = np.zeros(graph.n_outputs, np.bool_)
    fresh[rows[first]] = True
    return fresh


def _fixed_fee(graph: UtxoGraph, c: _Ctx) -> B:
    s = c.spent_by
    fee = graph.tx_fee
    spender_fee = np.where(s >= 0, fee[np.maximum(s, 0)], -2)
    return np.asarray((s >= 0) & (fee[c.out_tx] >= 0) & (spender_fee == fee[c.out_tx]), np.bool_)


def _locktime(graph: UtxoGraph, c: _Ctx) -> B:
    s = c.spent_by
    locked = graph.tx_locktime > 0
    unspent = np.bincount(c.out_tx[c.value_out & (s < 0)], minlength=graph.n_txs) > 0
    same = locked[np.maximum(s, 0)] == locked[c.out_tx]
    return np.asarray((s >= 0) & same & ~unspent[c.out_tx], np.bool_)


def _peel_chain(graph: UtxoGraph, c: _Ctx) -> B:
    n_out = np.bincount(c.out_tx[c.value_out], minlength=graph.n_txs)
    peel = (np.diff(graph.in_start) == 1) & (n_out == 2)
    s = c.spent_by
    return np.asarray(peel[c.out_tx] & (s >= 0) & peel[np.maximum(s, 0)], np.bool_)


_RULES: dict[str, Callable[[UtxoGraph, _Ctx], B]] = {
    "address_reuse": _address_reuse,
    "address_type": _address_type,
    "fixed_fee": _fixed_fee,
    "fresh_address": _fresh_address,
    "locktime": _locktime,
    "optimal_change": _optimal_change,
    "peel_chain": _peel_chain,
    "power_of_ten": _power_of_ten,
}


def _unique_vote(graph: UtxoGraph, c: _Ctx, candidate: B, eligible: B) -> I64:
    """Per tx: the single candidate output row, or -1 when none or several."""
    cand = candidate & c.value_out & eligible[c.out_tx]
    count = np.bincount(c.out_tx[cand], minlength=graph.n_txs)
    vote = np.full(graph.n_txs, -1, np.int64)
    rows = np.flatnonzero(cand)
    single = count[c.out_tx[rows]] == 1
    vote[c.out_tx[rows[single]]] = rows[single]
    return vote


def mark_change(
    graph: UtxoGraph,
    *,
    heuristics: Iterable[str] = CHANGE_HEURISTICS,
    skip: B | None = None,
    min_votes: int = 1,
) -> ChangeMarks:
    """Mark the change output of every transaction the chosen heuristics agree on.

    Parameters
    ----------
    graph
        The chain's arrays.
    heuristics
        Names from :data:`CHANGE_HEURISTICS` (all by default).
    skip
        Transactions to leave unmarked (e.g. CoinJoins from :func:`detect_coinjoins`).
    min_votes
        How many heuristics must vote for the output.

    Returns
    -------
    :class:`ChangeMarks`: per tx the output row and the vote bit mask; a tx where two
    heuristics vote for different outputs gets -1 and no votes.
    """
    names = check_heuristics(heuristics)
    c = _ctx(graph)
    n_value_out = np.bincount(c.out_tx[c.value_out], minlength=graph.n_txs)
    eligible = ~graph.tx_coinbase & (n_value_out >= 2)
    if skip is not None:
        eligible &= ~skip
    chosen = np.full(graph.n_txs, -1, np.int64)
    votes = np.zeros(graph.n_txs, np.uint16)
    conflict = np.zeros(graph.n_txs, np.bool_)
    for name in names:
        vote = _unique_vote(graph, c, _RULES[name](graph, c), eligible)
        has = vote >= 0
        chosen[has & (chosen < 0)] = vote[has & (chosen < 0)]
        conflict |= has & (chosen != vote)
        votes[has & (chosen == vote)] |= np.uint16(1 << CHANGE_HEURISTICS.index(name))
    n_votes = np.bitwise_count(votes)
    reject = conflict | (n_votes < min_votes)
    chosen[reject] = -1
    votes[reject] = 0
    return ChangeMarks(chosen, votes)
