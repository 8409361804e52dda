"""bitcoin-etl JSON lines and BigQuery-style CSV tables, on bitcoin-etl's own expected exports
(../shared/data/btc-rpc-bitcoin-etl, see its SOURCE.md for the facts asserted here)."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from chainsleuth.chain.address import address_text
from chainsleuth.chain.batch import ChainBatch
from chainsleuth.chain.readers.bitcoin_etl import read_bitcoin_etl
from chainsleuth.chain.script import ScriptType
from chainsleuth.errors import MalformedRecord

TABLES = ("blocks", "transactions", "inputs", "outputs")
GENESIS = "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"
CO_SPEND = "7940cdde4d713e171849efc6bd89939185be270266c94e92369e3877ad89455a"
BLOCK_COLUMNS = (
    "hash",
    "size",
    "stripped_size",
    "weight",
    "number",
    "version",
    "merkle_root",
    "timestamp",
    "timestamp_month",
    "nonce",
    "bits",
    "coinbase_param",
    "transaction_count",
)
TX_COLUMNS = (
    "hash",
    "size",
    "virtual_size",
    "version",
    "lock_time",
    "block_hash",
    "block_number",
    "block_timestamp",
    "block_timestamp_month",
    "input_count",
    "output_count",
    "input_value",
    "output_value",
    "is_coinbase",
    "fee",
)
PART_COLUMNS = ("transaction_hash", "block_hash", "block_number", "block_timestamp", "index")
INPUT_COLUMNS = (
    *PART_COLUMNS,
    "spent_transaction_hash",
    "spent_output_index",
    "script_asm",
    "script_hex",
    "sequence",
    "required_signatures",
    "type",
    "addresses",
    "value",
)
OUTPUT_COLUMNS = (
    *PART_COLUMNS,
    "script_asm",
    "script_hex",
    "required_signatures",
    "type",
    "addresses",
    "value",
)


@pytest.fixture(scope="module")
def etl_dir(data_dir: Path) -> Path:
    return data_dir / "btc-rpc-bitcoin-etl"


def tables(batches: Iterator[ChainBatch]) -> dict[str, pa.Table]:
    got = list(batches)
    return {t: pa.concat_tables([b[t] for b in got]) for t in TABLES}


def records(case: Path, kind: str) -> list[dict[str, Any]]:
    lines = (case / f"expected_{kind}.json").read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def write_lines(path: Path, items: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(item) + "\n" for item in items))
    return path


# --- facts of the real exports ----------------------------------------------------------------


def test_genesis_export(etl_dir: Path) -> None:
    got = tables(read_bitcoin_etl(etl_dir / "block_0"))
    block = got["blocks"].to_pylist()[0]
    assert (block["height"], block["hash"].hex(), block["prev_hash"]) == (0, GENESIS, bytes(32))
    assert block["nonce"] == 2083236893  # exported as hex text "7c2bac1d"
    assert block["time"] == datetime(2009, 1, 3, 18, 15, 5, tzinfo=UTC)
    out = got["outputs"].to_pylist()[0]
    assert (out["value"], out["script_type"]) == (5_000_000_000, ScriptType.P2PK)
    assert address_text(out["script_type"], out["payload"]) == "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"
    (coinbase_in,) = got["inputs"].to_pylist()  # not exported; emitted as the chain has it
    assert (coinbase_in["prev_txid"], coinbase_in["prev_vout"]) == (bytes(32), 0xFFFFFFFF)
    assert got["transactions"]["input_count"].to_pylist() == [1]


def check_against_export(case: Path, got: dict[str, pa.Table]) -> None:
    """Our rows give back the export's own input_value, output_value and fee."""
    prev: dict[str, list[int | None]] = {}
    for r in got["inputs"].to_pylist():
        prev.setdefault(r["txid"].hex(), []).append(r["prev_value"])
    ours = {r["txid"].hex(): r for r in got["transactions"].to_pylist()}
    for tx in records(case, "transactions"):
        row = ours[tx["hash"]]
        known = sum(v for v in prev[tx["hash"]] if v is not None)
        assert row["output_value"] == tx["output_value"]
        assert known == tx["input_value"]
        assert (0 if tx["is_coinbase"] else known - row["output_value"]) == tx["fee"]
        assert row["has_witness"] == (tx["size"] != tx["virtual_size"])


