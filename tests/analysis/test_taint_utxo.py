"""UTXO taint models on hand-drawn graphs (TRACING.md)."""

from __future__ import annotations

import numpy as np
import pytest

from chainsleuth.analysis import Start, Trace, trace, utxo_graph_from_rows
from chainsleuth.analysis.graph import UtxoGraph


def _split_graph(fee: int = 0) -> UtxoGraph:
    """addr0 30 clean + addr1 15 stolen -> one 45 coin (clean 30, tainted 15) -> 20 + 25."""
    return utxo_graph_from_rows(
        [
            {"inputs": [], "outputs": [(0, 30)]},
            {"inputs": [], "outputs": [(1, 15)]},
            {"inputs": [(0, 0), (1, 0)], "outputs": [(2, 45)]},
            {"inputs": [(2, 0)], "outputs": [(3, 20 - fee), (4, 25)]},
        ]
    )


def _taint(tr: Trace) -> dict[int, int]:
    return {int(r): int(t) for r, t in zip(tr.item_ref, tr.item_taint, strict=True)}


def _runs(tr: Trace, row: int) -> list[tuple[int, int]]:
    i = int(np.flatnonzero(tr.item_ref == row)[0])
    a, b = tr.run_ptr[i], tr.run_ptr[i + 1]
    return list(zip(tr.run_off[a:b].tolist(), tr.run_len[a:b].tolist(), strict=True))


def _conserved(g: UtxoGraph, tr: Trace) -> None:
    """Every traced tx: taint in = taint of its outputs + tainted fee; whole trace too."""
    out_tx = tr.item_tx
    for t, t_in, fee in zip(tr.tx_id, tr.tx_taint_in, tr.tx_fee_taint, strict=True):
        assert t_in == tr.item_taint[(out_tx == t) & (tr.item_hop > 0)].sum() + fee
    resting = tr.item_taint[tr.status_names() != np.array("followed")].sum()
    assert tr.start_taint == resting + sum(tr.tx_fee_taint) + tr.ended.get("overlap", 0)


def test_fifo_keeps_runs_inside_coins() -> None:
    g = _split_graph()
    tr = trace(g, start=Start.output(1), model="fifo")
    assert _runs(tr, 2) == [(30, 15)]
    assert _taint(tr) == {1: 15, 2: 15, 4: 15}  # 20 + 25 split: 0 and 15
    assert _runs(tr, 4) == [(10, 15)]
    _conserved(g, tr)


def test_lifo_reverses_the_line_and_inside_coins() -> None:
    g = _split_graph()
    tr = trace(g, start=Start.output(1), model="lifo")
    assert _runs(tr, 2) == [(0, 15)]  # reversed line: last input's units first
    assert _taint(tr) == {1: 15, 2: 15, 4: 15}  # spent again: reversed back
    assert _runs(tr, 4) == [(10, 15)]
    tr = trace(g, start=Start.output(0, amount=10), model="lifo")
    # coin 0's first 10 units; reversed line puts coin 1 then coin 0 backwards: [15+20, 15+30)
    assert _runs(tr, 2) == [(35, 10)]
    assert _taint(tr) == {0: 10, 2: 10, 3: 10}
    _conserved(g, tr)


def test_haircut_splits_pro_rata_in_whole_units() -> None:
    g = utxo_graph_from_rows(
        [
            {"inputs": [], "outputs": [(0, 60)]},
            {"inputs": [], "outputs": [(1, 40)]},
            {"inputs": [(0, 0), (1, 0)], "outputs": [(2, 33), (3, 33), (4, 24)]},  # fee 10
        ]
    )
    tr = trace(g, start=Start.output(1), model="haircut")
    # 40 * (33, 33, 24, fee 10) / 100 = 13.2, 13.2, 9.6, 4: largest remainder gives 9.6 the unit
    assert _taint(tr) == {1: 40, 2: 13, 3: 13, 4: 10}
    assert tr.tx_fee_taint.tolist() == [4]
    _conserved(g, tr)


def test_tiho_highest_first_equal_values_lower_vout() -> None:
    g = utxo_graph_from_rows(
        [
            {"inputs": [], "outputs": [(0, 100)]},
            {"inputs": [(0, 0)], "outputs": [(1, 10), (2, 30), (3, 30), (4, 25)]},  # fee 5
        ]
    )
    tr = trace(g, start=Start.output(0, amount=50), model="tiho")
    assert _taint(tr) == {0: 50, 2: 30, 3: 20}
    assert tr.tx_fee_taint.tolist() == [0]
    tr = trace(g, start=Start.output(0), model="tiho")
    assert tr.tx_fee_taint.tolist() == [5]  # taint exceeds all outputs: the fee is tainted
    _conserved(g, tr)


