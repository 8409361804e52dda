"""Exposure on a hand-drawn graph with known categories (haircut amounts worked by hand)."""

from __future__ import annotations

import numpy as np
import pytest
from tests.intel.conftest import hand_categories

from chainsleuth.analysis import UtxoGraph, utxo_graph_from_rows
from chainsleuth.errors import Invalid
from chainsleuth.intel import CategoryMap, exposure

S, X, E, U, G, R, U2, U3, U4, P, Q = range(11)  # subject, sanctioned, exchange, ...
NAMES = ("sanctioned", "ransomware", "gambling", "exchange")
TAGGED = {X: "sanctioned", R: "ransomware", G: "gambling", E: "exchange"}
TXS = [
    {"inputs": [], "outputs": [(X, 1000)]},  # 0
    {"inputs": [], "outputs": [(U, 3000)]},  # 1
    {"inputs": [], "outputs": [(R, 2000)]},  # 2
    {"inputs": [], "outputs": [(U4, 1000)]},  # 3
    {"inputs": [(2, 0), (3, 0)], "outputs": [(U2, 3000)]},  # 4: ransomware mixed 2:1
    {"inputs": [(0, 0), (1, 0)], "outputs": [(S, 4000)]},  # 5: sanctioned pays S directly
    {"inputs": [(4, 0)], "outputs": [(S, 1500), (E, 1500)]},  # 6: S gets half of U2's coin
    {"inputs": [(5, 0)], "outputs": [(E, 1000), (U3, 2900)]},  # 7: S pays, fee 100
    {"inputs": [(7, 1)], "outputs": [(G, 2900)]},  # 8: on to gambling
    {"inputs": [(8, 0)], "outputs": [(P, 2900)]},  # 9: gambling pays P
    {"inputs": [], "outputs": [(E, 700)]},  # 10
    {"inputs": [(10, 0)], "outputs": [(Q, 700)]},  # 11: exchange pays Q
]


def categories(n: int = 11) -> CategoryMap:
    return hand_categories(TAGGED, NAMES, n)


@pytest.fixture(scope="module")
def graph() -> UtxoGraph:
    return utxo_graph_from_rows(TXS, n_addresses=11)


def test_incoming_direct_and_indirect(graph: UtxoGraph) -> None:
    e = exposure(graph, categories(), [S], direction="in").incoming
    assert e is not None and e.total == 5500
    sanctioned, ransomware = e.category("sanctioned"), e.category("ransomware")
    assert sanctioned and ransomware
    assert (sanctioned.direct, sanctioned.indirect, sanctioned.first_hop) == (1000, 0, 1)
    # backward haircut: S's 1500 of U2's 3000 coin is half of tx 4's inputs: 1000 of R's 2000
    assert (ransomware.direct, ransomware.indirect, ransomware.first_hop) == (0, 1000, 2)
    assert sanctioned.direct_share == pytest.approx(1000 / 5500)
    assert e.untagged == {"origin": 3500}  # U's 3000 and U4's 500 came from coinbases
    assert sum(c.amount for c in e.categories) + sum(e.untagged.values()) == e.total
    assert {c.category for c in e.categories} == {"sanctioned", "ransomware"}


def test_outgoing_is_separate(graph: UtxoGraph) -> None:
    report = exposure(graph, categories(), [S], direction="out")
    assert report.incoming is None
    e = report.outgoing
    assert e is not None and e.total == 4000  # the unspent 1500 coin is not sent
    assert [(c.category, c.direct, c.indirect) for c in e.categories] == [
        ("gambling", 0, 2900),
        ("exchange", 1000, 0),
    ]
    assert e.untagged == {"fee": 100}
    assert sum(c.share for c in e.categories) + 100 / 4000 == pytest.approx(1.0)


def test_hop_limit_and_paths(graph: UtxoGraph) -> None:
    e = exposure(graph, categories(), [S], direction="in", max_hops=1).incoming
    assert e is not None and e.category("ransomware") is None
    assert e.untagged == {"hop": 4500}  # U2 and U (hop 1) are not followed further
    full = exposure(graph, categories(), [S], direction="both")
    assert full.incoming and full.outgoing
    paths = {(c.category, c.addr_id): c.path for c in full.incoming.contributors}
    assert paths == {("sanctioned", X): (5,), ("ransomware", R): (6, 4)}
    out = {(c.category, c.hop): c.path for c in full.outgoing.contributors}
    assert out == {("exchange", 1): (7,), ("gambling", 2): (7, 8)}


def test_account_subject_and_other_models(graph: UtxoGraph) -> None:
    # S and U3 as one account: S's payment to U3 stays inside, the gambling spend is direct
    e = exposure(graph, categories(), [S, U3], direction="out").outgoing
    assert e is not None
    gambling = e.category("gambling")
    assert gambling and (gambling.direct, gambling.indirect) == (2900, 0)
    assert e.untagged["self"] == 2900
    fifo = exposure(graph, categories(), [S], direction="in", model="fifo").incoming
    assert fifo and fifo.category("ransomware").indirect == 1500  # type: ignore[union-attr]


def test_bad_subjects(graph: UtxoGraph) -> None:
    with pytest.raises(Invalid, match="not a set of addresses"):
        exposure(graph, categories(), [99])
    with pytest.raises(Invalid, match="direction"):
        exposure(graph, categories(), [S], direction="sideways")
    with pytest.raises(Invalid, match="categories for"):
        exposure(graph, CategoryMap(NAMES, np.zeros(5, np.uint16), categories().hits), [S])


def test_deterministic(graph: UtxoGraph) -> None:
    a = exposure(graph, categories(), [S]).to_json()
    b = exposure(graph, categories(), [S]).to_json()
    assert a == b
