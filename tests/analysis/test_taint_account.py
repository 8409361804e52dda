"""Account-chain pools (TRACING.md): haircut, FIFO, LIFO, poison, held vs received."""

from __future__ import annotations

import pytest

from chainsleuth.analysis import Start, Trace, account_graph_from_rows, trace
from chainsleuth.analysis.graph import AccountGraph
from chainsleuth.errors import Invalid


def _graph() -> AccountGraph:
    """2 pays 1 50 clean; thief 0 -> 1 100 (start); 1 -> 3 60; 3 -> 1 30; 1 -> 4 120."""
    return account_graph_from_rows(
        [
            {"src": 2, "dst": 1, "value": 50},
            {"src": 0, "dst": 1, "value": 100},
            {"src": 1, "dst": 3, "value": 60},
            {"src": 3, "dst": 1, "value": 30},
            {"src": 1, "dst": 4, "value": 120},
            {"src": 1, "dst": 4, "value": 999, "token": 9},  # another asset: ignored
        ]
    )


def _by(tr: Trace) -> dict[int, tuple[float, float]]:
    return {r["id"]: (r["received"], r["held"]) for r in tr.by_address.rows()}


def _conserved(tr: Trace) -> None:
    stopped = sum(v for k, v in tr.ended.items() if k != "held")
    assert tr.ended["held"] + stopped == pytest.approx(tr.start_taint, rel=1e-9)


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        # pool of 1: 50 clean + 100 tainted; 60 out carries 40; 3 returns 20; 80 to 4
        ("haircut", {1: (120.0, 0.0), 3: (40.0, 20.0), 4: (80.0, 80.0)}),
        # oldest first: 50 clean + 10 tainted to 3; 3 returns 30 clean; 4 gets 90
        ("fifo", {1: (100.0, 0.0), 3: (10.0, 10.0), 4: (90.0, 90.0)}),
        # newest first: 60 tainted to 3, 30 tainted back (received twice), 4 gets 70
        ("lifo", {1: (130.0, 0.0), 3: (60.0, 30.0), 4: (70.0, 70.0)}),
    ],
)
def test_pools_held_versus_received(model: str, expected: dict[int, tuple[float, float]]) -> None:
    tr = trace(_graph(), start=Start.transfer(1), model=model)
    assert _by(tr) == expected
    assert tr.start_taint == 100.0
    _conserved(tr)


def test_poison_taints_every_later_transfer_out() -> None:
    tr = trace(_graph(), start=Start.transfer(1), model="poison")
    assert tr.item_ref.tolist() == [1, 2, 3, 4]
    assert tr.item_taint.tolist() == [100.0, 60.0, 30.0, 120.0]
    assert tr.item_hop.tolist() == [0, 1, 2, 1]  # 1 keeps hop 0 when taint comes back


def test_address_start_after_clean_opening_balance() -> None:
    # 1 holds 150 before edge 2; its newest 100 units are tainted: FIFO sends 50 clean first
    tr = trace(_graph(), start=Start.address(1, 100, at=2), model="fifo")
    assert _by(tr)[3] == (10.0, 10.0)


def test_stops_move_units_but_not_taint() -> None:
    tr = trace(_graph(), start=Start.transfer(1), model="haircut", max_hops=0)
    assert tr.status_names() == ["followed", "hop", "hop"]
    assert tr.ended == {"held": 0.0, "hop": 100.0}
    tr = trace(_graph(), start=Start.transfer(1), model="haircut", dust=50)
    assert tr.ended["dust"] == pytest.approx(40.0)
    _conserved(tr)


def test_token_is_traced_alone_and_backward_is_refused() -> None:
    tr = trace(_graph(), start=Start.transfer(5), model="haircut", token=9)
    assert _by(tr) == {4: (999.0, 999.0)}
    with pytest.raises(Invalid):
        trace(_graph(), start=Start.transfer(1), model="haircut", direction="backward")
    with pytest.raises(Invalid):
        trace(_graph(), start=Start.transfer(5), model="haircut")
