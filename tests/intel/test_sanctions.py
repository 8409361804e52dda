"""OFAC SDN CSV/XML and 0xB10C per-chain lists; versions and diffs; malformed lists."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pyarrow.compute as pc
import pytest
from tests.intel.conftest import MAY, SDN, SEPT

from chainsleuth.errors import MalformedRecord
from chainsleuth.intel import diff_lists, read_sanctions


def test_sdn_csv() -> None:
    sdn = read_sanctions([SDN / "sdn.csv"])
    assert sdn.name == "ofac-sdn"
    distinct = set(
        zip(sdn.entries["currency"].to_pylist(), sdn.entries["address"].to_pylist(), strict=True)
    )
    assert len(distinct) == 287
    per_code = Counter(code for code, _ in distinct)
    assert per_code == {
        "XBT": 196, "ETH": 49, "USDT": 17, "LTC": 4, "TRX": 4, "XMR": 3, "DASH": 3,
        "ZEC": 2, "BCH": 2, "USDC": 2, "BTG": 1, "ETC": 1, "XVG": 1, "ARB": 1, "BSC": 1,
    }  # fmt: skip
    assert len(sdn.warnings) == 6  # addresses cut at the 1,000-character Remarks limit
    assert any("ent_num 37070" in w and "3F6bbvS1krsc1qR8FsbTDfYQyvkMm" in w for w in sdn.warnings)
    yan = sdn.entries.filter(pc.equal(sdn.entries["address"], "12QtD5BFwRsdNsAZY76UVE1xyCGNTojH9h"))
    row = yan.to_pylist()[0]
    assert (row["entry_id"], row["entry_name"], row["program"]) == (
        "25308",
        "YAN, Xiaobing",
        "SDNTK",
    )
    assert row["namespace"] == "btc"
    # the sentence's full stop is not part of the last address
    assert "17a5bpKvEp1j1Trs4qTbcNZrby53JbaS9C" in sdn.entries["address"].to_pylist()


def test_0xb10c_lists_and_diff() -> None:
    may = read_sanctions([MAY], list_date=date(2024, 5, 2)).numbered(1)
    sept = read_sanctions([SEPT], list_date=date(2024, 9, 27)).numbered(2)
    assert may.name == "sanctioned-addresses"
    assert (may.entries.num_rows, sept.entries.num_rows) == (599, 654)
    assert len(sept.sources) == 17  # the .json twins are skipped
    diff = diff_lists(may, sept)
    assert (diff.old_version, diff.new_version) == (1, 2)
    assert diff.removed.num_rows == 0
    assert Counter(diff.added["currency"].to_pylist()) == {
        "XBT": 48,
        "ETH": 2,
        "LTC": 2,
        "TRX": 2,
        "USDT": 1,
    }
    added = diff.added["address"].to_pylist()
    assert "13JtX4h7G5ZuNK5mFudKGq9DHLvvMFuNuz" in added
    assert "0x0931cA4D13BB4ba75D9B7132AB690265D749a5E7" in added
    back = diff_lists(sept.numbered(2), may.numbered(3))
    assert back.removed.num_rows == 55 and back.added.num_rows == 0


def test_sdn_csv_covered_by_0xb10c() -> None:
    sdn = read_sanctions([SDN / "sdn.csv"])
    may = read_sanctions([MAY])
    assert diff_lists(may, sdn).added.num_rows == 0


LEGACY_XML = """<?xml version="1.0" standalone="yes"?>
<sdnList xmlns="https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/XML">
  <publshInformation><Publish_Date>05/03/2024</Publish_Date><Record_Count>1</Record_Count></publshInformation>
  <sdnEntry>
    <uid>25308</uid><lastName>YAN</lastName><firstName>Xiaobing</firstName>
    <sdnType>Individual</sdnType>
    <programList><program>SDNTK</program></programList>
    <idList>
      <id><uid>1</uid><idType>Digital Currency Address - XBT</idType>
        <idNumber>12QtD5BFwRsdNsAZY76UVE1xyCGNTojH9h</idNumber></id>
      <id><uid>2</uid><idType>Passport</idType><idNumber>E123</idNumber></id>
    </idList>
  </sdnEntry>
