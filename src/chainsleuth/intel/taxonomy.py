"""The attribution vocabulary: concepts (entity and abuse categories) and confidence levels.

GraphSense's concept scheme (``concepts.yaml``, derived from the INTERPOL DW-VA entity and
abuse taxonomies), its confidence levels (``confidence.csv``, id -> score 0-100), tag types
and ISO country codes. A copy of the GraphSense files ships with the package; the DW-VA
files can be merged in, their ids kept as they are.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from chainsleuth.errors import MalformedRecord

EMBEDDED = Path(__file__).with_name("taxonomy_data")
ABUSE_ROOT = "abuse"


@dataclass(frozen=True)
class Concept:
    """One concept of a scheme: id, label, its broader concept and where it came from."""

    id: str
    label: str
    broader: str | None
    description: str
    scheme: str


@dataclass(frozen=True)
class Taxonomy:
    """Concepts, confidence levels (id -> score), tag types and country codes."""

    concepts: dict[str, Concept]
    confidence: dict[str, int]
    tag_types: frozenset[str]
    countries: frozenset[str]
    schemes: dict[str, str] = field(default_factory=dict)  # scheme title -> version

    def ancestors(self, concept_id: str) -> list[str]:
        """The chain of broader concepts, nearest first (cycles stop the walk)."""
        out: list[str] = []
        current = self.concepts.get(concept_id)
        while current is not None and current.broader and current.broader not in out:
            out.append(current.broader)
            current = self.concepts.get(current.broader)
        return out

    def is_abuse(self, concept_id: str) -> bool:
        """Whether a concept is an abuse (scam, ransomware, sanction, ...)."""
        return concept_id == ABUSE_ROOT or ABUSE_ROOT in self.ancestors(concept_id)

    def level(self, confidence_id: str) -> int:
        """The score of a confidence level; KeyError for an unknown id."""
        return self.confidence[confidence_id]


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "document"
        raise MalformedRecord(path=path, record=where, reason=f"bad YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise MalformedRecord(path=path, record="document", reason="not a YAML mapping")
    return data


def _concepts(path: Path) -> tuple[dict[str, Concept], str, str]:
    data = _read_yaml(path)
    scheme = data.pop("scheme", None) or {}
    title = str(scheme.get("title", path.stem))
    out: dict[str, Concept] = {}
    for key, body in data.items():
        if not isinstance(body, dict) or "id" not in body:
            raise MalformedRecord(path=path, record=str(key), field="id", reason="concept lacks id")
        cid = str(body["id"])
        broader = body.get("broader")
        out[cid] = Concept(
            id=cid,
            label=str(body.get("prefLabel", cid)),
            broader=None if broader is None else str(broader),
            description=" ".join(str(body.get("description", "")).split()),
            scheme=title,
        )
    return out, title, str(scheme.get("version", ""))


def _csv_rows(path: Path, columns: tuple[str, ...]) -> list[dict[str, str]]:
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    for line, row in enumerate(rows, start=2):
        for col in columns:
            if not (row.get(col) or "").strip():
                raise MalformedRecord(path=path, record=f"line {line}", field=col, reason="empty")
    return rows


def _confidence(path: Path) -> dict[str, int]:
    out: dict[str, int] = {}
    for line, row in enumerate(_csv_rows(path, ("id", "level")), start=2):
        try:
            out[row["id"].strip()] = int(row["level"].strip())  # "unknown" is written " 5"
        except ValueError as exc:
            raise MalformedRecord(
                path=path, record=f"line {line}", field="level", reason="not an integer"
            ) from exc
    return out


def load_taxonomy(graphsense_dir: Path | None = None, dwva_dir: Path | None = None) -> Taxonomy:
    """Load GraphSense taxonomy files (default: the embedded copy), plus DW-VA if given.

    DW-VA concepts whose ids GraphSense also defines keep GraphSense's definition.
    """
    base = graphsense_dir or EMBEDDED
    concepts, title, version = _concepts(base / "concepts.yaml")
    schemes = {title: version}
    if dwva_dir is not None:
        for name in ("entities.yaml", "abuses.yaml"):
            extra, extra_title, extra_version = _concepts(dwva_dir / name)
            schemes[extra_title] = extra_version
            concepts = {**extra, **concepts}
    return Taxonomy(
        concepts=concepts,
        confidence=_confidence(base / "confidence.csv"),
        tag_types=frozenset(r["id"].strip() for r in _csv_rows(base / "tag_types.csv", ("id",))),
        countries=frozenset(r["id"].strip() for r in _csv_rows(base / "countries.csv", ("id",))),
        schemes=schemes,
    )


@cache
def default_taxonomy() -> Taxonomy:
    """The embedded GraphSense taxonomy, loaded once."""
    return load_taxonomy()
