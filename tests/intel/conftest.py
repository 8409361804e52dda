"""Real attribution data (see each folder's SOURCE.md) and an intel store filled from it."""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa
import pytest
from tests.conftest import DATA

from chainsleuth.intel import (
    CategoryMap,
    IntelStore,
    find_packs,
    open_intel,
    read_sanctions,
    read_tagpack,
)

PACKS = DATA / "graphsense-tagpacks" / "packs"
ACTORS = DATA / "graphsense-tagpacks" / "actors" / "graphsense.actorpack.yaml"
TAXONOMIES = DATA / "tag-taxonomies"
SDN = DATA / "ofac-sdn"
MAY = SDN / "0xB10C-lists-2024-05-02"
SEPT = SDN / "0xB10C-lists-2024-09-27"


@pytest.fixture(scope="session")
def filled(tmp_path_factory: pytest.TempPathFactory) -> IntelStore:
    """All real TagPacks, then the 0xB10C lists of May (v1) and September (v2)."""
    intel = open_intel(tmp_path_factory.mktemp("intel"))
    intel.add_tagpacks([read_tagpack(f, pack=pid) for pid, f in find_packs([PACKS])])
    intel.add_sanctions(read_sanctions([MAY], name="ofac", list_date=date(2024, 5, 2)))
    intel.add_sanctions(read_sanctions([SEPT], name="ofac", list_date=date(2024, 9, 27)))
    return intel


def hand_categories(tagged: dict[int, str], names: tuple[str, ...], n: int) -> CategoryMap:
    """A category map of ``n`` addresses with the hand-chosen tags ``tagged`` (tests)."""
    codes = np.zeros(n, np.uint16)
    for addr, name in tagged.items():
        codes[addr] = names.index(name) + 1
    hits = pa.table(
        {
            "addr_id": pa.array(list(tagged), pa.uint32()),
            "category": list(tagged.values()),
            "label": [f"label of {a}" for a in tagged],
            "actor": [None] * len(tagged),
            "source": ["hand"] * len(tagged),
            "confidence_level": pa.array([50] * len(tagged), pa.int16()),
            "kind": ["tag"] * len(tagged),
        }
    )
    return CategoryMap(names, codes, hits)
