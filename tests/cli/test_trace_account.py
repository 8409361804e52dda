"""trace account on real Ethereum blocks 17,173,049-050 (USDT and ether)."""

from __future__ import annotations

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