def test_enriched_stream_values_and_fees(etl_dir: Path) -> None:
    case = etl_dir / "stream_50001_50002"
    got = tables(read_bitcoin_etl(case))
    check_against_export(case, got)
    assert {r["fee"] for r in records(case, "transactions")} == {0}
    spends = [r for r in got["inputs"].to_pylist() if r["prev_txid"] != bytes(32)]
    assert [r["prev_value"] for r in spends] == [5_000_000_000] * 3
    assert [address_text(r["prev_address_type"], r["prev_address"]) for r in spends] == [
        "1DoQeKfU3dYhN9bxMpFFcVUnufCPDqSPae",
        "1PZMgkF2x161qvfP7dhoWSEEU3SjnQE1m9",
        "18dxbN6m8zxieN8F9BchXmhbeXUdFLr8fD",
    ]
    co_spend = [r for r in got["outputs"].to_pylist() if r["txid"].hex() == CO_SPEND]
    assert [(o["value"], address_text(o["script_type"], o["payload"])) for o in co_spend] == [
        (10_000_000_000, "1HaHTfmvoUW6i6nhJf8jJs6tU4cHNmBQHQ")
    ]


def test_unenriched_inputs_have_no_prev(etl_dir: Path) -> None:
    case = etl_dir / "block_with_transactions"
    got = tables(read_bitcoin_etl(case))
    check_against_export(case, got)
    assert sorted(r["fee"] for r in records(case, "transactions")) == [
        -10_000_000_000,
        -5_000_000_000,
        0,
        0,
    ]
    for column in ("prev_value", "prev_address_type", "prev_address"):
        assert got["inputs"][column].null_count == got["inputs"].num_rows


def test_stream_items_in_one_file(etl_dir: Path, tmp_path: Path) -> None:
    case = etl_dir / "stream_50001_50002"
    blocks, txs = records(case, "blocks"), records(case, "transactions")
    mixed = write_lines(tmp_path / "stream.json", [txs[3], blocks[1], *txs[:3], blocks[0]])
    assert tables(read_bitcoin_etl(mixed, batch_blocks=1)) == tables(read_bitcoin_etl(case))
    assert [b.block_count for b in read_bitcoin_etl(mixed, batch_blocks=1)] == [1, 1]


def test_prev_hash_from_the_block_below(etl_dir: Path, tmp_path: Path) -> None:
    alone = tables(read_bitcoin_etl(etl_dir / "block_1"))["blocks"]
    assert alone["prev_hash"].to_pylist() == [None]  # parent not in the read
    both = tables(read_bitcoin_etl([etl_dir / "block_1", etl_dir / "block_0"]))["blocks"]
    assert [h.hex() for h in both["prev_hash"].to_pylist()] == ["00" * 32, GENESIS]
    block_1 = records(etl_dir / "block_1", "blocks")[0]
    block_1["nonce"] = format(int(block_1["nonce"], 16) + 1, "x")
    bad = write_lines(tmp_path / "blocks.json", [block_1])
    with pytest.raises(MalformedRecord, match="does not hash") as err:
        list(read_bitcoin_etl([bad, etl_dir / "block_0" / "expected_blocks.json"]))
    assert (err.value.field, err.value.record) == ("hash", "line 1")


# --- BigQuery-style CSV tables ----------------------------------------------------------------


