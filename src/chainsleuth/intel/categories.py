"""One category per ``addr_id`` of a chain: intel tags and sanctions joined to the store.

The intel store keys addresses as ``(namespace, key)`` (:mod:`chainsleuth.intel.keys`);
the chain store numbers them with ``addr_id`` in its ``<chain>_addresses`` view. One
DuckDB join over the store connection turns every tag and every entry of a list in force
into *hits* ``(addr_id, category, label, ...)``: a tag gives its ``category`` and its
``abuse`` (when they differ), a sanctions entry the category ``sanctioned``.

An address with several categories keeps the one ranked first by ``priority`` (a risk
policy's categories, heaviest first; unranked names follow alphabetically), so codes are
ranks: code ``i + 1`` is ``names[i]``, 0 is "no category". With ``clusters`` every member
of a cluster takes the best category of its tagged members (GraphSense-style propagation);
the hits keep which address carried the tag.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from chainsleuth.errors import Invalid
from chainsleuth.intel.store import IntelStore
from chainsleuth.store import ChainStore

SANCTIONED = "sanctioned"
NO_CODE = np.uint16(0)
U16 = npt.NDArray[np.uint16]
U32 = npt.NDArray[np.uint32]

_HITS = """
WITH hits AS (
  SELECT namespace, key, category, label, actor, pack AS source, confidence_level, 'tag' AS kind
    FROM tags WHERE category IS NOT NULL AND confidence_level >= $min_confidence
  UNION ALL
  SELECT namespace, key, abuse, label, actor, pack, confidence_level, 'tag'
    FROM tags WHERE abuse IS NOT NULL AND abuse IS DISTINCT FROM category
    AND confidence_level >= $min_confidence
  UNION ALL
  SELECT namespace, key, 'sanctioned', entry_name, NULL, list || ' v' || version,
    100::SMALLINT, 'sanction'
    FROM sanctions WHERE (list, version) IN (SELECT (list, version) FROM current))
SELECT a.addr_id, h.category, h.label, h.actor, h.source, h.confidence_level, h.kind
FROM hits h JOIN {chain}_addresses a ON {match}
ORDER BY a.addr_id, h.kind DESC, h.confidence_level DESC, h.category, h.label
"""
# a btc key is the script-type byte + payload; the UTXO view stores them apart
_MATCH = {
    "utxo": "h.namespace = 'btc' AND octet_length(h.key) > 1"
    " AND a.script_type = ('0x' || substring(hex(h.key), 1, 2))::UTINYINT"
    " AND a.payload = unhex(substring(hex(h.key), 3))",
    "account": "h.namespace = 'evm' AND a.address = h.key",
}


@dataclass(frozen=True, eq=False)
class CategoryMap:
    """Category code per ``addr_id`` (``codes``; 0 none, ``i + 1`` is ``names[i]``).

    ``hits``: one row per tag or list entry found on an address of the chain
    (``addr_id``, ``category``, ``label``, ``actor``, ``source``, ``confidence_level``,
    ``kind`` = tag or sanction). ``cluster_of``: the clusters used for propagation, if any.
    """

    names: tuple[str, ...]
    codes: U16
    hits: pa.Table
    cluster_of: U32 | None = None

    def name(self, code: int) -> str | None:
        return self.names[code - 1] if code else None

    def code(self, name: str) -> int:
        return self.names.index(name) + 1 if name in self.names else 0

    def tags_of(self, addr_id: int) -> list[dict[str, Any]]:
        """The hits that gave ``addr_id`` its category: its own, else its cluster's."""
        own = self.hits.filter(pc.equal(self.hits["addr_id"], addr_id))
        if own.num_rows or self.cluster_of is None:
            return _records(own, via=None)
        members = np.flatnonzero(self.cluster_of == self.cluster_of[addr_id]).astype(np.uint32)
        found = self.hits.filter(pc.is_in(self.hits["addr_id"], value_set=pa.array(members)))
        return _records(found, via="cluster")


def _records(hits: pa.Table, *, via: str | None) -> list[dict[str, Any]]:
    return [{**r, "via": via} for r in hits.to_pylist()]


