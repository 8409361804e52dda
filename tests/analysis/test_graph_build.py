"""The hand-drawn graph builders lay out arrays the way the store does."""

from __future__ import annotations

import numpy as np
import pytest

from chainsleuth.analysis.graph import NO_ID
from chainsleuth.analysis.graph_build import account_graph_from_rows, utxo_graph_from_rows
from chainsleuth.errors import Invalid


def test_utxo_rows_to_arrays() -> None:
    g = utxo_graph_from_rows(
        [
            {"inputs": [], "outputs": [(0, 50)]},  # coinbase to address 0
            {"inputs": [(0, 0)], "outputs": [(1, 30), (2, 19)]},  # fee 1
            {"inputs": [(1, 0), (1, 1)], "outputs": [(3, 49)]},
        ]
    )
    assert (g.n_txs, g.n_outputs, g.n_inputs, g.n_addresses) == (3, 4, 3, 4)
    assert g.in_prev_out.tolist() == [0, 1, 2]
    assert g.in_value.tolist() == [50, 30, 19]
    assert g.out_spent_tx.tolist() == [1, 2, 2, NO_ID]
    assert g.tx_fee.tolist() == [0, 1, 0]
    assert g.in_tx().tolist() == [1, 2, 2]
    assert g.out_tx().tolist() == [0, 1, 1, 2]
    assert g.addr_outputs.row(2).tolist() == [2]
    assert g.addr_inputs.row(1).tolist() == [1]


def test_utxo_rows_reject_double_spends_and_forward_references() -> None:
    with pytest.raises(Invalid, match="spent twice"):
        utxo_graph_from_rows(
            [{"inputs": [], "outputs": [(0, 5)]}, {"inputs": [(0, 0), (0, 0)], "outputs": []}]
        )
    with pytest.raises(Invalid, match="not an earlier output"):
        utxo_graph_from_rows([{"inputs": [(0, 0)], "outputs": [(0, 5)]}])


def test_account_rows_keep_exact_limbs() -> None:
    big = 3 * 2**64 + 7
    g = account_graph_from_rows(
        [{"src": 0, "dst": 1, "value": big}, {"src": 1, "dst": 2, "value": 5, "token": 9}]
    )
    assert (g.n_edges, g.n_addresses) == (2, 3)
    assert (int(g.edge_value_hi[0]), int(g.edge_value_lo[0])) == (3, 7)
    assert g.edge_token.tolist() == [NO_ID, 9]
    assert g.addr_out.row(1).tolist() == [1]
    assert np.array_equal(g.addr_in.row(1), [0])


def test_account_rows_with_a_reward_have_no_sender_edge() -> None:
    g = account_graph_from_rows(
        [{"src": NO_ID, "dst": 0, "value": 2, "kind": 3}, {"src": 0, "dst": 1, "value": 1}]
    )
    assert g.n_addresses == 2
    assert g.addr_out.row(0).tolist() == [1]
    assert g.addr_in.row(0).tolist() == [0]
    assert g.addr_in.row(1).tolist() == [1]
