"""ingest, stats and show on the real mainnet samples, through the real CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import Run, as_json

HAL_TX = "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16"
GENESIS_ADDRESS = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"


@pytest.fixture
def first_blocks(data_dir: Path) -> Path:
    return data_dir / "btc-blocks-hadoopcryptoledger" / "firstblocks.blk"


def test_ingest_first_590_blocks_and_show_the_first_payment(cli: Run, first_blocks: Path) -> None:
    report = as_json(cli("ingest", str(first_blocks), "--json"))
    assert (report["chain"], report["blocks_added"], report["txs_added"]) == ("btc", 590, 605)
    tx = as_json(cli("show", "tx", HAL_TX, "--json"))
    assert tx["height"] == 170
    assert [(o["value"], o["address"]) for o in tx["outputs"]] == [
        (1_000_000_000, "1Q2TWHE3GMdB6BZKafqwxXtWAWgFt5Jvm3"),
        (4_000_000_000, "12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S"),
    ]
    (spent,) = tx["inputs"]
    assert (spent["value"], spent["address"], spent["resolution"]) == (
        5_000_000_000,
        "12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S",
        "store",
    )
    assert tx["fee"] == 0


def test_stats_and_idempotent_reingest(cli: Run, first_blocks: Path) -> None:
    cli("ingest", str(first_blocks))
    again = as_json(cli("ingest", str(first_blocks), "--json"))
    assert (again["blocks_added"], again["blocks_skipped"]) == (0, 590)
    (btc,) = as_json(cli("stats", "--json"))["chains"]
    assert (btc["blocks"], btc["min_height"], btc["max_height"], btc["gaps"]) == (590, 0, 589, [])
    assert (btc["txs"], btc["unresolved_inputs"], btc["total_fees"]) == (605, 0, 0)


def test_show_address_and_block(cli: Run, first_blocks: Path) -> None:
    cli("ingest", str(first_blocks))
    genesis = as_json(cli("show", "address", GENESIS_ADDRESS, "--json"))
    assert (genesis["received"], genesis["sent"], genesis["balance"]) == (5e9, 0, 5e9)
    block = as_json(cli("show", "block", "170", "--json"))
    assert block["tx_count"] == 2 and HAL_TX in block["txids"]
    text = cli("show", "tx", HAL_TX)
    assert text.exit_code == 0 and "12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S" in text.stdout
    assert "40.00000000 BTC" in text.stdout


def test_ethereum_export_ingest_and_address(cli: Run, data_dir: Path) -> None:
    folder = data_dir / "eth-ethereum-etl/test_export_blocks_job/blocks_with_transactions"
    report = as_json(cli("ingest", str(folder), "--json"))
    assert (report["chain"], report["blocks_added"], report["txs_added"]) == ("eth", 2, 4)
    info = as_json(cli("show", "address", "0xa0e74ae010d51894734c308d612131056bb721ad", "--json"))
    assert info["received"] == str(110 * 10**18)  # beyond 2**53: an exact string


def test_bad_input_is_one_line_and_leaves_the_store_as_it_was(
    cli: Run, first_blocks: Path, tmp_path: Path
) -> None:
    cli("ingest", str(first_blocks))
    before = as_json(cli("stats", "--json"))
    broken = tmp_path / "broken.blk"
    broken.write_bytes(first_blocks.read_bytes()[:5000])
    result = cli("ingest", str(broken))
    assert result.exit_code == 1
    assert "broken.blk" in result.stderr and "Traceback" not in result.stderr
    assert as_json(cli("stats", "--json")) == before
    jobs = as_json(cli("jobs", "list", "--json"))["jobs"]
    assert [j["status"] for j in jobs] == ["failed", "succeeded"]
    assert "broken.blk" in jobs[0]["error"]


def test_missing_file_unknown_tx_and_usage_errors(cli: Run, first_blocks: Path) -> None:
    missing = cli("ingest", "/nonexistent/blk00000.dat")
    assert missing.exit_code == 1 and "/nonexistent/blk00000.dat" in missing.stderr
    cli("ingest", str(first_blocks))
    unknown = cli("show", "tx", "00" * 32)
    assert unknown.exit_code == 1 and "none of the chains" in unknown.stderr
    assert cli("show", "tx").exit_code == 2
    assert cli("ingest", "--no-such-flag").exit_code == 2
