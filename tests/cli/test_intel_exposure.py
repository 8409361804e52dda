"""``chainsleuth intel exposure|risk|screen-tx`` on the first 590 blocks, in-process; and
exposure and risk in USDT on Ethereum blocks 17,173,049-050."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from chainsleuth.chain.readers import read_ethereum_etl
from chainsleuth.chain.readers.rawblock import read_raw_blocks
from chainsleuth.cli.intel_risk import intel_app  # registers exposure, risk, screen-tx
from chainsleuth.intel import open_intel, read_tagpack
from chainsleuth.store import open_store
from tests.conftest import DATA
from tests.intel.test_categories import DUD, HAL, HAL_TX, SATOSHI, fill

BTC = 10**8


@pytest.fixture(scope="module")
def dirs(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    root = tmp_path_factory.mktemp("cli-exposure")
    store = open_store(root / "store")
    store.ingest(
        read_raw_blocks(DATA / "btc-blocks-hadoopcryptoledger" / "firstblocks.blk"), chain="btc"
    )
    store.build_index("btc")
    fill(root)
    return ["--store", str(root / "store"), "--intel", str(root / "intel")]


def run(dirs: list[str], *args: str) -> Result:
    return CliRunner().invoke(intel_app, [*args, *dirs], env={"COLUMNS": "200"})


def as_json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_exposure(dirs: list[str]) -> None:
    got = as_json(run(dirs, "exposure", HAL, "--hops", "2", "--direction", "in", "--json"))
    assert (got["max_hops"], got["model"], got["outgoing"]) == (2, "haircut", None)
    incoming = got["incoming"]
    assert incoming["total"] == 10 * BTC
    assert [(c["category"], c["direct"], c["share"]) for c in incoming["categories"]] == [
        ("ransomware", 10 * BTC, 1.0)
    ]
    (who,) = incoming["contributors"]
    assert got["addresses"][str(who["addr_id"])] == SATOSHI
    assert [got["txids"][str(t)] for t in who["path"]] == [HAL_TX]
    table = run(dirs, "exposure", SATOSHI, "--model", "fifo")
    assert table.exit_code == 0 and "sanctioned" in table.stdout and "untagged" in table.stdout


def test_risk_explains_and_policy_errors(dirs: list[str], tmp_path: Path) -> None:
    got = as_json(run(dirs, "risk", SATOSHI, "--json"))
    assert (got["level"], got["score"], got["policy"]) == ("severe", 100.0, "chainsleuth default")
    top = got["contributions"][0]
    assert (top["category"], top["direction"], top["kind"]) == ("sanctioned", "outgoing", "direct")
    assert got["addresses"][str(top["addresses"][0]["addr_id"])] == DUD
    assert top["addresses"][0]["tags"][0]["source"] == "sanctioned-addresses v1"
    table = run(dirs, "risk", HAL)
    assert table.exit_code == 0
    assert "HIGH" in table.stdout and "block 9 miner (test tag)" in table.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text("[categories]\nscam = { weight = 500 }\n")
    failed = run(dirs, "risk", HAL, "--policy", str(bad))
    assert failed.exit_code == 1 and "categories.scam.weight" in failed.stderr


def test_screen_tx(dirs: list[str]) -> None:
    plain = as_json(run(dirs, "screen-tx", HAL_TX, "--json"))
    assert [(p["role"], p["address"], p["status"]) for p in plain["parties"]] == [
        ("input", SATOSHI, "abuse"),
        ("output", HAL, "clean"),
        ("output", SATOSHI, "abuse"),
    ]
    scored = as_json(run(dirs, "screen-tx", HAL_TX, "--exposure", "--json"))
    assert [p["risk"]["level"] for p in scored["parties"]] == ["severe", "high", "severe"]
    table = run(dirs, "screen-tx", HAL_TX, "--exposure")
    assert table.exit_code == 0 and "severe (100)" in table.stdout
    missing = run(dirs, "screen-tx", "00" * 32)
    assert missing.exit_code == 1 and "error" in missing.stderr


def test_a_new_list_version_is_rescreened_against_the_store(
    dirs: list[str], tmp_path: Path
) -> None:
    listed = tmp_path / "sanctioned_addresses_XBT.txt"
    listed.write_text(f"{DUD}\n{HAL}\n")
    got = as_json(run(dirs, "import-sanctions", str(listed), "--json"))
    assert [a["address"] for a in got["added"]] == [HAL]
    seen = {(s["chain"], s["address"]) for s in got["seen_on_chain"]}
    assert seen == {("btc", DUD), ("btc", HAL)}
    assert all(s["list"].endswith(f"v{got['version']}") for s in got["seen_on_chain"])
    table = run(dirs, "import-sanctions", str(listed))
    assert table.exit_code == 0 and "re-screened" in table.stdout and HAL in table.stdout


USDT = "0xdac17f958d2ee523a2206206994597c13d831ec7"
# in tx 0xdf39c831...: 491 pays 108,714.272823 USDT to 492, which pays 108,453.358568 on
PAYER = "0xB3C839dbde6B96D37C56ee4f9DAd3390D49310Aa"
MIDDLE = "0xfD6C2d2499b1331101726A8AC68CCc9Da3fAB54F"
TAGGED = "0x45f46DbF5924AD21B7e41Ce359f401492e7F6eF5"
USDT_TX = "df39c8315cb99faf95f48374aa075873c29e5c121158dbe20d7cf5dcdfec9738"
ETH_PACK = f"""title: eth exposure test pack
creator: chainsleuth tests
source: https://example.org/eth-exposure-test
currency: ETH
confidence: forensic
tags:
  - address: "{TAGGED}"
    label: USDT receiver (test tag)
    category: perpetrator
    abuse: scam
