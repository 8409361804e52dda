"""CoinJoin detection from transaction shape: which co-spends are *not* one owner.

A CoinJoin joins inputs of several people in one transaction, which breaks the
multi-input heuristic; clustering skips the transactions flagged here. Each detector
reads only the arrays of :class:`UtxoGraph` (counts, values, script types), vectorised
over all transactions. Equal outputs are counted per *distinct address*, so a payment
split into equal parts to one address does not look like a mix (graphsense-lib #76).

Sources
-------
- Whirlpool: Samourai, "Introducing Whirlpool Surge Cycles" (blog.samourai.is, 2023):
  5 inputs x 5 outputs, 6-8 since Surge Cycles (planb.academy Whirlpool course); pools of
  0.001, 0.01, 0.05 and 0.5 BTC (econoalchemist.github.io/Whirlpool); premix outputs are
  the denomination plus a miner-fee share (Samourai-Wallet/whirlpool-server README);
  Tx0 carries an OP_RETURN, the coordinator fee output, up to 70 premix outputs and change
  (graphsense/graphsense-lib pull 76).
- Wasabi 1.x (ZeroLink): equal outputs of ~0.1 BTC (within 5 %), in 1.1 also 2^i x 0.1
  BTC levels, one change output per participant plus the coordinator fee
  (graphsense-lib pull 76); bech32 P2WPKH outputs only.
- Wasabi 2.0 (WabiSabi): large rounds (>= 50 inputs) whose outputs are "standard
  denominations": 1, 2, 5 x 10^n, 2^n, 3^n and 2 x 3^n sat from 5,000 sat up
  (bitcoin-dev, "Client side coinjoin amount organization with WabiSabi", April 2022);
  segwit v0 / taproot outputs only.
- JoinMarket: n >= 2 equal outputs, n - 1 or n change outputs, at least n inputs
  (BlockSci ``is_coinjoin``; crocs-muni/coinjoin-analysis wiki, "JoinMarket analysis").
- Generic: at least k equal outputs to distinct addresses and at least k inputs. Batch
  payouts of round amounts match it too (block 300,025 of 2014 has five): a false
  positive only keeps a co-spend apart, the safe side for clustering.

Whirlpool Tx0 is *labelled* but is not a mix: its inputs all belong to the one user
entering the pool, so :func:`mixing` leaves it out and the co-spend still clusters.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

import numpy as np

from chainsleuth.analysis.graph import I64, NO_ID, U8, B, UtxoGraph
from chainsleuth.chain.script import ScriptType

BTC = 100_000_000
WHIRLPOOL_POOLS = np.array([BTC // 1000, BTC // 100, BTC // 20, BTC // 2], np.int64)
TX0_MAX_PREMIX = 70


class CoinJoinKind(IntEnum):
    """The detector that claimed a transaction (first match in this order)."""

    NONE = 0
    WHIRLPOOL_TX0 = 1
    WHIRLPOOL = 2
    WASABI1 = 3
    WASABI2 = 4
    JOINMARKET = 5
    GENERIC = 6


@dataclass(frozen=True)
class CoinJoinRules:
    """Which detectors run and their thresholds."""

    kinds: frozenset[CoinJoinKind] = field(
        default_factory=lambda: frozenset(CoinJoinKind) - {CoinJoinKind.NONE}
    )
    generic_min_equal: int = 3
    joinmarket_min_parties: int = 2
    wasabi1_min_equal: int = 10
    wasabi2_min_inputs: int = 50

    def to_json(self) -> dict[str, Any]:
        return {
            "kinds": sorted(k.name.lower() for k in self.kinds),
            "generic_min_equal": self.generic_min_equal,
            "joinmarket_min_parties": self.joinmarket_min_parties,
            "wasabi1_min_equal": self.wasabi1_min_equal,
            "wasabi2_min_inputs": self.wasabi2_min_inputs,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CoinJoinRules:
        kinds = frozenset(CoinJoinKind[str(k).upper()] for k in data["kinds"])
        return cls(kinds=kinds, **{k: int(v) for k, v in data.items() if k != "kinds"})


def _standard_denominations() -> I64:
    """WabiSabi's standard output amounts from 5,000 sat to 2^44 sat."""
    top = 2**44
    series = [2**i for i in range(45)] + [3**i for i in range(28)] + [2 * 3**i for i in range(28)]
    series += [m * 10**i for i in range(14) for m in (1, 2, 5)]
    return np.unique(np.array([v for v in series if 5_000 <= v <= top], np.int64))


