"""Each change heuristic on a hand-drawn transaction, and how they combine."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from chainsleuth.analysis.change import CHANGE_HEURISTICS, heuristic_names, mark_change
from chainsleuth.analysis.graph import UtxoGraph
from chainsleuth.analysis.graph_build import utxo_graph_from_rows
from chainsleuth.chain.script import ScriptType
from chainsleuth.errors import Invalid

BTC = 100_000_000
W, PKH = ScriptType.P2WPKH, ScriptType.P2PKH


def _graph(rows: list[dict[str, Any]]) -> UtxoGraph:
    return utxo_graph_from_rows(rows, n_addresses=50)


def _change(graph: UtxoGraph, tx: int, heuristic: str) -> int:
    """The change output's vout in ``tx`` by one heuristic (-1: none)."""
    row = int(mark_change(graph, heuristics=[heuristic]).change_out[tx])
    return -1 if row < 0 else row - int(graph.out_start[tx])


FUND = {"inputs": [], "outputs": [(1, 5 * BTC), (2, 3 * BTC), (3, 50 * BTC, W)]}

# tx -> (graph rows, tx to look at, the heuristic, expected change vout)
CASES: dict[str, tuple[list[dict[str, Any]], int, int]] = {
    "address_reuse": (
        [FUND, {"inputs": [(0, 0)], "outputs": [(4, 2 * BTC), (1, 299_990_000)]}],
        1,
        1,
    ),
    "address_type": (
        [FUND, {"inputs": [(0, 2)], "outputs": [(4, 10 * BTC, PKH), (5, 39 * BTC, W)]}],
        1,
        1,
    ),
    "optimal_change": (
        [FUND, {"inputs": [(0, 0), (0, 1)], "outputs": [(4, 6 * BTC), (5, 199_000_000)]}],
        1,
        1,
    ),
    "power_of_ten": (
        [FUND, {"inputs": [(0, 0)], "outputs": [(6, 73_456_789), (4, 150_000_000)]}],
        1,
        0,
    ),
    "fresh_address": (
        [
            FUND,
            {"inputs": [(0, 0)], "outputs": [(7, BTC), (8, 399_990_000)]},
            {"inputs": [(1, 1)], "outputs": [(7, BTC), (9, 299_980_000)]},  # 7: a known shop
        ],
        2,
        1,
    ),
    "fixed_fee": (
        [
            FUND,
            {"inputs": [(0, 0)], "outputs": [(4, BTC), (5, 399_990_000)]},  # fee 10,000
            {"inputs": [(1, 1)], "outputs": [(6, 399_980_000)]},  # fee 10,000: same wallet
            {"inputs": [(1, 0)], "outputs": [(7, 99_997_000)]},  # fee 3,000
        ],
        1,
        1,
    ),
    "locktime": (
        [
            FUND,
            {"inputs": [(0, 0)], "outputs": [(4, BTC), (5, 399_990_000)], "locktime": 500},
            {"inputs": [(1, 0)], "outputs": [(6, 99_990_000)], "locktime": 0},
            {"inputs": [(1, 1)], "outputs": [(7, 399_980_000)], "locktime": 501},
        ],
        1,
        1,
    ),
    "peel_chain": (
        [
            FUND,
            {"inputs": [(0, 2)], "outputs": [(4, 49 * BTC), (5, 99_990_000)]},
            {"inputs": [(1, 0)], "outputs": [(6, 47 * BTC), (7, 199_990_000)]},  # peels on
            {"inputs": [(1, 1), (0, 1)], "outputs": [(8, 399_980_000)]},
        ],
        1,
        0,
    ),
}


@pytest.mark.parametrize("heuristic", sorted(CASES))
def test_each_heuristic_finds_its_change(heuristic: str) -> None:
    rows, tx, vout = CASES[heuristic]
    graph = _graph(rows)
    assert _change(graph, tx, heuristic) == vout
    marks = mark_change(graph, heuristics=[heuristic])
    assert marks.voters(tx) == [heuristic]
    assert marks.change_out[0] == -1  # coinbase: never change


def test_every_heuristic_has_a_case() -> None:
    assert sorted(CASES) == sorted(CHANGE_HEURISTICS)


def test_ambiguous_candidates_abstain() -> None:
    # both outputs are smaller than the only input: optimal change cannot choose
    graph = _graph([FUND, {"inputs": [(0, 0)], "outputs": [(4, BTC), (5, 399_990_000)]}])
    assert _change(graph, 1, "optimal_change") == -1


def test_agreeing_votes_combine_and_conflicts_cancel() -> None:
    agree = _graph(
        [FUND, {"inputs": [(0, 0), (0, 1)], "outputs": [(4, 6 * BTC), (1, 199_012_345)]}]
    )
    marks = mark_change(agree, heuristics=["address_reuse", "optimal_change", "power_of_ten"])
    assert marks.change_out[1] == agree.out_start[1] + 1
    assert heuristic_names(int(marks.votes[1])) == marks.voters(1)
    assert marks.voters(1) == ["address_reuse", "optimal_change", "power_of_ten"]
    assert mark_change(agree, heuristics=["address_reuse"], min_votes=2).change_out[1] == -1
    # address reuse says vout 0, optimal change says vout 1: no verdict
    clash = _graph(
        [FUND, {"inputs": [(0, 0), (0, 1)], "outputs": [(1, 6 * BTC), (5, 199_000_000)]}]
    )
    marks = mark_change(clash, heuristics=["address_reuse", "optimal_change"])
    assert (marks.change_out[1], marks.votes[1]) == (-1, 0)


def test_skip_and_single_output_transactions() -> None:
    rows, tx, _ = CASES["address_reuse"]
    graph = _graph(rows)
    skip = np.zeros(graph.n_txs, np.bool_)
    skip[tx] = True
    assert mark_change(graph, skip=skip).change_out[tx] == -1
    sweep = _graph([FUND, {"inputs": [(0, 0)], "outputs": [(1, 499_990_000)]}])
    assert mark_change(sweep).change_out[1] == -1


def test_unknown_heuristic_is_invalid() -> None:
    with pytest.raises(Invalid, match="unknown change heuristic nope"):
        mark_change(_graph([FUND]), heuristics=["nope"])
