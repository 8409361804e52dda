"""trace utxo / peel on the first 590 mainnet blocks, through the real CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import networkx as nx
from typer.testing import CliRunner

from chainsleuth.cli.trace import trace_app
from tests.cli.conftest import run_json

SATOSHI = "12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S"
HAL = "1Q2TWHE3GMdB6BZKafqwxXtWAWgFt5Jvm3"
BLOCK9_COINBASE = "0437cd7f8525ceed2324359c2d0ba26006d92d856a9c20fa0241106ee5a597c9"
HAL_TX = "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16"
NEXT_TX = "a16f3ce4dd5deb92d98ef5cf8afeaf0775ebca408f708b2146c4fb42b41e14be"
BTC = 10**8


def _run(store: Path, *args: str) -> Any:
    return run_json(trace_app, store, *args)


def test_forward_fifo_from_the_block_9_coinbase(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "t.graphml"
    r = _run(store, "utxo", f"{BLOCK9_COINBASE}:0", "--model", "fifo", "--export", str(out))
    assert r["start_taint"] == 50 * BTC
    first = r["txs"][0]
    assert (r["txids"][str(first["tx"])], first["taint_in"], first["hop"]) == (HAL_TX, 50 * BTC, 1)
    assert r["txids"][str(r["txs"][1]["tx"])] == NEXT_TX
    hal = next(a for a in r["by_address"] if r["addresses"][str(a["id"])] == HAL)
    assert (hal["received"], hal["first_hop"]) == (10 * BTC, 1)
    assert r["ended"]["unspent"] + r["ended"]["fee"] == 50 * BTC
    g = nx.read_graphml(out)
    assert g.nodes[f"tx:{first['tx']}"]["kind"] == "tx"


def test_backward_from_hals_coin_ends_at_the_coinbase(store: Path) -> None:
    r = _run(store, "utxo", f"{HAL_TX}:0", "--backward", "--model", "fifo")
    assert r["ended"] == {"origin": 10 * BTC, "unexplained": 0}
    origin = next(i for i in r["items"] if i["status"] == "origin")
    assert r["addresses"][str(origin["address"])] == SATOSHI
    assert origin["runs"] == [[0, 10 * BTC]]  # the first 10 BTC of the 50 BTC coinbase


def test_peel_chain_and_errors(store: Path) -> None:
    r = _run(store, "peel", f"{BLOCK9_COINBASE}:0", "--hops", "2")
    assert [r["txids"][str(t)] for t in r["txs"]] == [HAL_TX, NEXT_TX]
    assert r["values"][str(r["peeled"][0]["output"])] == 10 * BTC
    bad = CliRunner().invoke(trace_app, ["utxo", f"{HAL_TX}:7", "--store", str(store)])
    assert bad.exit_code == 1 and "2 outputs" in bad.stderr
    bad = CliRunner().invoke(trace_app, ["utxo", HAL, "--model", "nope", "--store", str(store)])
    assert bad.exit_code == 2
