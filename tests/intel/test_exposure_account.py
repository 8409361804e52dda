"""Exposure and risk on a hand-drawn account graph (haircut amounts worked by hand)."""

from __future__ import annotations

import numpy as np
import pytest
from tests.intel.conftest import hand_categories

from chainsleuth.analysis import AccountGraph, account_graph_from_rows
from chainsleuth.errors import Invalid
from chainsleuth.intel import CategoryMap, Exposure, assess_risk, default_policy, exposure
from chainsleuth.intel.exposure_result import json_amount

S, X, E, G, U, V, S2, R, T, W = range(10)  # subject, sanctioned, exchange, gambling, ...
NAMES = ("sanctioned", "ransomware", "gambling", "exchange")
TAGGED = {X: "sanctioned", R: "ransomware", G: "gambling", E: "exchange"}
EDGES = [
    (X, S, 100),  # 0: the sanctioned address pays S directly
    (R, U, 60),  # 1
    (W, U, 60),  # 2: U holds 120, half of it ransomware's
    (U, S, 40),  # 3: so 20 of these 40 came from R (hop 2) and 20 from W
    (S, E, 50),  # 4: S pays the exchange
    (S, V, 70),  # 5
    (V, G, 35),  # 6: V passes half on to gambling (hop 2), keeps 35
    (S, S2, 10),  # 7: to S's second address
    (S2, G, 10),  # 8
    (X, S, 1000, T),  # 9: token T, sanctioned pays S
    (S, W, 400, T),  # 10
    (W, E, 100, T),  # 11: W passes a quarter on to the exchange
]


def categories(n: int = 10) -> CategoryMap:
    return hand_categories(TAGGED, NAMES, n)


@pytest.fixture(scope="module")
def graph() -> AccountGraph:
    rows = [
        {"src": e[0], "dst": e[1], "value": e[2], **({"token": e[3]} if len(e) > 3 else {})}
        for e in EDGES
    ]
    return account_graph_from_rows(rows, n_addresses=10)


def amounts(e: Exposure | None) -> dict[str, tuple[float, float]]:
    assert e is not None
    return {c.category: (c.direct, c.indirect) for c in e.categories}


def adds_up(e: Exposure) -> None:
    found = sum(c.amount for c in e.categories) + sum(e.untagged.values())
    assert found == pytest.approx(e.total, rel=1e-9)
    shares = sum(c.share for c in e.categories) + sum(e.untagged.values()) / e.total
    assert shares == pytest.approx(1.0, rel=1e-9)


def test_incoming_direct_and_indirect(graph: AccountGraph) -> None:
    e = exposure(graph, categories(), [S], direction="in").incoming
    assert e is not None and e.total == 140
    assert amounts(e) == {"sanctioned": (100, 0), "ransomware": (0, pytest.approx(20))}
    assert e.untagged == {"held": pytest.approx(20)}  # W's 20 were W's own
    sanctioned = e.category("sanctioned")
    assert sanctioned and sanctioned.direct_share == pytest.approx(100 / 140)
    assert sanctioned.first_hop == 1 and e.category("ransomware").first_hop == 2  # type: ignore[union-attr]
    adds_up(e)
    assert e.info["traces"] == 1  # the direct receipt from X needs no trace


def test_outgoing_is_separate(graph: AccountGraph) -> None:
    report = exposure(graph, categories(), [S], direction="out")
    assert report.incoming is None and report.outgoing is not None
    e = report.outgoing
    assert e.total == 130  # the token transfers are another asset
    assert amounts(e) == {"exchange": (50, 0), "gambling": (0, pytest.approx(45))}
    assert e.untagged == {"held": pytest.approx(35)}
    adds_up(e)
    paths = {(c.addr_id, c.hop): (c.amount, c.path) for c in e.contributors}
    assert paths == {(E, 1): (50, (4,)), (G, 2): (pytest.approx(45), (5, 6))}


