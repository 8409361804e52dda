"""TagPack and ActorPack import against the real GraphSense packs; malformed packs."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pyarrow.compute as pc
import pytest
from tests.intel.conftest import ACTORS, PACKS

from chainsleuth.errors import MalformedRecord
from chainsleuth.intel import find_packs, read_actorpack, read_tagpack


def test_all_packs_tag_counts_and_abuses() -> None:
    packs = {pid: read_tagpack(f, pack=pid) for pid, f in find_packs([PACKS])}
    assert len(packs) == 58
    counts = {pid: p.tags.num_rows for pid, p in packs.items()}
    assert sum(counts.values()) == 24_661
    assert counts["ransomwhere"] == 7_457
    assert counts["etherscamdb_tagpack"] == 3_117
    assert counts["defi_updated/defi-protocols_aave"] == 31
    abuses = Counter(a for p in packs.values() for a in p.tags["abuse"].to_pylist() if a)
    assert abuses["ransomware"] == 14_635
    assert abuses["sanction"] == 27
    currencies = Counter(c for p in packs.values() for c in p.tags["currency"].to_pylist())
    assert (currencies["BTC"], currencies["ETH"]) == (17_575, 6_763)


def test_header_fields_are_inherited() -> None:
    demo = read_tagpack(PACKS / "demo.yaml").tags.to_pylist()
    assert [t["currency"] for t in demo] == ["BTC", "BCH", "ETH", "XRP", "ZEC"]
    eth = demo[2]
    assert eth["address"] == "0xFA8E3920daF271daB92Be9B87d9998DDd94FEF08"
    assert eth["label"] == "Internet Archive" and eth["actor"] == "internet_archive"
    assert eth["category"] == "organization" and eth["is_cluster_definer"] is True
    assert (
        eth["namespace"] == "evm" and eth["key"].hex() == "fa8e3920daf271dab92be9b87d9998ddd94fef08"
    )
    assert eth["network"] == "ETH"  # filled from currency
    assert demo[0]["namespace"] == "btc" and demo[1]["namespace"] == "text"  # BCH is not BTC


def test_confidence_scores() -> None:
    wallet = read_tagpack(PACKS / "walletexplorer.yaml").tags
    assert set(wallet["confidence"].to_pylist()) == {"service_data"}
    assert set(wallet["confidence_level"].to_pylist()) == {50}
    assert wallet["label"][0].as_py() == "Huobi.com"
    ofac = read_tagpack(PACKS / "ofac.yaml").tags
    assert ofac.num_rows == 572
    assert set(ofac["confidence"].to_pylist()) == {"unknown"}  # the pack sets none
    assert set(ofac["confidence_level"].to_pylist()) == {5}
    usdt = read_tagpack(PACKS / "usdt_blacklist.yaml").tags
    assert set(usdt["confidence_level"].to_pylist()) == {100}
    assert '"token": "USDT"' in usdt["context"][0].as_py()


def test_tornado_cash() -> None:
    tags = read_tagpack(PACKS / "tornado_cash.yaml").tags
    assert tags.num_rows == 39
    assert tags["address"][0].as_py() == "0x8589427373D6D84E98730D7795D8f6f8731FDA16"
    assert set(tags["category"].to_pylist()) == {"mixing_service"}
    assert pc.all(pc.equal(tags["namespace"], "evm")).as_py()


def test_actorpack() -> None:
    pack = read_actorpack(ACTORS)
    assert pack.actors.num_rows == 3_813
    assert pack.header["title"] == "Graphsense Actors"
    binance = pack.actors.filter(pc.equal(pack.actors["id"], "binance")).to_pylist()[0]
    assert binance["label"] == "Binance" and binance["uri"] == "binance.com"
    assert sorted(binance["categories"]) == [
        "defi_dex",
        "exchange",
        "mining_service",
        "organization",
    ]
    assert len(binance["jurisdictions"]) == 16
    # concepts.yaml keys the concept "defi_derivatives" but its id is "defi_derivative",
    # so those actors are fine; only actors with no category at all are reported.
    assert pack.warnings and all(w.endswith("no categories") for w in pack.warnings)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pack.yaml"
    path.write_text(text)
    return path


HEADER = "title: t\ncreator: c\nsource: s\nlabel: l\ncurrency: ETH\n"


def test_bad_yaml(tmp_path: Path) -> None:
    with pytest.raises(MalformedRecord, match=r"pack.yaml: record line 4: bad YAML"):
        read_tagpack(_write(tmp_path, "title: t\ncreator: c\ntags: [\n  - a: b\n"))


def test_missing_title(tmp_path: Path) -> None:
    with pytest.raises(MalformedRecord, match=r"record header, field 'title'"):
        read_tagpack(_write(tmp_path, "creator: c\ntags: []\n"))


def test_unknown_category(tmp_path: Path) -> None:
    text = HEADER + "tags:\n- address: '0x" + "ab" * 20 + "'\n  category: bogus\n"
    with pytest.raises(MalformedRecord, match=r"record tag 0, field 'category': 'bogus'"):
        read_tagpack(_write(tmp_path, text))


def test_unknown_confidence(tmp_path: Path) -> None:
    text = HEADER + "confidence: sure\ntags:\n- address: x1\n"
    with pytest.raises(MalformedRecord, match=r"field 'confidence'"):
        read_tagpack(_write(tmp_path, text))


def test_unquoted_hex_address(tmp_path: Path) -> None:
    text = HEADER + "tags:\n- address: 0x12\n"  # YAML reads an int
    with pytest.raises(MalformedRecord, match=r"record tag 0, field 'address': not text"):
        read_tagpack(_write(tmp_path, text))


def test_duplicate_actor(tmp_path: Path) -> None:
    actor = "- {id: a, uri: u, label: A, categories: [exchange]}\n"
    path = _write(tmp_path, "title: t\ncreator: c\nactors:\n" + actor * 2)
    with pytest.raises(MalformedRecord, match=r"record actor 1, field 'id': duplicate"):
        read_actorpack(path)
