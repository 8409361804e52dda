"""trace account on real Ethereum blocks 17,173,049-050 (USDT and ether)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chainsleuth.chain.readers import read_ethereum_etl
from chainsleuth.cli.trace import trace_app
from chainsleuth.store import open_store
from tests.cli.conftest import run_json
from tests.conftest import DATA

USDT = "0xdac17f958d2ee523a2206206994597c13d831ec7"
TX = "0xd4afff4fe5b2a36d608d49a76878360c49f2fdc07793415b29ab61202d30080e"
RECEIVER = "0x1f87bc6687c52200aad234b7055568e92c943c46"


@pytest.fixture(scope="module")
def eth_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("eth") / "store"
    store = open_store(root)
    folder = DATA / "eth-ethereum-etl" / "test_stream" / "blocks_17173049_17173050"
    store.ingest(read_ethereum_etl(folder), chain="eth")
    store.build_index("eth")
    return root


def test_a_usdt_transfer_taints_its_receiver(eth_store: Path) -> None:
    r = run_json(trace_app, eth_store, "account", TX, "--token", USDT, "--model", "fifo")
    assert r["start_taint"] == 30_000_000  # 30 USDT in base units (6 decimals)
    (row,) = r["by_address"]
    assert r["addresses"][str(row["id"])].lower() == RECEIVER
    assert (row["received"], row["held"], row["first_hop"]) == (30_000_000, 30_000_000, 0)
    assert list(r["txids"].values()) == [TX.removeprefix("0x")]


def test_account_trace_errors_are_one_line(eth_store: Path) -> None:
    result = CliRunner().invoke(trace_app, ["account", "0x" + "00" * 32, "--store", str(eth_store)])
    assert result.exit_code == 1 and "not stored" in result.stderr
    wrong = CliRunner().invoke(trace_app, ["utxo", "abc", "--store", str(eth_store)])
    assert wrong.exit_code == 1 and "utxo chain" in wrong.stderr


ETH_TX = "0xa306d2e8b231e4f9e9375848c32da2f9dd14bbd23792fd4bbdb12c673a1f6b99"
ETH_WEI = 1_670_681_327_958_880_880  # above 2**53: float64 would say ...880_768


def test_exact_ether_amounts_are_exact_strings(eth_store: Path, tmp_path: Path) -> None:
    flt = run_json(trace_app, eth_store, "account", ETH_TX, "--model", "fifo")
    assert flt["exact"] is False and flt["start_taint"] == float(ETH_WEI)
    out = tmp_path / "trace.json"
    r = run_json(trace_app, eth_store, "account", ETH_TX, "--model", "fifo", "--exact",
                 "--export", str(out))  # fmt: skip
    assert r["exact"] is True and r["start_taint"] == str(ETH_WEI)
    assert r["items"][0]["taint"] == r["items"][0]["value"] == str(ETH_WEI)
    (row,) = [x for x in r["by_address"] if x["first_hop"] == 0]
    assert row["received"] == str(ETH_WEI)
    assert json.loads(out.read_text())["trace"]["ended"]["held"] == str(ETH_WEI)
    receiver = r["addresses"][str(row["id"])]
    big = str(10**24 + 1)  # more than the address holds: the data's balance is raised to it
    back = run_json(trace_app, eth_store, "account", receiver, "--amount", big, "--exact",
                    "--backward", "--model", "haircut")  # fmt: skip
    assert back["start_taint"] == big and back["ended"]["held"] == big


def test_exact_amount_must_be_whole(eth_store: Path) -> None:
    args = ["account", ETH_TX, "--exact", "--amount", "1.5", "--store", str(eth_store)]
    result = CliRunner().invoke(trace_app, args)
    assert result.exit_code == 1 and "whole number of base units" in result.stderr
    result = CliRunner().invoke(trace_app, [*args[:3], "--amount", "lots"])
    assert result.exit_code == 2