def test_fee_tail_versus_proportional() -> None:
    g = utxo_graph_from_rows(
        [
            {"inputs": [], "outputs": [(0, 50)]},
            {"inputs": [], "outputs": [(1, 50)]},
            {"inputs": [(0, 0), (1, 0)], "outputs": [(2, 45), (3, 45)]},  # fee 10
        ]
    )
    tail = trace(g, start=Start.output(1), model="fifo")
    # line: clean 50, tainted 50; outputs take 0..45 and 45..90, the fee the tail 90..100
    assert _taint(tail) == {1: 50, 3: 40} and tail.tx_fee_taint.tolist() == [10]
    prop = trace(g, start=Start.output(1), model="fifo", fee_mode="proportional")
    # each input pays 5 off its end: line = 45 clean + 45 tainted; tainted fee 5
    assert _taint(prop) == {1: 50, 3: 45} and prop.tx_fee_taint.tolist() == [5]
    _conserved(g, tail)
    _conserved(g, prop)
    tiho = trace(g, start=Start.output(1), model="tiho", fee_mode="proportional")
    assert tiho.tx_fee_taint.tolist() == [5] and _taint(tiho)[2] == 45


def test_poison_grows_and_hops_count() -> None:
    g = _split_graph()
    tr = trace(g, start=Start.output(1), model="poison")
    assert _taint(tr) == {1: 15, 2: 45, 3: 20, 4: 25}
    assert tr.item_hop.tolist() == [0, 1, 2, 2]
    assert tr.ended["unspent"] == 45


def test_hop_stop_is_reported_with_reason() -> None:
    g = _split_graph()
    tr = trace(g, start=Start.output(1), model="haircut", max_hops=1)
    assert _taint(tr) == {1: 15, 2: 15}
    assert tr.status_names() == ["followed", "hop"]
    assert tr.ended == {"hop": 15, "fee": 0}


def test_dust_exactly_equal_is_followed() -> None:
    g = _split_graph()
    assert trace(g, start=Start.output(1), model="fifo", dust=15).status_names()[1] == "followed"
    tr = trace(g, start=Start.output(1), model="fifo", dust=16)
    assert tr.status_names() == ["dust"] and tr.ended["dust"] == 15


def test_time_window_and_labelled_address() -> None:
    rows = [
        {"inputs": [], "outputs": [(0, 30)], "time": 100},
        {"inputs": [], "outputs": [(1, 15)], "time": 100},
        {"inputs": [(0, 0), (1, 0)], "outputs": [(2, 45)], "time": 200},
        {"inputs": [(2, 0)], "outputs": [(3, 20), (4, 25)], "time": 300},
    ]
    g = utxo_graph_from_rows(rows)
    tr = trace(g, start=Start.output(1), model="haircut", end_time=300)
    assert tr.status_names() == ["followed", "time"]
    cats = np.array([0, 0, 7, 0, 0], np.uint16)
    tr = trace(g, start=Start.output(1), categories=cats, stop_categories={7})
    assert tr.status_names() == ["followed", "label"]
    assert tr.by_category is not None and tr.by_category.rows()[1] == {
        "id": 7, "received": 15, "held": 15, "first_hop": 1
    }  # fmt: skip


def test_address_start_and_cluster_level() -> None:
    g = _split_graph()
    tr = trace(g, start=Start.address(1), model="fifo")
    assert tr.start_taint == 15
    clusters = np.array([0, 1, 1, 1, 4], np.uint32)  # change to the thief's own cluster
    tr = trace(g, start=Start.output(1), model="poison", clusters=clusters)
    assert tr.item_hop.tolist() == [0, 0, 0, 1]
    assert tr.level == "cluster" and tr.by_cluster is not None
    assert [r["id"] for r in tr.by_cluster.rows()] == [1, 4]


@pytest.mark.parametrize("model", ["poison", "haircut", "fifo", "lifo", "tiho"])
def test_backward_mirrors_forward(model: str) -> None:
    g = _split_graph()
    tr = trace(g, start=Start.output(4), model=model, direction="backward")
    origins = {
        int(r): int(t)
        for r, t, s in zip(tr.item_ref, tr.item_taint, tr.status_names(), strict=True)
        if s == "origin"
    }
    expected = {
        "poison": {0: 30, 1: 15},
        "haircut": {0: 17, 1: 8},  # 25 * 30/45 = 16.67, 25 * 15/45 = 8.33
        "fifo": {0: 10, 1: 15},  # units 20..45 of the line
        "lifo": {0: 10, 1: 15},  # reversed twice: the same units as FIFO here
        "tiho": {0: 25},  # highest input first
    }[model]
    assert origins == expected
    if model != "poison":
        assert sum(origins.values()) == tr.start_taint


def test_deterministic() -> None:
    g = _split_graph()
    a = trace(g, start=Start.address(1), model="lifo").to_json()
    assert a == trace(g, start=Start.address(1), model="lifo").to_json()