"""


@pytest.fixture(scope="module")
def eth_dirs(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    root = tmp_path_factory.mktemp("cli-exposure-eth")
    store = open_store(root / "store")
    folder = DATA / "eth-ethereum-etl" / "test_stream" / "blocks_17173049_17173050"
    store.ingest(read_ethereum_etl(folder), chain="eth")
    store.build_index("eth")
    (root / "eth.yaml").write_text(ETH_PACK)
    open_intel(root / "intel").add_tagpacks([read_tagpack(root / "eth.yaml", pack="eth")])
    return ["--store", str(root / "store"), "--intel", str(root / "intel"), "--chain", "eth"]


def test_usdt_exposure_direct_and_indirect(eth_dirs: list[str]) -> None:
    got = as_json(run(eth_dirs, "exposure", MIDDLE, "--token", USDT, "--json"))
    assert got["chain"] == "eth" and got["addresses"][str(got["token"])].lower() == USDT
    out = got["outgoing"]
    assert out["total"] == 108_453_358_568  # its one USDT payment, to the tagged address
    assert [(c["category"], c["direct"], c["share"]) for c in out["categories"]] == [
        ("scam", 108_453_358_568, 1.0)
    ]
    (who,) = out["contributors"]
    assert got["addresses"][str(who["addr_id"])] == TAGGED
    assert [got["txids"][str(t)] for t in who["path"]] == [USDT_TX]
    assert got["incoming"]["total"] == 108_714_272_823  # all from PAYER, untagged
    assert got["incoming"]["categories"] == []
    payer = as_json(
        run(eth_dirs, "exposure", PAYER, "--token", USDT, "--json", "--direction", "out")
    )
    (scam,) = payer["outgoing"]["categories"]
    assert (scam["direct"], scam["first_hop"]) == (0, 2)
    assert scam["indirect"] == pytest.approx(108_453_358_568, rel=1e-9)
    assert payer["outgoing"]["untagged"] == {"held": pytest.approx(260_914_255, rel=1e-6)}


def test_usdt_risk_and_the_native_coin_apart(eth_dirs: list[str]) -> None:
    risk = as_json(run(eth_dirs, "risk", MIDDLE, "--token", USDT, "--json"))
    assert (risk["level"], risk["score"]) == ("high", 65.0)  # direct scam, in full
    top = risk["contributions"][0]
    assert (top["category"], top["direction"], top["kind"]) == ("scam", "outgoing", "direct")
    table = run(eth_dirs, "risk", PAYER, "--token", USDT)
    assert table.exit_code == 0 and "MEDIUM" in table.stdout and "108,453,358,568" in table.stdout
    ether = as_json(run(eth_dirs, "exposure", MIDDLE, "--json"))
    assert all(not ether[d]["categories"] for d in ("incoming", "outgoing"))
    wrong = run(eth_dirs, "exposure", MIDDLE, "--cluster")
    assert wrong.exit_code == 1 and "--cluster is for UTXO chains" in wrong.stderr


def test_token_on_a_utxo_chain_is_refused(dirs: list[str]) -> None:
    failed = run(dirs, "exposure", HAL, "--token", USDT)
    assert failed.exit_code == 1 and "--token is for account chains" in failed.stderr


def test_screen_tx_with_exposure_on_an_account_chain(eth_dirs: list[str]) -> None:
    tx = "0xd4afff4fe5b2a36d608d49a76878360c49f2fdc07793415b29ab61202d30080e"
    got = as_json(run(eth_dirs, "screen-tx", tx, "--exposure", "--json"))
    parties = got["parties"]
    assert parties and all("risk" in p for p in parties)
    assert {p["risk"]["level"] for p in parties} <= {"severe", "high", "medium", "low", "none"}