WASABI2_DENOMINATIONS = _standard_denominations()


@dataclass(frozen=True, eq=False)
class _Shape:
    """Per-transaction counts the detectors read."""

    n_in: I64
    n_out: I64  # outputs that carry value to an address (no OP_RETURN)
    n_nulldata: I64
    top_count: I64  # distinct addresses paid the most common output value
    top_value: I64
    min_in: I64  # smallest resolved input value (int64 max when none)
    n_segwit: I64  # P2WPKH / P2TR outputs
    n_standard: I64  # outputs at a WabiSabi standard denomination
    n_types: I64  # distinct output script types


def _per_tx(tx: I64, n: int, weights: B | None = None) -> I64:
    return np.bincount(tx, weights=weights, minlength=n).astype(np.int64)


def _top_equal(graph: UtxoGraph, out_tx: I64, paying: B) -> tuple[I64, I64]:
    """Per tx: how many distinct addresses got the most common value, and that value."""
    n = graph.n_txs
    tx, value, addr = out_tx[paying], graph.out_value[paying], graph.out_addr[paying]
    order = np.lexsort((addr, value, tx))
    tx, value, addr = tx[order], value[order], addr[order]
    new_addr = np.ones(len(tx), np.bool_)
    new_addr[1:] = (tx[1:] != tx[:-1]) | (value[1:] != value[:-1]) | (addr[1:] != addr[:-1])
    tx, value = tx[new_addr], value[new_addr]
    starts = np.flatnonzero(np.r_[True, (tx[1:] != tx[:-1]) | (value[1:] != value[:-1])])
    counts = np.diff(np.r_[starts, len(tx)])
    run_tx, run_value = tx[starts], value[starts]
    # last run per tx after sorting by (tx, count, value): most addresses, then largest value
    best = np.lexsort((run_value, counts, run_tx))
    last = np.r_[run_tx[best][1:] != run_tx[best][:-1], True]
    top_count = np.zeros(n, np.int64)
    top_value = np.zeros(n, np.int64)
    top_count[run_tx[best][last]] = counts[best][last]
    top_value[run_tx[best][last]] = run_value[best][last]
    return top_count, top_value


