"""Tags on addresses -> tags on their clusters, with provenance and visible conflicts.

Input is arrays, as clustering produces them: the store's ``addr_id`` of each tag's
address (``0xFFFFFFFF`` when the address is not in the store) and ``cluster_of``, the
cluster id of every ``addr_id``. Every tag reaches its address's cluster, remembering
the address and tag row it came from. A cluster whose tags name more than one actor, or
more than one entity category (``category``; abuses such as ransomware do not compete
with an entity type), is marked as a conflict and keeps all of them: nothing is dropped
or voted away. GraphSense's ``is_cluster_definer`` is carried along for the reader.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from chainsleuth.errors import Invalid

NO_ADDR = np.uint32(0xFFFFFFFF)
U32 = npt.NDArray[np.uint32]
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class ClusterTags:
    """Propagated tags (one entry per tag that reached a cluster) and a per-cluster summary.

    ``cluster``, ``addr_id`` and ``tag_row`` are parallel arrays; ``summary`` has one row
    per tagged cluster: ``cluster``, ``tags``, ``addresses``, ``actors``, ``categories``,
    ``abuses``, ``labels``, ``best_label``, ``best_confidence``, ``conflict``.
    """

    cluster: U32
    addr_id: U32
    tag_row: I64
    summary: pa.Table


def propagate_tags(tags: pa.Table, tag_addr_ids: U32, cluster_of: U32) -> ClusterTags:
    """Carry each tag (TAG_SCHEMA row) to the cluster of its address."""
    ids = np.asarray(tag_addr_ids, np.uint32)
    if len(ids) != tags.num_rows:
        raise Invalid(f"{len(ids)} addr_ids for {tags.num_rows} tags")
    known = ids != NO_ADDR
    if known.any() and int(ids[known].max()) >= len(cluster_of):
        raise Invalid(f"addr_id {int(ids[known].max())} beyond cluster_of ({len(cluster_of)})")
    rows = np.flatnonzero(known).astype(np.int64)
    addr = ids[rows]
    cluster = np.asarray(cluster_of, np.uint32)[addr]
    picked = tags.take(pa.array(rows)).select(
        ["label", "category", "abuse", "actor", "confidence_level"]
    )
    picked = picked.append_column("cluster", pa.array(cluster)).append_column(
        "addr_id", pa.array(addr)
    )
    return ClusterTags(cluster=cluster, addr_id=addr, tag_row=rows, summary=_summary(picked))


def _summary(picked: pa.Table) -> pa.Table:
    valid = pc.CountOptions(mode="only_valid")
    order = picked.sort_by([("cluster", "ascending"), ("confidence_level", "descending")])
    grouped = order.group_by("cluster", use_threads=False).aggregate(
        [
            ("label", "count"),
            ("addr_id", "count_distinct"),
            ("actor", "distinct", valid),
            ("category", "distinct", valid),
            ("abuse", "distinct", valid),
            ("label", "distinct"),
            ("label", "first"),
            ("confidence_level", "max"),
        ]
    )
    names = ["tags", "addresses", "actors", "categories", "abuses", "labels", "best_label"]
    grouped = grouped.rename_columns(["cluster", *names, "best_confidence"])
    conflict = pc.or_(
        pc.greater(pc.list_value_length(grouped["actors"]), 1),
        pc.greater(pc.list_value_length(grouped["categories"]), 1),
    )
    return grouped.append_column("conflict", conflict).sort_by("cluster")
