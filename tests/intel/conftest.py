"""Real attribution data (see each folder's SOURCE.md) and an intel store filled from it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from chainsleuth.intel import IntelStore, find_packs, open_intel, read_sanctions, read_tagpack

DATA = Path("/work/shared/data")
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
