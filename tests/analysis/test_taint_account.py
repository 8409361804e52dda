"""Account-chain pools (TRACING.md): haircut, FIFO, LIFO, poison, held vs received."""

from __future__ import annotations

import random

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


def test_token_is_traced_alone_and_tiho_is_refused() -> None:
    tr = trace(_graph(), start=Start.transfer(5), model="haircut", token=9)
    assert _by(tr) == {4: (999.0, 999.0)}
    with pytest.raises(Invalid):
        trace(_graph(), start=Start.transfer(1), model="tiho")
    with pytest.raises(Invalid):
        trace(_graph(), start=Start.transfer(5), model="haircut")


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        # 1's pool before edge 4: 50 of 2 and 100 of 0 mixed, 60 out, 30 of that mix back
        ("haircut", {0: (80.0, 80.0), 1: (150.0, 0.0), 2: (40.0, 40.0), 3: (30.0, 0.0)}),
        # oldest first: 2's 50 + 10 of 0 went to 3, 3 paid back 30 of 2's; 1 holds 90 + 30
        ("fifo", {0: (90.0, 90.0), 1: (150.0, 0.0), 2: (30.0, 30.0), 3: (30.0, 0.0)}),
        # newest first: 60 of 0 went to 3 and 30 came back; 1 holds 50 + 40 + 30
        ("lifo", {0: (70.0, 70.0), 1: (150.0, 0.0), 2: (50.0, 50.0), 3: (30.0, 0.0)}),
    ],
)
def test_backward_from_a_transfer(model: str, expected: dict[int, tuple[float, float]]) -> None:
    tr = trace(_graph(), start=Start.transfer(4), model=model, direction="backward")
    assert _by(tr) == expected
    assert tr.start_taint == 120.0
    assert tr.item_ref.tolist() == [4, 3, 2, 1, 0]  # the value passed 3 -> 1 and 1 -> 3
    _conserved(tr)


@pytest.mark.parametrize("model", ["haircut", "fifo", "lifo"])
def test_backward_mirrors_forward(model: str) -> None:
    """What 0's 100 delivered to 4 forward is what 4's 120 owes to 0 backward."""
    fwd = trace(_graph(), start=Start.transfer(1), model=model)
    back = trace(_graph(), start=Start.transfer(4), model=model, direction="backward")
    assert _by(back)[0][1] == pytest.approx(_by(fwd)[4][0])


def test_backward_poison_taints_every_earlier_sender() -> None:
    tr = trace(_graph(), start=Start.transfer(4), model="poison", direction="backward")
    assert tr.item_ref.tolist() == [4, 3, 2, 1, 0]
    assert tr.item_taint.tolist() == [120.0, 30.0, 60.0, 100.0, 50.0]
    assert tr.item_hop.tolist() == [0, 1, 2, 1, 1]  # 1 -> 3 reached through 3 at hop 1


def test_backward_address_start_whole_balance_and_first_out() -> None:
    # 4 holds 120 at the end: the same sources as edge 4
    tr = trace(_graph(), start=Start.address(4, at=5), model="fifo", direction="backward")
    assert tr.start_taint == 120.0
    assert {a: h for a, (_, h) in _by(tr).items() if h} == {0: 90.0, 2: 30.0}
    # 1 holds 150 before edge 2; the 60 it pays out first: FIFO 2's 50 + 10 of 0, LIFO 0's
    first = trace(_graph(), start=Start.address(1, 60, at=2), model="fifo", direction="backward")
    last = trace(_graph(), start=Start.address(1, 60, at=2), model="lifo", direction="backward")
    assert _by(first) == {0: (10.0, 10.0), 1: (60.0, 0.0), 2: (50.0, 50.0)}
    assert _by(last) == {0: (60.0, 60.0), 1: (60.0, 0.0)}


def test_backward_reward_is_origin_and_stops_hold() -> None:
    g = account_graph_from_rows(
        [
            {"src": 0xFFFFFFFF, "dst": 0, "value": 40, "kind": 3},  # block reward
            {"src": 1, "dst": 0, "value": 60},
            {"src": 0, "dst": 2, "value": 50},
        ]
    )
    tr = trace(g, start=Start.transfer(2), model="haircut", direction="backward")
    assert tr.ended == pytest.approx({"held": 30.0, "origin": 20.0})
    assert tr.status_names() == ["followed", "followed", "origin"]
    tr = trace(g, start=Start.transfer(2), model="haircut", direction="backward", max_hops=0)
    assert tr.ended == pytest.approx({"held": 0.0, "hop": 50.0})
    assert tr.status_names() == ["followed", "hop", "hop"]
    _conserved(tr)


def _carried(tr: Trace) -> dict[int, float]:
    """Taint per transfer of the trace (float residues of haircut left out)."""
    return {e: t for e, t in zip(tr.item_ref.tolist(), tr.item_taint, strict=True) if t > 1e-9}