def _shape(graph: UtxoGraph) -> _Shape:
    n = graph.n_txs
    out_tx = graph.out_tx()
    nulldata = graph.out_type == ScriptType.NULLDATA
    paying = ~nulldata & (graph.out_addr != NO_ID)
    top_count, top_value = _top_equal(graph, out_tx, paying)
    in_tx = graph.in_tx()
    in_value = np.where(graph.in_value >= 0, graph.in_value, np.iinfo(np.int64).max)
    min_in = np.full(n, np.iinfo(np.int64).max, np.int64)
    np.minimum.at(min_in, in_tx, in_value)
    segwit = np.isin(graph.out_type, [ScriptType.P2WPKH, ScriptType.P2TR]) & paying
    standard = np.isin(graph.out_value, WASABI2_DENOMINATIONS) & paying
    type_pairs = np.unique(out_tx[paying] * 256 + graph.out_type[paying])
    return _Shape(
        n_in=np.diff(graph.in_start),
        n_out=_per_tx(out_tx, n, paying),
        n_nulldata=_per_tx(out_tx, n, nulldata),
        top_count=top_count,
        top_value=top_value,
        min_in=min_in,
        n_segwit=_per_tx(out_tx, n, segwit),
        n_standard=_per_tx(out_tx, n, standard),
        n_types=_per_tx(type_pairs // 256, n),
    )


def _whirlpool(s: _Shape) -> B:
    """5-8 inputs, as many outputs, all of one pool denomination to distinct P2WPKH."""
    size_ok = (s.n_in >= 5) & (s.n_in <= 8) & (s.n_out == s.n_in) & (s.top_count == s.n_out)
    pool = np.isin(s.top_value, WHIRLPOOL_POOLS)
    return np.asarray(
        size_ok & pool & (s.n_segwit == s.n_out) & (s.min_in >= s.top_value), np.bool_
    )


def _whirlpool_tx0(s: _Shape) -> B:
    """OP_RETURN + premix outputs just above a pool denomination + fee and change."""
    above = np.zeros(len(s.top_value), np.bool_)
    for pool in WHIRLPOOL_POOLS:
        above |= (s.top_value > pool) & (s.top_value <= pool + pool // 10)
    premix = (s.top_count >= 1) & (s.top_count <= TX0_MAX_PREMIX)
    return (s.n_nulldata >= 1) & above & premix & (s.n_out <= s.top_count + 2)


def _wasabi1(s: _Shape, rules: CoinJoinRules) -> B:
    """Many equal ~0.1 BTC (or 2^i x 0.1 BTC) outputs, change, coordinator fee."""
    level = np.zeros(len(s.top_value), np.bool_)
    for i in range(8):
        base = (BTC // 10) << i
        level |= np.abs(s.top_value - base) <= base // 20
    enough = (s.top_count >= rules.wasabi1_min_equal) & (s.n_in >= s.top_count)
    bech32 = s.n_segwit == s.n_out  # Wasabi 1.x wallets are P2WPKH-only
    return np.asarray(level & enough & bech32 & (s.n_out <= 2 * s.top_count + 2), np.bool_)


def _wasabi2(s: _Shape, rules: CoinJoinRules) -> B:
    """Large rounds of standard denominations, segwit v0 / taproot outputs only."""
    big = (s.n_in >= rules.wasabi2_min_inputs) & (s.top_count >= 2)
    return np.asarray(big & (s.n_segwit == s.n_out) & (2 * s.n_standard > s.n_out), np.bool_)


def _joinmarket(s: _Shape, rules: CoinJoinRules) -> B:
    """n equal outputs, n - 1 or n change outputs, at least n inputs, no OP_RETURN."""
    n = s.top_count
    outs = (s.n_out >= 2 * n - 1) & (s.n_out <= 2 * n)
    return np.asarray(
        (n >= rules.joinmarket_min_parties) & outs & (s.n_in >= n) & (s.n_nulldata == 0), np.bool_
    )


def _generic(s: _Shape, rules: CoinJoinRules) -> B:
    """At least k equal outputs to distinct addresses and at least k inputs."""
    k = rules.generic_min_equal
    return (s.top_count >= k) & (s.n_in >= k)


def detect_coinjoins(graph: UtxoGraph, *, rules: CoinJoinRules | None = None) -> U8:
    """The :class:`CoinJoinKind` of every transaction (``NONE`` for ordinary ones).

    Parameters
    ----------
    graph
        The chain's arrays.
    rules
        Which detectors run, and their thresholds; default: all of them.

    Returns
    -------
    uint8 per transaction; the first detector in :class:`CoinJoinKind` order that
    matches wins. Coinbase transactions are never CoinJoins.
    """
    rules = rules or CoinJoinRules()
    s = _shape(graph)
    detectors: dict[CoinJoinKind, Callable[[], B]] = {
        CoinJoinKind.WHIRLPOOL_TX0: lambda: _whirlpool_tx0(s),
        CoinJoinKind.WHIRLPOOL: lambda: _whirlpool(s),
        CoinJoinKind.WASABI1: lambda: _wasabi1(s, rules),
        CoinJoinKind.WASABI2: lambda: _wasabi2(s, rules),
        CoinJoinKind.JOINMARKET: lambda: _joinmarket(s, rules),
        CoinJoinKind.GENERIC: lambda: _generic(s, rules),
    }
    kinds = np.zeros(graph.n_txs, np.uint8)
    for kind, detect in detectors.items():
        if kind in rules.kinds:
            kinds[(kinds == 0) & detect() & ~graph.tx_coinbase] = kind
    return kinds


def mixing(kinds: U8) -> B:
    """Transactions whose inputs belong to several people: every kind but NONE and Tx0."""
    return np.asarray(
        (kinds != CoinJoinKind.NONE) & (kinds != CoinJoinKind.WHIRLPOOL_TX0), np.bool_
    )