def bq_time(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def bq_numeric(value: int | None) -> str:
    return "" if value is None else f"{value}.000000000"


def cell(value: Any) -> Any:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return json.dumps(value)
    return "" if value is None else value


def write_csv(path: Path, columns: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows({k: cell(v) for k, v in r.items()} for r in rows)


def bigquery_tables(case: Path, out: Path, *, tx_index: bool = True, nested: bool = False) -> Path:
    """Write the JSON export of ``case`` as BigQuery crypto_bitcoin CSV tables in ``out``."""
    out.mkdir()
    blocks = [{**b, "timestamp": bq_time(b["timestamp"])} for b in records(case, "blocks")]
    write_csv(out / "blocks.csv", BLOCK_COLUMNS, blocks)
    txs = records(case, "transactions")
    parts: dict[str, list[dict[str, Any]]] = {"inputs": [], "outputs": []}
    for tx in txs:
        for kind, rows in parts.items():
            for part in tx[kind]:
                shared = {k: tx[k] for k in ("block_hash", "block_number")}
                when = bq_time(tx["block_timestamp"])
                value = bq_numeric(part["value"])
                rows.append(
                    {
                        **part,
                        **shared,
                        "transaction_hash": tx["hash"],
                        "block_timestamp": when,
                        "value": value,
                    }
                )
        for name in ("input_value", "output_value", "fee"):
            tx[name] = bq_numeric(tx[name]) if tx[name] >= 0 else tx[name]
        tx["block_timestamp"] = bq_time(tx["block_timestamp"])
    columns = TX_COLUMNS + ("index",) * tx_index + ("inputs", "outputs") * nested
    write_csv(out / "transactions.csv", columns, txs)
    if not nested:
        write_csv(out / "inputs.csv", INPUT_COLUMNS, parts["inputs"][::-1])  # any row order
        write_csv(out / "outputs.csv", OUTPUT_COLUMNS, parts["outputs"])
    return out


@pytest.mark.parametrize("case", ["stream_50001_50002", "block_with_transactions", "block_0"])
def test_csv_tables_give_identical_rows(etl_dir: Path, tmp_path: Path, case: str) -> None:
    expected = tables(read_bitcoin_etl(etl_dir / case))
    flat = bigquery_tables(etl_dir / case, tmp_path / "flat")
    assert tables(read_bitcoin_etl(flat)) == expected
    no_index = bigquery_tables(etl_dir / case, tmp_path / "no_index", tx_index=False)
    assert tables(read_bitcoin_etl(no_index)) == expected  # file order, coinbase first
    nested = bigquery_tables(etl_dir / case, tmp_path / "nested", nested=True)
    assert tables(read_bitcoin_etl(nested)) == expected


# --- malformed input --------------------------------------------------------------------------


def bad_export(
    etl_dir: Path, tmp_path: Path, change: Callable[[list[dict[str, Any]]], object]
) -> list[Path]:
    case = etl_dir / "stream_50001_50002"
    txs = records(case, "transactions")
    change(txs)
    return [case / "expected_blocks.json", write_lines(tmp_path / "transactions.json", txs)]


def test_bad_json_line_names_file_and_line(etl_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "transactions.json"
    path.write_text((etl_dir / "block_0" / "expected_transactions.json").read_text() + "{oops\n")
    with pytest.raises(MalformedRecord, match="bad JSON") as err:
        list(read_bitcoin_etl([etl_dir / "block_0" / "expected_blocks.json", path]))
    assert (err.value.path, err.value.record) == (str(path), "line 2")


def test_missing_field_is_named(etl_dir: Path, tmp_path: Path) -> None:
    files = bad_export(etl_dir, tmp_path, lambda txs: txs[1].pop("lock_time"))
    with pytest.raises(MalformedRecord, match="missing") as err:
        list(read_bitcoin_etl(files))
    assert (err.value.field, err.value.record) == ("lock_time", "line 2")


def test_wrong_type_value(etl_dir: Path, tmp_path: Path) -> None:
    files = bad_export(etl_dir, tmp_path, lambda txs: txs[2]["outputs"][0].update(value="abc"))
    with pytest.raises(MalformedRecord, match="not a number: 'abc'") as err:
        list(read_bitcoin_etl(files))
    assert (err.value.field, err.value.record) == ("outputs[0].value", "line 3")


def test_input_type_must_match_its_address(etl_dir: Path, tmp_path: Path) -> None:
    files = bad_export(etl_dir, tmp_path, lambda txs: txs[1]["inputs"][1].update(type="scripthash"))
    with pytest.raises(MalformedRecord, match="does not match address 1PZMgkF2") as err:
        list(read_bitcoin_etl(files))
    assert err.value.field == "inputs[1].type"
    files = bad_export(etl_dir, tmp_path, lambda txs: txs[1]["inputs"][0].update(addresses=["1x"]))
    with pytest.raises(MalformedRecord, match="not a valid base58check") as err:
        list(read_bitcoin_etl(files))
    assert err.value.field == "inputs[0].addresses"


def test_missing_transactions_or_blocks(etl_dir: Path, tmp_path: Path) -> None:
    files = bad_export(etl_dir, tmp_path, lambda txs: txs.pop(2))
    with pytest.raises(MalformedRecord, match="is 3, the export holds 2") as err:
        list(read_bitcoin_etl(files))
    assert err.value.field == "transaction_count"
    case = etl_dir / "stream_50001_50002"
    with pytest.raises(MalformedRecord, match="no block 50001 in the read"):
        list(read_bitcoin_etl(case / "expected_transactions.json"))
    blocks_only = tables(read_bitcoin_etl(case / "expected_blocks.json"))
    assert (blocks_only["blocks"].num_rows, blocks_only["transactions"].num_rows) == (2, 0)


def test_csv_missing_column(etl_dir: Path, tmp_path: Path) -> None:
    out = bigquery_tables(etl_dir / "stream_50001_50002", tmp_path / "csv")
    text = (out / "outputs.csv").read_text().splitlines()
    header = text[0].split(",")
    drop = header.index("value")
    (out / "outputs.csv").write_text(
        "\n".join(",".join(c for i, c in enumerate(line.split(",")) if i != drop) for line in text)
    )
    with pytest.raises(MalformedRecord, match="lacks this column") as err:
        list(read_bitcoin_etl(out))
    assert (err.value.path, err.value.record, err.value.field) == (
        str(out / "outputs.csv"),
        "header",
        "value",
    )


def test_csv_rows_must_add_up(etl_dir: Path, tmp_path: Path) -> None:
    out = bigquery_tables(etl_dir / "stream_50001_50002", tmp_path / "csv")
    lines = (out / "inputs.csv").read_text().splitlines()
    (out / "inputs.csv").write_text("\n".join(lines[:-1]) + "\n")  # drop one input row
    with pytest.raises(MalformedRecord, match="input_count") as err:
        list(read_bitcoin_etl(out))
    assert err.value.path == str(out / "transactions.csv")
