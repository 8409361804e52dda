"""Tag propagation to clusters on a hand-drawn case: provenance and conflicts."""

from __future__ import annotations

import numpy as np
import pytest

from chainsleuth.errors import Invalid
from chainsleuth.intel import propagate_tags, tag_table

NO = 0xFFFFFFFF


def _tags() -> list[dict[str, object]]:
    base = {"source": "s", "currency": "BTC", "confidence": "service_data"}
    return [
        {**base, "address": "a0", "label": "Huobi", "category": "exchange", "actor": "huobi"},
        {**base, "address": "a1", "label": "Huobi", "category": "exchange", "actor": "huobi"},
        {**base, "address": "a2", "label": "Binance", "category": "exchange", "actor": "binance"},
        {
            **base,
            "address": "a3",
            "label": "Locky",
            "abuse": "ransomware",
            "confidence": "forensic_investigation",
        },
        {**base, "address": "a4", "label": "offline", "category": "exchange"},
    ]


def test_propagation_with_conflict() -> None:
    tags = tag_table(_tags(), pack="hand")
    # addresses 0,1 -> cluster 0; 2,3 -> cluster 0 too (a merge), 5 -> cluster 5; a4 not stored
    cluster_of = np.array([0, 0, 0, 0, 5, 5], np.uint32)
    got = propagate_tags(tags, np.array([0, 1, 2, 5, NO], np.uint32), cluster_of)
    assert got.tag_row.tolist() == [0, 1, 2, 3]
    assert got.addr_id.tolist() == [0, 1, 2, 5]
    assert got.cluster.tolist() == [0, 0, 0, 5]
    rows = got.summary.to_pylist()
    assert [r["cluster"] for r in rows] == [0, 5]
    zero, five = rows
    assert zero["conflict"] is True and sorted(zero["actors"]) == ["binance", "huobi"]
    assert (zero["tags"], zero["addresses"]) == (3, 3)
    assert five["conflict"] is False and five["abuses"] == ["ransomware"]
    assert (five["best_label"], five["best_confidence"]) == ("Locky", 70)


def test_bad_lengths() -> None:
    tags = tag_table(_tags(), pack="hand")
    with pytest.raises(Invalid, match="4 addr_ids for 5 tags"):
        propagate_tags(tags, np.zeros(4, np.uint32), np.zeros(1, np.uint32))
    with pytest.raises(Invalid, match="beyond cluster_of"):
        propagate_tags(tags, np.array([0, 1, 2, 9, NO], np.uint32), np.zeros(3, np.uint32))
