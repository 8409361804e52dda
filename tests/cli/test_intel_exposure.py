"""``chainsleuth intel exposure|risk|screen-tx`` on the first 590 blocks, in-process."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from chainsleuth.chain.readers.rawblock import read_raw_blocks
from chainsleuth.cli.intel import intel_app
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
