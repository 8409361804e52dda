"""CoinJoin detectors on hand-drawn transactions shaped like the real protocols."""

from __future__ import annotations

from typing import Any

import numpy as np

from chainsleuth.analysis.cluster import cluster_addresses
from chainsleuth.analysis.coinjoin import CoinJoinKind, CoinJoinRules, detect_coinjoins, mixing
from chainsleuth.analysis.graph import NO_ID, UtxoGraph
from chainsleuth.analysis.graph_build import utxo_graph_from_rows
from chainsleuth.chain.script import ScriptType

W, TR, PKH = ScriptType.P2WPKH, ScriptType.P2TR, ScriptType.P2PKH
OP_RETURN = (int(NO_ID), 0, ScriptType.NULLDATA)
N_ADDR = 1000


def _one(spent: list[tuple[int, int, ScriptType]], outputs: list[Any]) -> UtxoGraph:
    """A coinbase funding ``spent`` (addr, value, type), then one tx spending all of it."""
    fund = {"inputs": [], "outputs": spent}
    tx = {"inputs": [(0, i) for i in range(len(spent))], "outputs": outputs}
    return utxo_graph_from_rows([fund, tx], n_addresses=N_ADDR)


def _kind(graph: UtxoGraph, rules: CoinJoinRules | None = None) -> CoinJoinKind:
    kinds = detect_coinjoins(graph, rules=rules)
    assert kinds[0] == CoinJoinKind.NONE  # the coinbase
    return CoinJoinKind(int(kinds[1]))


def whirlpool_mix() -> UtxoGraph:
    """0.01 BTC pool: 2 premixers (denomination + miner fee share), 3 free remixers."""
    spent = [(0, 1_000_170, W), (1, 1_000_230, W)] + [(a, 1_000_000, W) for a in (2, 3, 4)]
    return _one(spent, [(a, 1_000_000, W) for a in range(5, 10)])


def test_whirlpool_5x5_at_001_btc() -> None:
    assert _kind(whirlpool_mix()) == CoinJoinKind.WHIRLPOOL


def test_whirlpool_needs_a_pool_denomination_and_distinct_addresses() -> None:
    spent = [(a, 2_000_000, W) for a in range(5)]
    assert _kind(_one(spent, [(a, 1_500_000, W) for a in range(5, 10)])) != CoinJoinKind.WHIRLPOOL
    same = _one(spent, [(5, 1_000_000, W)] * 5)
    assert _kind(same) == CoinJoinKind.NONE


def whirlpool_tx0() -> UtxoGraph:
    """Two deposit coins of one user -> OP_RETURN, pool fee, 4 premix, toxic change."""
    spent = [(10, 3_000_000, W), (17, 2_000_000, W)]
    premix = [(a, 1_000_300, W) for a in (12, 13, 14, 15)]
    outs = [OP_RETURN, (11, 50_000, W), *premix, (16, 947_800, W)]
    return _one(spent, outs)


def test_whirlpool_tx0_is_labelled_but_not_a_mix() -> None:
    graph = whirlpool_tx0()
    kinds = detect_coinjoins(graph)
    assert kinds[1] == CoinJoinKind.WHIRLPOOL_TX0
    assert not mixing(kinds)[1]
    clusters = cluster_addresses(graph)
    assert clusters.cluster[17] == 10  # the co-spend of a Tx0 is one user


def test_wasabi1_equal_tenth_of_a_bitcoin_outputs() -> None:
    spent = [(a, 13_000_000 + a * 1000, W) for a in range(12)]
    mixed = [(a, 9_987_000, W) for a in range(100, 112)]
    change = [(a, 2_900_000 + a, W) for a in range(200, 211)]
    graph = _one(spent, [*mixed, *change, (300, 120_000, W)])
    assert _kind(graph) == CoinJoinKind.WASABI1


def test_wasabi2_standard_denominations() -> None:
    spent = [(a, 700_000 + 37 * a, W if a % 2 else TR) for a in range(50)]
    denoms = [1_048_576, 1_000_000, 531_441, 200_000, 262_144, 100_000]
    outs = [(100 + i, denoms[i % len(denoms)], W if i % 3 else TR) for i in range(30)]
    outs.append((400, 123_457, W))  # one leftover change
    graph = _one(spent, outs)
    assert _kind(graph) == CoinJoinKind.WASABI2
    assert _kind(graph, CoinJoinRules(wasabi2_min_inputs=60)) == CoinJoinKind.GENERIC


def test_joinmarket_three_parties() -> None:
    # taker with two coins, two makers; 3 equal outputs, 2 maker change outputs
    spent = [(20, 3_000_000, PKH), (21, 2_500_000, PKH), (22, 8_000_000, W), (23, 6_100_000, W)]
    outs = [(30, 5_123_456, W), (31, 5_123_456, W), (32, 5_123_456, W)]
    outs += [(33, 2_877_000, W), (34, 975_000, W)]
    assert _kind(_one(spent, outs)) == CoinJoinKind.JOINMARKET
    only = CoinJoinRules(kinds=frozenset({CoinJoinKind.WHIRLPOOL}))
    assert _kind(_one(spent, outs), only) == CoinJoinKind.NONE


def test_generic_equal_outputs() -> None:
    spent = [(a, 4_000_000, PKH) for a in range(3)]
    outs = [(a, 1_000_000, PKH) for a in (10, 11, 12)] + [
        (a, 111_111 * a, PKH) for a in range(13, 18)
    ]
    assert _kind(_one(spent, outs)) == CoinJoinKind.GENERIC
    strict = CoinJoinRules(generic_min_equal=4)
    assert _kind(_one(spent, outs), strict) == CoinJoinKind.NONE


def test_ordinary_payments_are_not_coinjoins() -> None:
    assert _kind(_one([(1, 5_000_000, PKH)], [(2, 1_000_000, PKH), (3, 3_990_000, PKH)])) == 0
    consolidation = _one([(a, 100_000, PKH) for a in range(20)], [(50, 1_990_000, PKH)])
    assert _kind(consolidation) == CoinJoinKind.NONE


def test_clustering_skips_mixes() -> None:
    clusters = cluster_addresses(whirlpool_mix())
    assert np.array_equal(clusters.cluster[:10], np.arange(10))
    off = cluster_addresses(whirlpool_mix(), coinjoin=CoinJoinRules(kinds=frozenset()))
    assert set(off.cluster[:5].tolist()) == {0}
