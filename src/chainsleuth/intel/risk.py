"""Risk scores: exposure weighed by a :class:`RiskPolicy`, with the reasons for every point.

For each category, direction (incoming, outgoing) and kind (direct = hop 1, indirect =
hops 2..N) with a share of at least ``min_share``::

    points = weight x factor[direction] x factor[kind] x min(1, share / saturation)

(``saturation`` 0: in full). The score is the largest contribution, so a score always
has one reason that reaches it; every contribution is kept, heaviest first, with the
categorised addresses behind it (hop, amount, an example path of transactions, and the
tags or list entries that gave them their category). ``docs/risk.md`` says why.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from chainsleuth.analysis import AccountGraph, UtxoGraph
from chainsleuth.intel.categories import CategoryMap
from chainsleuth.intel.exposure import Contributor, Exposure, ExposureReport, exposure
from chainsleuth.intel.risk_policy import RiskPolicy
from chainsleuth.intel.taxonomy import Taxonomy, default_taxonomy

_SHOWN = 5  # contributing addresses listed per contribution


@dataclass(frozen=True)
class Contribution:
    """One category in one direction at one distance, and the points it gave."""

    category: str
    rule: str
    direction: str
    kind: str
    amount: int | float
    share: float
    weight: float
    factor: float
    saturation: float
    points: float
    addresses: tuple[dict[str, Any], ...]

    def reason(self) -> str:
        full = "in full" if not self.saturation else f"share / {self.saturation:g}"
        return (
            f"{self.kind} {self.direction} exposure to {self.category}: {self.share:.2%} "
            f"x weight {self.weight:g} (rule {self.rule}) x factor {self.factor:g} ({full})"
            f" = {self.points:.1f} points"
        )


@dataclass(frozen=True, eq=False)
class RiskScore:
    """Score 0..100, its level, the policy, every contribution and the exposure under it."""

    score: float
    level: str
    policy: RiskPolicy
    contributions: tuple[Contribution, ...]
    exposure: ExposureReport

    def to_json(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "level": self.level,
            "policy": self.policy.name,
            "thresholds": self.policy.thresholds,
            "contributions": [{**c.__dict__, "reason": c.reason()} for c in self.contributions],
            "exposure": self.exposure.to_json(),
        }


def _addresses(
    cats: CategoryMap, found: Iterable[Contributor], category: str, direct: bool
) -> tuple[dict[str, Any], ...]:
    picked = [c for c in found if c.category == category and (c.hop == 1) == direct]
    return tuple(
        {
            "addr_id": c.addr_id,
            "hop": c.hop,
            "amount": c.amount,
            "path": list(c.path),
            "tags": cats.tags_of(c.addr_id),
        }
        for c in picked[:_SHOWN]
    )


def _contributions(
    e: Exposure, policy: RiskPolicy, cats: CategoryMap, taxonomy: Taxonomy
) -> list[Contribution]:
    out = []
    for ce in e.categories:
        found = policy.rule(ce.category, taxonomy)
        if found is None:
            continue
        rule_name, rule = found
        saturation = policy.saturation if rule.saturation is None else rule.saturation
        for kind, amount, share in (
            ("direct", ce.direct, ce.direct_share),
            ("indirect", ce.indirect, ce.indirect_share),
        ):
            if share <= 0 or share < policy.min_share:
                continue
            factor = policy.factors[e.direction] * policy.factors[kind]
            fill = 1.0 if not saturation else min(1.0, share / saturation)
            out.append(
                Contribution(
                    category=ce.category,
                    rule=rule_name,
                    direction=e.direction,
                    kind=kind,
                    amount=amount,
                    share=share,
                    weight=rule.weight,
                    factor=factor,
                    saturation=saturation,
                    points=round(rule.weight * factor * fill, 6),
                    addresses=_addresses(cats, e.contributors, ce.category, kind == "direct"),
                )
            )
    return out


def score_risk(
    report: ExposureReport,
    policy: RiskPolicy,
    categories: CategoryMap,
    *,
    taxonomy: Taxonomy | None = None,
) -> RiskScore:
    """Weigh an exposure report by ``policy``; categories without a rule give no points."""
    tax = taxonomy or default_taxonomy()
    found = [
        c
        for e in report.directions()
        if e.direction in policy.directions
        for c in _contributions(e, policy, categories, tax)
    ]
    found.sort(key=lambda c: (-c.points, -c.share, c.category, c.direction, c.kind))
    score = float(np.round(found[0].points, 6)) if found else 0.0
    return RiskScore(score, policy.level(score), policy, tuple(found), report)


def assess_risk(
    graph: UtxoGraph | AccountGraph,
    categories: CategoryMap,
    subject: Iterable[int],
    policy: RiskPolicy,
    *,
    clusters: npt.NDArray[np.uint32] | None = None,
    taxonomy: Taxonomy | None = None,
    token: int | None = None,
) -> RiskScore:
    """Exposure of ``subject`` with the policy's model, hops and directions, then its score.

    ``token``: account chains, the asset scored (a token contract's addr_id; None: the
    native coin); UTXO chains: ``clusters`` (cluster id per address) for cluster hops.
    """
    one: dict[tuple[str, ...], str] = {("incoming",): "in", ("outgoing",): "out"}
    direction = one.get(policy.directions, "both")
    report = exposure(
        graph, categories, subject, direction=direction, model=policy.model,
        max_hops=policy.hops, clusters=clusters, token=token,
    )  # fmt: skip
    return score_risk(report, policy, categories, taxonomy=taxonomy)
