"""Screening against the real packs and lists: statuses, list versions, batch files."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pyarrow.csv as pacsv
from tests.intel.conftest import MAY, SEPT

from chainsleuth.intel import (
    IntelStore,
    open_intel,
    read_batch,
    read_sanctions,
    screen_addresses,
    write_result,
)

SANCTIONED = "12QtD5BFwRsdNsAZY76UVE1xyCGNTojH9h"  # YAN, Xiaobing, since before May
ADDED_IN_SEPT = "13JtX4h7G5ZuNK5mFudKGq9DHLvvMFuNuz"
ARCHIVE = "1Archive1n2C579dMsAu3iC6tWzuQJz8dN"  # demo.yaml, organization
RANSOM = "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"  # ransomwhere.yaml
TORNADO = "0x8589427373d6d84e98730d7795d8f6f8731fda16"  # lower case on purpose
CLEAN = "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"


def test_statuses(filled: IntelStore) -> None:
    result = screen_addresses(filled, [SANCTIONED, ARCHIVE, RANSOM, TORNADO, CLEAN, ""])
    recs = result.records()
    assert [r["status"] for r in recs] == [
        "sanctioned",
        "tagged",
        "abuse",
        "sanctioned",
        "clean",
        "invalid",
    ]
    hit = recs[0]["sanctions"][0]
    assert (hit["list"], hit["version"], hit["list_date"], hit["currency"]) == (
        "ofac",
        2,
        "2024-09-27",
        "XBT",
    )
    assert recs[1]["tags"][0]["label"] == "Internet Archive"
    assert recs[1]["tags"][0]["confidence_level"] == 50
    assert recs[2]["tags"][0]["abuse"] == "ransomware"
    assert recs[3]["sanctions"][0]["listed_address"] == "0x8589427373D6D84E98730D7795D8f6f8731FDA16"
    assert {t["pack"] for t in recs[3]["tags"]} >= {"tornado_cash"}
    assert result.counts() == {"sanctioned": 2, "abuse": 1, "tagged": 1, "clean": 1, "invalid": 1}
    assert result.lists == {"ofac": 2}


def test_min_confidence_drops_weak_tags(filled: IntelStore) -> None:
    result = screen_addresses(filled, [ARCHIVE], min_confidence=60)
    assert result.records()[0]["status"] == "clean"


def test_versions_and_rescreen(tmp_path: Path) -> None:
    intel = open_intel(tmp_path / "intel")
    v1, none = intel.add_sanctions(read_sanctions([MAY], list_date=date(2024, 5, 2)))
    assert (v1.version, none) == (1, None)
    before = screen_addresses(intel, [ADDED_IN_SEPT, SANCTIONED]).records()
    assert [r["status"] for r in before] == ["clean", "sanctioned"]
    assert before[1]["sanctions"][0]["version"] == 1
    v2, diff = intel.add_sanctions(read_sanctions([SEPT], list_date=date(2024, 9, 27)))
    assert v2.version == 2 and diff is not None and diff.added.num_rows == 55
    again, no_diff = intel.add_sanctions(read_sanctions([SEPT], list_date=date(2024, 9, 27)))
    assert (again.version, no_diff) == (2, None)  # same files: no new version
    after = screen_addresses(intel, [ADDED_IN_SEPT, SANCTIONED]).records()
    assert [r["status"] for r in after] == ["sanctioned", "sanctioned"]
    assert after[0]["sanctions"][0]["version"] == 2
    assert [(v.name, v.version, v.list_date, v.entries) for v in intel.lists()] == [
        ("sanctioned-addresses", 1, date(2024, 5, 2), 599),
        ("sanctioned-addresses", 2, date(2024, 9, 27), 654),
    ]
    assert intel.sanctions("sanctioned-addresses", 1).entries.num_rows == 599
    files = sorted(p.name for p in (tmp_path / "intel").iterdir())
    assert files == ["manifest.json", "sanctions.2.parquet"]  # old generation removed


def test_batch_csv_and_json(filled: IntelStore, tmp_path: Path) -> None:
    batch = tmp_path / "in.csv"
    batch.write_text(
        f"address,currency\n{SANCTIONED},BTC\n{RANSOM},BTC\n{CLEAN},BTC\n{TORNADO},ETH\n"
    )
    texts, currencies = read_batch(batch)
    result = screen_addresses(filled, texts, currencies=currencies)
    write_result(result, tmp_path / "out.csv")
    flat = pacsv.read_csv(tmp_path / "out.csv").to_pylist()
    assert [r["status"] for r in flat] == ["sanctioned", "abuse", "clean", "sanctioned"]
    assert flat[0]["lists"] == "ofac v2" and flat[0]["currency"] == "BTC"
    assert flat[1]["tag_categories"] == "ransomware"
    write_result(result, tmp_path / "out.json")
    doc = json.loads((tmp_path / "out.json").read_text())
    assert doc["counts"]["sanctioned"] == 2 and doc["lists"] == {"ofac": 2}
    assert doc["results"][3]["namespace"] == "evm"


def test_big_batch(filled: IntelStore) -> None:
    tagged = [a for a in filled.table("tags")["address"].to_pylist() if a]
    sanctioned = (SEPT / "sanctioned_addresses_XBT.txt").read_text().split()
    batch = (sanctioned + tagged) * 2
    result = screen_addresses(filled, batch)
    assert result.rows.num_rows == len(batch)
    counts = result.counts()
    assert counts["sanctioned"] >= 2 * len(sanctioned)
    assert counts["invalid"] == 0
