"""search neighbours / path on the first 590 mainnet blocks, through the real CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from chainsleuth.cli.search import search_app
from tests.cli.conftest import run_json

SATOSHI = "12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S"
HAL = "1Q2TWHE3GMdB6BZKafqwxXtWAWgFt5Jvm3"
HAL_TX = "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16"


def _run(store: Path, *args: str) -> Any:
    return run_json(search_app, store, *args)


def test_neighbours_of_satoshi_include_the_payment_to_hal(store: Path) -> None:
    r = _run(store, "neighbours", SATOSHI)
    by_address = {n["address"]: n for n in r["nodes"]}
    assert by_address[SATOSHI]["depth"] == 0
    assert by_address[HAL]["depth"] == 1
    edge = next(e for e in r["edges"] if e["target"] == by_address[HAL]["id"])
    assert (edge["source"], edge["value"], edge["tx_count"]) == (r["start"], 10 * 10**8, 1)
    # the 40 BTC change back to Satoshi's address is no link
    assert all(e["source"] != e["target"] for e in r["edges"])
    back = _run(store, "neighbours", HAL, "--direction", "in")
    assert [n["address"] for n in back["nodes"]] == [HAL, SATOSHI]
    assert _run(store, "neighbours", SATOSHI, "--breadth", "1")["edges"][0]["value"] == 10 * 10**8


def test_path_from_satoshi_to_hal_is_the_block_170_payment(store: Path) -> None:
    r = _run(store, "path", SATOSHI, HAL)
    (path,) = r["paths"]
    (hop,) = path["hops"]
    assert (hop["source_address"], hop["target_address"], hop["forward"]) == (SATOSHI, HAL, True)
    assert hop["txs"] == [{"tx": hop["txs"][0]["tx"], "txid": HAL_TX, "value": 10 * 10**8}]
    assert _run(store, "path", HAL, SATOSHI)["paths"] == []
    undirected = _run(store, "path", HAL, SATOSHI, "--undirected")["paths"][0]["hops"][0]
    assert (undirected["forward"], undirected["txs"][0]["txid"]) == (False, HAL_TX)
    listed = _run(store, "path", SATOSHI, HAL, "--all", "--max-depth", "3")
    assert [p["length"] for p in listed["paths"]] == [1]
    # block 170 was mined 2009-01-12 03:30:25 UTC
    assert _run(store, "path", SATOSHI, HAL, "--until", "2009-01-12T03:30:25")["paths"] == []
    assert len(_run(store, "path", SATOSHI, HAL, "--since", "2009-01-12T03:30:25")["paths"]) == 1
    assert _run(store, "path", SATOSHI, HAL, "--min-value", str(10 * 10**8 + 1))["paths"] == []


def test_table_output_and_errors(store: Path) -> None:
    runner = CliRunner()
    shown = runner.invoke(search_app, ["path", SATOSHI, HAL, "--store", str(store)])
    assert shown.exit_code == 0 and "f4184fc5" in shown.stdout
    unknown = runner.invoke(
        search_app, ["neighbours", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "--store", str(store)]
    )
    assert unknown.exit_code == 1
    assert "not seen" in unknown.output
    token = runner.invoke(
        search_app, ["neighbours", SATOSHI, "--token", HAL, "--store", str(store)]
    )
    assert (token.exit_code, "account chains only" in token.output) == (1, True)
    bad = runner.invoke(
        search_app, ["neighbours", SATOSHI, "--direction", "up", "--store", str(store)]
    )
    assert bad.exit_code == 1