def test_two_address_subject(graph: AccountGraph) -> None:
    report = exposure(graph, categories(), [S, S2])
    out, inc = report.outgoing, report.incoming
    assert out is not None and inc is not None
    assert out.total == 140 and inc.total == 150
    # S -> S2 stays inside the subject; S2's payment to gambling is its own, direct
    assert amounts(out) == {"exchange": (50, 0), "gambling": (10, pytest.approx(35))}
    assert out.untagged == {"held": pytest.approx(35), "self": 10}
    assert inc.untagged == {"held": pytest.approx(20), "self": 10}
    adds_up(out)
    adds_up(inc)
    per_address = [exposure(graph, categories(), [a], direction="in").incoming for a in (S, S2)]
    assert sum(x.total for x in per_address if x) == inc.total


def test_token_isolation(graph: AccountGraph) -> None:
    report = exposure(graph, categories(), [S], token=T)
    assert report.token == T and report.to_json()["token"] == T
    assert report.incoming and report.outgoing
    assert report.incoming.total == 1000 and amounts(report.incoming) == {"sanctioned": (1000, 0)}
    assert report.outgoing.total == 400
    assert amounts(report.outgoing) == {"exchange": (0, pytest.approx(100))}
    assert report.outgoing.untagged == {"held": pytest.approx(300)}
    (who,) = report.outgoing.contributors
    assert (who.addr_id, who.hop, who.path) == (E, 2, (10, 11))
    none = exposure(graph, categories(), [V], token=T)
    assert none.incoming and none.incoming.total == 0 and none.incoming.categories == ()


def test_hop_limit_and_fifo(graph: AccountGraph) -> None:
    e = exposure(graph, categories(), [S], direction="out", max_hops=1).outgoing
    assert e is not None and amounts(e) == {"exchange": (50, 0)}
    assert e.untagged == {"held": pytest.approx(35), "hop": pytest.approx(45)}
    fifo = exposure(graph, categories(), [S], direction="in", model="fifo").incoming
    # FIFO: U paid S its oldest 40 units, all of them from R
    assert amounts(fifo) == {"sanctioned": (100, 0), "ransomware": (0, pytest.approx(40))}
    (r,) = [c for c in fifo.contributors if c.addr_id == R]  # type: ignore[union-attr]
    assert r.path == (3, 1)


def test_risk_on_an_account_chain(graph: AccountGraph) -> None:
    assert assess_risk(graph, categories(), [S], default_policy()).level == "severe"
    # V was paid by S, half of whose pool then came from X: indirect sanctioned
    risk = assess_risk(graph, categories(), [V], default_policy())
    assert (risk.score, risk.level) == (50.0, "high")
    top = risk.contributions[0]
    assert (top.category, top.direction, top.kind) == ("sanctioned", "incoming", "indirect")
    assert top.amount == pytest.approx(50) and top.addresses[0]["path"] == [5, 0]
    token = assess_risk(graph, categories(), [W], default_policy(), token=T)
    assert (token.level, token.contributions[0].category) == ("high", "sanctioned")
    native = assess_risk(graph, categories(), [W], default_policy())
    assert "sanctioned" not in {c.category for c in native.contributions}


def test_bad_account_arguments(graph: AccountGraph) -> None:
    with pytest.raises(Invalid, match="cluster level"):
        exposure(graph, categories(), [S], clusters=np.zeros(10, np.uint32))
    with pytest.raises(Invalid, match="token 99"):
        exposure(graph, categories(), [S], token=99)
    with pytest.raises(Invalid, match="max_hops"):
        exposure(graph, categories(), [S], max_hops=0)
    with pytest.raises(Invalid, match="not 'tiho'"):
        exposure(graph, categories(), [X], direction="out", model="tiho")


def test_deterministic(graph: AccountGraph) -> None:
    assert (
        exposure(graph, categories(), [S]).to_json() == exposure(graph, categories(), [S]).to_json()
    )


def test_json_amounts_are_whole_units_and_exact_text_beyond_2_53() -> None:
    assert json_amount(12.6) == 13
    assert json_amount(7) == 7
    assert json_amount(float(2**60)) == str(2**60)
    assert json_amount(2**53) == str(2**53)
