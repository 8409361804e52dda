"""Risk scores on the hand-drawn graph of test_exposure: every level, and why."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.intel.test_exposure import TXS, U3, P, Q, S, X, categories

from chainsleuth.analysis import UtxoGraph, utxo_graph_from_rows
from chainsleuth.errors import MalformedRecord
from chainsleuth.intel import (
    assess_risk,
    default_policy,
    default_taxonomy,
    exposure,
    load_policy,
    parse_policy,
    score_risk,
)


@pytest.fixture(scope="module")
def graph() -> UtxoGraph:
    return utxo_graph_from_rows(TXS, n_addresses=11)


@pytest.mark.parametrize(
    ("subject", "score", "level"),
    [
        (S, 100.0, "severe"),  # direct incoming from the sanctioned address
        (U3, 50.0, "high"),  # indirect sanctioned: 100 x 0.5
        (P, 35.0, "medium"),  # paid by the gambling service
        (Q, 5.0, "low"),  # paid by the exchange
    ],
)
def test_each_level(graph: UtxoGraph, subject: int, score: float, level: str) -> None:
    risk = assess_risk(graph, categories(), [subject], default_policy())
    assert (risk.score, risk.level) == (score, level)


def test_explanation_names_tags_amounts_hops_and_path(graph: UtxoGraph) -> None:
    risk = assess_risk(graph, categories(), [U3], default_policy())
    top = risk.contributions[0]
    assert (top.category, top.direction, top.kind, top.amount) == (
        "sanctioned",
        "incoming",
        "indirect",
        725,  # haircut: 2900 of S's 4000 coin, a quarter of which came from X
    )
    assert top.share == 0.25 and top.factor == 0.5 and top.saturation == 0
    (who,) = top.addresses
    assert (who["addr_id"], who["hop"], who["amount"], who["path"]) == (X, 2, 725, [7, 5])
    assert who["tags"][0]["label"] == "label of 1"
    assert "indirect incoming exposure to sanctioned: 25.00%" in top.reason()
    assert [c.category for c in risk.contributions] == ["sanctioned", "gambling"]
    doc = risk.to_json()
    assert doc["exposure"]["incoming"]["trace"]["ended"] == {
        "origin": 2175,
        "label": 725,
        "unexplained": 0,
    }


def test_policy_factors_and_directions(graph: UtxoGraph) -> None:
    report = exposure(graph, categories(), [S])
    outgoing_only = parse_policy(
        {"directions": ["outgoing"], "categories": {"gambling": 40, "exchange": 10}}
    )
    risk = score_risk(report, outgoing_only, categories())
    # gambling: 2900 / 4000 indirect = 72.5 % >= saturation: 40 x 0.5; exchange 25 % direct
    assert [(c.category, c.points) for c in risk.contributions] == [
        ("gambling", 20.0),
        ("exchange", 10.0),
    ]
    assert risk.level == "medium"
    strict = parse_policy({"thresholds": {"severe": 90, "high": 60, "medium": 15}, "categories": {
        "exchange": {"weight": 20, "saturation": 0.5}}})  # fmt: skip
    got = score_risk(report, strict, categories())
    assert (got.score, got.level) == (10.0, "low")  # 25 % of the 50 % saturation: 20 x 0.5
    unknown = score_risk(report, parse_policy({}), categories())
    assert (unknown.score, unknown.contributions) == (0.0, ())


def test_rules_follow_the_taxonomy() -> None:
    policy = default_policy()
    tax = default_taxonomy()
    assert policy.rule("service_hack", tax) == ("hacking", policy.categories["hacking"])
    assert policy.rule("coinjoin", tax) == ("mixing", policy.categories["mixing"])
    assert policy.rule("sextortion", tax)[0] in ("extortion", "abuse")  # type: ignore[index]
    assert policy.rule("miner", tax) is None
    assert policy.priority()[0] == "sanctioned"
    assert policy.categories["sanctioned"].weight == 100


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("[thresholds]\nhigh = 150\n", "thresholds.high"),
        ("[thresholds]\nsevere = 30\nhigh = 50\nmedium = 20\n", "thresholds"),
        ("[categories]\nnot_a_concept = 10\n", "categories.not_a_concept"),
        ('[categories]\nscam = { weight = "high" }\n', "categories.scam.weight"),
        ("[categories]\nscam = { weight = 50, colour = 1 }\n", "categories.scam.colour"),
        ("[factors]\nsideways = 1.0\n", "factors.sideways"),
        ('model = "guess"\n', "model"),
        ('directions = ["up"]\n', "directions"),
        ("hops = 0\n", "hops"),
        ("colour = 1\n", "colour"),
    ],
)
def test_policy_errors_name_the_field(tmp_path: Path, text: str, field: str) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(text)
    with pytest.raises(MalformedRecord) as err:
        load_policy(path)
    assert err.value.field == field and str(path) in str(err.value)


def test_bad_toml(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text("weights = [1,\n")
    with pytest.raises(MalformedRecord, match="bad TOML"):
        load_policy(path)