def _ranked(found: Sequence[str], priority: Sequence[str]) -> tuple[str, ...]:
    rank = {name: i for i, name in enumerate(priority)}
    return tuple(sorted(set(found), key=lambda c: (rank.get(c, len(rank)), c)))


def _hits(store: ChainStore, intel: IntelStore, chain: str, min_confidence: int) -> pa.Table:
    family = store.family(chain)
    versions = intel.current_versions()
    current = pa.table(
        {
            "list": pa.array(list(versions), pa.string()),
            "version": pa.array(list(versions.values()), pa.int32()),
        }
    )
    with store.connect() as con:
        con.register("tags", intel.table("tags"))
        con.register("sanctions", intel.table("sanctions"))
        con.register("current", current)
        sql = _HITS.format(chain=chain, match=_MATCH[family])
        return con.sql(sql, params={"min_confidence": min_confidence}).to_arrow_table()


def _spread(codes: U16, cluster_of: U32) -> U16:
    """Every address takes the best (lowest non-zero) code of its cluster."""
    best = np.full(len(codes), np.iinfo(np.uint16).max, np.uint16)
    tagged = np.flatnonzero(codes)
    np.minimum.at(best, cluster_of[tagged], codes[tagged])
    out = best[cluster_of]
    out[out == np.iinfo(np.uint16).max] = NO_CODE
    return out


def category_map(
    store: ChainStore,
    intel: IntelStore,
    chain: str,
    *,
    n_addresses: int | None = None,
    clusters: U32 | None = None,
    min_confidence: int = 0,
    priority: Sequence[str] = (),
) -> CategoryMap:
    """Build the category of every address of ``chain`` from the intel store.

    ``n_addresses``: length of the array (the graph's; default: the store's addresses).
    ``clusters``: cluster id per addr_id, to spread categories over clusters.
    ``priority``: category names, most important first (ties between an address's hits).
    """
    hits = _hits(store, intel, chain, min_confidence)
    if n_addresses is None:
        with store.connect() as con:
            row = con.execute(f"SELECT coalesce(max(addr_id) + 1, 0) FROM {chain}_addresses")
            n_addresses = int(row.fetchone()[0])  # type: ignore[index]
    names = _ranked(hits["category"].to_pylist(), priority)
    if len(names) >= np.iinfo(np.uint16).max:
        raise Invalid(f"{len(names)} categories do not fit a uint16 code")
    lookup = pa.array(names, pa.string())
    hit_codes = np.asarray(pc.index_in(hits["category"], value_set=lookup), np.uint16) + 1
    addr = np.asarray(hits["addr_id"], np.int64)
    codes = np.full(n_addresses, np.iinfo(np.uint16).max, np.uint16)
    keep = addr < n_addresses  # addresses the graph has not indexed yet
    np.minimum.at(codes, addr[keep], hit_codes[keep])
    codes[codes == np.iinfo(np.uint16).max] = NO_CODE
    if clusters is not None:
        cluster_of = np.asarray(clusters, np.uint32)
        if len(cluster_of) != n_addresses:
            raise Invalid(f"{len(cluster_of)} cluster ids for {n_addresses} addresses")
        codes = _spread(codes, cluster_of)
        return CategoryMap(names, codes, hits, cluster_of)
    return CategoryMap(names, codes, hits)


def sanctioned_in_store(store: ChainStore, intel: IntelStore) -> list[dict[str, Any]]:
    """Re-screen every chain of the store against the sanctions lists in force.

    One row per stored address that a list entry names: chain, addr_id, address text,
    the entry and the list version that matched. Run after a list changes, so a newly
    listed address that already moved money here is found at once.
    """
    found: list[dict[str, Any]] = []
    for info in store.chains():
        hits = _hits(store, intel, info.name, 0).filter(pc.equal(pc.field("kind"), "sanction"))
        ids = sorted(set(hits["addr_id"].to_pylist()))
        texts = store.address_labels(info.name, ids)
        for row in hits.select(["addr_id", "label", "source"]).to_pylist():
            found.append({
                "chain": info.name,
                "addr_id": row["addr_id"],
                "address": texts.get(row["addr_id"]),
                "entry": row["label"],
                "list": row["source"],
            })  # fmt: skip
    return found