@pytest.mark.parametrize("exact", [False, True])
@pytest.mark.parametrize(
    ("model", "theft", "other"),
    # 1's pool before 1 -> 4: 3's 30 (its earlier send lacked units), then the theft's 100
    [("haircut", 50, 15), ("fifo", 35, 30), ("lifo", 65, 0)],
)
def test_a_pool_opens_as_a_replay_from_its_first_edge(
    model: str, theft: int, other: int, exact: bool
) -> None:
    """Two starts never put more taint into one transfer than it moves (was 80 and 95)."""
    g = account_graph_from_rows(
        [
            {"src": 1, "dst": 2, "value": 50},  # the data shows 1 holding nothing yet
            {"src": 3, "dst": 1, "value": 30},
            {"src": 0, "dst": 1, "value": 100},  # the theft
            {"src": 1, "dst": 4, "value": 65},
        ]
    )
    from_theft = trace(g, start=Start.transfer(2), model=model, exact=exact)
    from_3 = trace(g, start=Start.transfer(1), model=model, exact=exact)
    assert _carried(from_theft)[3] == theft and _carried(from_3).get(3, 0) == other
    assert theft + other == 65


def _lacking_world(seed: int, n_addr: int = 5, n_edges: int = 24) -> AccountGraph:
    """Random transfers, self-transfers included, with no regard to what senders hold."""
    rnd = random.Random(seed)
    return account_graph_from_rows(
        [
            {
                "src": rnd.randrange(n_addr),
                "dst": rnd.randrange(n_addr),
                "value": rnd.randrange(1, 40),
            }
            for _ in range(n_edges)
        ]
    )


@pytest.mark.parametrize("model", ["haircut", "fifo", "lifo"])
@pytest.mark.parametrize("seed", range(6))
def test_backward_mirrors_forward_when_senders_lack_units(model: str, seed: int) -> None:
    """For every pair of transfers s <= t: what s delivers into t forward is what t owes
    to s backward, on data where senders pay more than their edges show them holding."""
    g = _lacking_world(seed)
    exact = model != "haircut"  # FIFO/LIFO to the unit; haircut in float64
    fwd = [
        _carried(trace(g, start=Start.transfer(s), model=model, max_hops=99, exact=exact))
        for s in range(g.n_edges)
    ]
    for t in range(g.n_edges):
        back = trace(g, start=Start.transfer(t), model=model, direction="backward",
                     max_hops=99, exact=exact)  # fmt: skip
        owed = {s: f[t] for s, f in enumerate(fwd) if t in f}
        assert _carried(back) == pytest.approx(owed, rel=1e-9)
        _conserved(back)


@pytest.mark.parametrize("exact", [False, True])
@pytest.mark.parametrize("model", ["poison", "haircut", "fifo", "lifo"])
def test_backward_ends_at_the_sender_when_no_receipt_explains_its_units(
    model: str, exact: bool
) -> None:
    """One item: the sender holds the whole start (hop 0) when the data shows no source."""
    # 1 pays 2 before any edge brings it units (a genesis balance the data lacks, say)
    g = account_graph_from_rows(
        [{"src": 1, "dst": 2, "value": 10}, {"src": 0, "dst": 1, "value": 20}]
    )
    tr = trace(g, start=Start.transfer(0), model=model, direction="backward", exact=exact)
    assert tr.item_ref.tolist() == [0] and tr.ended == {"held": 10}
    assert [(r["id"], r["held"], r["first_hop"]) for r in tr.by_address.rows()] == [(1, 10, 0)]
    # with that balance in the data as an allocation (sender NO_ID), it is the origin
    alloc = {"src": 0xFFFFFFFF, "dst": 1, "value": 10, "kind": 3}
    g = account_graph_from_rows([alloc, {"src": 1, "dst": 2, "value": 10}])
    tr = trace(g, start=Start.transfer(1), model=model, direction="backward", exact=exact)
    assert tr.item_ref.tolist() == [1, 0] and tr.ended == {"held": 0, "origin": 10}
    # 0's 20 went on to 3 before 1 paid 2: 1 lacked those 10 (forward: clean units), so
    # only poison, which taints every earlier sender, goes back to 0
    rows = [{"src": 0, "dst": 1, "value": 20}, {"src": 1, "dst": 3, "value": 20},
            {"src": 1, "dst": 2, "value": 10}]  # fmt: skip
    g = account_graph_from_rows(rows)
    tr = trace(g, start=Start.transfer(2), model=model, direction="backward", exact=exact)
    assert tr.item_ref.tolist() == ([2, 0] if model == "poison" else [2])
    assert tr.ended == {"held": 30 if model == "poison" else 10}
    fwd = trace(g, start=Start.transfer(0), model=model, exact=exact)
    assert _carried(fwd) == {0: 20, 1: 20, **({2: 10} if model == "poison" else {})}
