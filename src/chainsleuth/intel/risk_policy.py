"""Risk policies: category weights, hop and direction factors, thresholds, as TOML.

A policy file (see ``docs/risk.md`` and the shipped ``default_policy.toml``)::

    name = "..."            model = "haircut"     hops = 4
    directions = ["incoming", "outgoing"]
    min_share = 0.001       saturation = 0.05
    [factors]     direct = 1.0  indirect = 0.5  incoming = 1.0  outgoing = 1.0
    [thresholds]  severe = 80  high = 50  medium = 20
    [categories]  sanctioned = { weight = 100, saturation = 0 }  exchange = { weight = 5 }

Every value is checked; a bad one raises :class:`~chainsleuth.errors.MalformedRecord`
naming the file and the field (``thresholds.high``, ``categories.scam.weight``).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from chainsleuth.analysis import MODELS
from chainsleuth.errors import MalformedRecord
from chainsleuth.intel.categories import SANCTIONED
from chainsleuth.intel.taxonomy import Taxonomy, default_taxonomy

LEVELS = ("severe", "high", "medium", "low")
_THRESHOLDS = {"severe": 80.0, "high": 50.0, "medium": 20.0}
_TOP = {"name", "model", "hops", "directions", "min_share", "saturation"}
_TABLES = {"factors", "thresholds", "categories"}
_FACTORS = {"direct": 1.0, "indirect": 0.5, "incoming": 1.0, "outgoing": 1.0}


@dataclass(frozen=True)
class CategoryRule:
    """``weight`` 0..100; ``saturation``: share at which exposure counts in full (None:
    the policy's; 0: any exposure above ``min_share`` counts in full)."""

    weight: float
    saturation: float | None = None


@dataclass(frozen=True)
class RiskPolicy:
    """How exposure becomes a score and a level (``docs/risk.md``)."""

    name: str
    model: str = "haircut"
    hops: int = 4
    directions: tuple[str, ...] = ("incoming", "outgoing")
    min_share: float = 0.001
    saturation: float = 0.05
    factors: dict[str, float] = field(default_factory=lambda: dict(_FACTORS))
    thresholds: dict[str, float] = field(default_factory=lambda: dict(_THRESHOLDS))
    categories: dict[str, CategoryRule] = field(default_factory=dict)
    source: str = "<built in>"

    def rule(self, category: str, taxonomy: Taxonomy) -> tuple[str, CategoryRule] | None:
        """The rule for ``category``: its own, else the nearest broader concept's."""
        for name in (category, *taxonomy.ancestors(category)):
            if name in self.categories:
                return name, self.categories[name]
        return None

    def level(self, score: float) -> str:
        for name in LEVELS[:-1]:
            if score >= self.thresholds[name]:
                return name
        return "low"

    def priority(self) -> list[str]:
        """Category names, heaviest first (``sanctioned`` first among equals): an address
        with several categories takes the first."""
        weight = self.categories
        return sorted(weight, key=lambda c: (-weight[c].weight, c != SANCTIONED, c))

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name, "source": self.source, "model": self.model, "hops": self.hops,
            "directions": list(self.directions), "min_share": self.min_share,
            "saturation": self.saturation, "factors": self.factors,
            "thresholds": self.thresholds,
            "categories": {k: v.__dict__ for k, v in sorted(self.categories.items())},
        }  # fmt: skip


class _Check:
    """Field checks that name the file and the field on failure."""

    def __init__(self, path: str) -> None:
        self.path = path

    def fail(self, name: str, reason: str) -> MalformedRecord:
        return MalformedRecord(path=self.path, record="policy", field=name, reason=reason)

    def keys(self, name: str, data: Any, allowed: set[str] | tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise self.fail(name, "must be a table")
        for key in data:
            if key not in allowed:
                raise self.fail(f"{name}.{key}" if name else key, "unknown field")
        return data

    def number(self, name: str, value: Any, lo: float, hi: float) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(name, f"must be a number, not {value!r}")
        if not lo <= value <= hi:
            raise self.fail(name, f"must be between {lo:g} and {hi:g}, not {value!r}")
        return float(value)


def _thresholds(c: _Check, data: dict[str, Any]) -> dict[str, float]:
    got = c.keys("thresholds", data, LEVELS[:-1])
    out = {k: c.number(f"thresholds.{k}", got.get(k, v), 0, 100) for k, v in _THRESHOLDS.items()}
    if not out["severe"] > out["high"] > out["medium"] > 0:
        raise c.fail("thresholds", "need 100 >= severe > high > medium > 0")
    return out


def _categories(c: _Check, data: Any, taxonomy: Taxonomy) -> dict[str, CategoryRule]:
    rules = {}
    names = tuple(data) if isinstance(data, dict) else ()
    for name, given in c.keys("categories", data, names).items():
        where = f"categories.{name}"
        if name != SANCTIONED and name not in taxonomy.concepts:
            raise c.fail(where, f"{name!r} is neither sanctioned nor a taxonomy concept")
        spec = c.keys(where, {"weight": given} if isinstance(given, int | float) else given,
                      ("weight", "saturation"))  # fmt: skip
        sat = spec.get("saturation")
        rules[name] = CategoryRule(
            weight=c.number(f"{where}.weight", spec.get("weight"), 0, 100),
            saturation=None if sat is None else c.number(f"{where}.saturation", sat, 0, 1),
        )
    return rules


def parse_policy(
    data: dict[str, Any], *, source: str = "<policy>", taxonomy: Taxonomy | None = None
) -> RiskPolicy:
    """A :class:`RiskPolicy` from parsed TOML, every field checked."""
    c = _Check(source)
    c.keys("", data, _TOP | _TABLES)
    name = data.get("name", Path(source).stem)
    if not isinstance(name, str) or not name:
        raise c.fail("name", "must be a non-empty string")
    if data.get("model", "haircut") not in MODELS:
        raise c.fail("model", f"must be one of {', '.join(MODELS)}")
    directions = data.get("directions", ["incoming", "outgoing"])
    if (
        not isinstance(directions, list)
        or not directions
        or not set(directions) <= {"incoming", "outgoing"}
    ):
        raise c.fail("directions", "must list incoming and/or outgoing")
    factors = c.keys("factors", data.get("factors", {}), tuple(_FACTORS))
    return RiskPolicy(
        name=name,
        model=data.get("model", "haircut"),
        hops=int(c.number("hops", data.get("hops", 4), 1, 50)),
        directions=tuple(d for d in ("incoming", "outgoing") if d in directions),
        min_share=c.number("min_share", data.get("min_share", 0.001), 0, 1),
        saturation=c.number("saturation", data.get("saturation", 0.05), 0, 1),
        factors={k: c.number(f"factors.{k}", factors.get(k, v), 0, 1) for k, v in _FACTORS.items()},
        thresholds=_thresholds(c, data.get("thresholds", {})),
        categories=_categories(c, data.get("categories", {}), taxonomy or default_taxonomy()),
        source=source,
    )


def load_policy(path: Path | None = None, *, taxonomy: Taxonomy | None = None) -> RiskPolicy:
    """Read a policy TOML file; ``None``: the shipped default policy."""
    if path is None:
        text = resources.files("chainsleuth.intel").joinpath("default_policy.toml").read_text()
        source = "default_policy.toml"
    else:
        text, source = path.read_text(encoding="utf-8"), str(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MalformedRecord(path=source, record="policy", reason=f"bad TOML: {exc}") from exc
    return parse_policy(data, source=source, taxonomy=taxonomy)


def default_policy() -> RiskPolicy:
    """The shipped starting point (``docs/risk.md``), for a compliance team to tune."""
    return load_policy(None)
