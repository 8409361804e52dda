"""Peel-chain following on a hand-drawn chain."""

from __future__ import annotations

from chainsleuth.analysis import follow_peel, utxo_graph_from_rows


def test_follows_the_large_output_and_lists_the_peels() -> None:
    g = utxo_graph_from_rows(
        [
            {"inputs": [], "outputs": [(0, 100)]},
            {"inputs": [(0, 0)], "outputs": [(1, 5), (2, 94)]},
            {"inputs": [(1, 1)], "outputs": [(3, 80), (4, 13)]},
            {"inputs": [(2, 0)], "outputs": [(5, 40), (6, 40)]},  # equal: lower vout
        ]
    )
    p = follow_peel(g, 0)
    assert p.chain.tolist() == [0, 2, 3, 5]
    assert p.txs.tolist() == [1, 2, 3]
    assert p.to_json()["peeled"] == [
        {"output": 1, "hop": 1},
        {"output": 4, "hop": 2},
        {"output": 6, "hop": 3},
    ]
    assert p.end == "unspent"
    assert follow_peel(g, 0, max_hops=1).end == "hops"