</sdnList>
"""

ADVANCED_XML = """<?xml version="1.0" encoding="utf-8"?>
<Sanctions xmlns="https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/ADVANCED_XML">
  <DateOfIssue><Year>2024</Year><Month>9</Month><Day>27</Day></DateOfIssue>
  <ReferenceValueSets><FeatureTypeValues>
    <FeatureType ID="345" FeatureTypeGroupID="1">Digital Currency Address - ETH</FeatureType>
  </FeatureTypeValues></ReferenceValueSets>
  <DistinctParties><DistinctParty FixedRef="39796"><Profile ID="39796">
    <Identity><Alias Primary="true"><DocumentedName><DocumentedNamePart>
      <NamePartValue>TORNADO CASH</NamePartValue></DocumentedNamePart></DocumentedName></Alias>
    </Identity>
    <Feature ID="1" FeatureTypeID="345"><FeatureVersion>
      <VersionDetail DetailTypeID="1432">0x8589427373D6D84E98730D7795D8f6f8731FDA16</VersionDetail>
    </FeatureVersion></Feature>
  </Profile></DistinctParty></DistinctParties>
  <SanctionsEntries><SanctionsEntry ProfileID="39796"><SanctionsMeasure><Comment>CYBER2</Comment>
  </SanctionsMeasure></SanctionsEntry></SanctionsEntries>
</Sanctions>
"""


def test_legacy_xml(tmp_path: Path) -> None:
    path = tmp_path / "sdn.xml"
    path.write_text(LEGACY_XML)
    lst = read_sanctions([path])
    assert lst.list_date == date(2024, 5, 3)
    cols = ["currency", "address", "entry_id", "entry_name", "program"]
    assert lst.entries.select(cols).to_pylist() == [
        {"currency": "XBT", "address": "12QtD5BFwRsdNsAZY76UVE1xyCGNTojH9h", "entry_id": "25308",
         "entry_name": "YAN, Xiaobing", "program": "SDNTK"}
    ]  # fmt: skip


def test_advanced_xml(tmp_path: Path) -> None:
    path = tmp_path / "sdn_advanced.xml"
    path.write_text(ADVANCED_XML)
    lst = read_sanctions([path])
    assert lst.list_date == date(2024, 9, 27)
    row = lst.entries.to_pylist()[0]
    assert (row["entry_id"], row["entry_name"], row["program"]) == (
        "39796",
        "TORNADO CASH",
        "CYBER2",
    )
    assert row["namespace"] == "evm" and row["currency"] == "ETH"


def test_xml_bomb_rejected(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xml"
    path.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>\n<sdnList>&lol2;</sdnList>\n'
    )
    with pytest.raises(MalformedRecord, match=r"bomb.xml: record document: refused XML"):
        read_sanctions([path])


def test_broken_xml(tmp_path: Path) -> None:
    path = tmp_path / "sdn.xml"
    path.write_text("<sdnList>\n<sdnEntry>\n</sdnList>\n")
    with pytest.raises(MalformedRecord, match=r"sdn.xml: record line 3, column \d+: bad XML"):
        read_sanctions([path])


def test_csv_wrong_columns(tmp_path: Path) -> None:
    path = tmp_path / "sdn.csv"
    path.write_bytes(b'36,"AEROCARIBBEAN AIRLINES",-0- ,"CUBA"\r\n\x1a')
    with pytest.raises(
        MalformedRecord, match=r"sdn.csv: record line 1, field 'column 5': 4 columns"
    ):
        read_sanctions([path])


def test_plain_list_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "sanctioned_addresses_ETH.txt"
    path.write_text("0x8589427373D6D84E98730D7795D8f6f8731FDA16\nnot an address\n")
    with pytest.raises(MalformedRecord, match=r"record line 2, field 'address'"):
        read_sanctions([path])


def test_plain_json_list_not_array(tmp_path: Path) -> None:
    path = tmp_path / "sanctioned_addresses_ETH.json"
    path.write_text('{"a": 1}')
    with pytest.raises(MalformedRecord, match=r"not an array of text"):
        read_sanctions([path])
