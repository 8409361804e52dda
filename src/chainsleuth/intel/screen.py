"""Screening: addresses in, sanctions matches and tags out, one status per address.

Addresses become store keys (:func:`chainsleuth.intel.keys.address_keys`), then one
DuckDB join against the intel store's Parquet tables: no per-address lookups. Sanctions
come from the version in force of each list, and every match names its list and version,
so a result can be re-checked when a list changes.

Status, worst first: ``sanctioned`` (on a list), ``abuse`` (a tag with an abuse, or a
category under ``abuse`` in the taxonomy, such as ``black_list``), ``tagged`` (other
tags, e.g. an exchange), ``clean`` (nothing known), ``invalid`` (empty input).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa

from chainsleuth.intel.keys import address_keys
from chainsleuth.intel.store import IntelStore
from chainsleuth.intel.taxonomy import Taxonomy, default_taxonomy

STATUSES = ("sanctioned", "abuse", "tagged", "clean", "invalid")

_SQL = """
WITH s AS (
  SELECT q.row, list(struct_pack(list := s.list, version := s.version, list_date := s.list_date,
         entry_id := s.entry_id, entry_name := s.entry_name, program := s.program,
         currency := s.currency, listed_address := s.address)
         ORDER BY s.list, s.entry_id) AS sanctions
  FROM q JOIN sanctions s ON q.namespace = s.namespace AND q.key = s.key
  WHERE (s.list, s.version) IN (SELECT (list, version) FROM current)
  GROUP BY q.row),
t AS (
  SELECT q.row, list(struct_pack(label := t.label, category := t.category, abuse := t.abuse,
         actor := t.actor, source := t.source, confidence := t.confidence,
         confidence_level := t.confidence_level, pack := t.pack, currency := t.currency)
         ORDER BY t.confidence_level DESC, t.pack, t.label) AS tags,
         bool_or(t.abuse IS NOT NULL OR list_contains($abuse, t.category)) AS abusive
  FROM q JOIN tags t ON q.namespace = t.namespace AND q.key = t.key
  WHERE t.confidence_level >= $min_confidence
  GROUP BY q.row)
SELECT q.row, q.address, q.currency, q.namespace,
  CASE WHEN q.address = '' OR q.address IS NULL THEN 'invalid'
       WHEN s.sanctions IS NOT NULL THEN 'sanctioned'
       WHEN t.abusive THEN 'abuse' WHEN t.tags IS NOT NULL THEN 'tagged'
       ELSE 'clean' END AS status,
  s.sanctions IS NOT NULL AS sanctioned,
  coalesce(s.sanctions, []) AS sanctions, coalesce(t.tags, []) AS tags
FROM q LEFT JOIN s USING (row) LEFT JOIN t USING (row)
ORDER BY q.row
"""

_FLAT_SQL = """
SELECT address, currency, namespace, status, sanctioned,
  array_to_string(list_transform(sanctions, lambda x: x.list || ' v' || x.version), ' | ') AS lists,
  array_to_string(list_transform(sanctions, lambda x: x.entry_id || ' ' || x.entry_name), ' | ')
    AS entries,
  array_to_string(list_distinct(list_transform(sanctions, lambda x: x.program)), ' | ') AS programs,
  array_to_string(list_transform(tags, lambda x: x.label), ' | ') AS tag_labels,
  array_to_string(list_distinct(list_transform(tags, lambda x: coalesce(x.abuse, x.category))),
    ' | ') AS tag_categories,
  array_to_string(list_distinct(list_transform(tags, lambda x: x.actor)), ' | ') AS tag_actors,
  array_to_string(list_distinct(list_transform(tags, lambda x: x.source)), ' | ') AS tag_sources,
  list_max(list_transform(tags, lambda x: x.confidence_level)) AS max_confidence
FROM result ORDER BY row
"""


@dataclass(frozen=True)
class ScreenResult:
    """One row per screened address (input order) and the list versions screened against."""

    rows: pa.Table
    lists: dict[str, int]

    def counts(self) -> dict[str, int]:
        """How many addresses got each status."""
        got = self.rows.group_by("status").aggregate([("row", "count")]).to_pydict()
        found = dict(zip(got["status"], got["row_count"], strict=True))
        return {s: int(found.get(s, 0)) for s in STATUSES}

    def records(self) -> list[dict[str, Any]]:
        """JSON-ready rows (dates as ISO text)."""
        out: list[dict[str, Any]] = self.rows.drop_columns(["row"]).to_pylist()
        for rec in out:
            for hit in rec["sanctions"]:
                hit["list_date"] = hit["list_date"].isoformat() if hit["list_date"] else None
        return out

    def flat(self) -> pa.Table:
        """One CSV-friendly row per address: list fields joined with `` | ``."""
        con = duckdb.connect()
        con.register("result", self.rows)
        return con.sql(_FLAT_SQL).to_arrow_table()


def _connect(intel: IntelStore) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for name in ("tags", "sanctions"):
        con.register(name, intel.table(name))
    versions = intel.current_versions()
    current = pa.table(
        {
            "list": pa.array(list(versions), pa.string()),
            "version": pa.array(list(versions.values()), pa.int32()),
        }
    )
    con.register("current", current)
    return con


def screen_addresses(
    intel: IntelStore,
    addresses: pa.Array | list[str],
    *,
    currencies: pa.Array | list[str | None] | None = None,
    min_confidence: int = 0,
    taxonomy: Taxonomy | None = None,
) -> ScreenResult:
    """Screen addresses against the lists in force and the tags (``min_confidence`` and up)."""
    tax = taxonomy or default_taxonomy()
    keys = address_keys(addresses, currencies)
    n = keys.num_rows
    cur = pa.array(currencies if currencies is not None else [None] * n, pa.string())
    query = keys.append_column("currency", cur).append_column("row", pa.array(range(n), pa.int64()))
    con = _connect(intel)
    con.register("q", query)
    abuse = sorted(c for c in tax.concepts if tax.is_abuse(c))
    params = {"abuse": abuse, "min_confidence": min_confidence}
    rows = con.sql(_SQL, params=params).to_arrow_table()
    return ScreenResult(rows=rows, lists=intel.current_versions())
