"""ethereum-etl exports (ethereum-etl's own test fixtures) -> canonical account tables."""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from eth_abi.abi import decode

from chainsleuth.chain.amounts import amount_value
from chainsleuth.chain.batch import ChainBatch
from chainsleuth.chain.readers._evm import TRANSFER_TOPIC
from chainsleuth.chain.readers.ethereum_etl import read_ethereum_etl
from chainsleuth.errors import MalformedRecord

WETH = bytes.fromhex("c02aaa39b223fe8d0a0e5c4f27ead9083c756cc2")
USDT = bytes.fromhex("dac17f958d2ee523a2206206994597c13d831ec7")


@pytest.fixture(scope="module")
def eth(data_dir: Path) -> Path:
    return data_dir / "eth-ethereum-etl"


def one(paths: list[Path] | Path) -> ChainBatch:
    batches = list(read_ethereum_etl(paths))
    assert len(batches) == 1
    return batches[0]


def test_first_transaction_of_47218_sends_110_ether(eth: Path) -> None:
    batch = one(eth / "test_export_blocks_job/blocks_with_transactions")
    assert batch["blocks"].column("number").to_pylist() == [47218, 47219]
    assert batch["blocks"].column("transaction_count").to_pylist() == [2, 2]
    tx = batch["transactions"].to_pylist()[0]
    assert tx["hash"].hex() == "99f1097abd8f33a68f0ed63d60de5f3e7e2a3e0579b90d5f46a4f201c658b46d"
    assert tx["value"] == Decimal(110000000000000000000)
    assert tx["from_address"].hex() == "1406854d149e081ac09cb4ca560da463f3123059"
    assert tx["to_address"].hex() == "a0e74ae010d51894734c308d612131056bb721ad"
    assert tx["method_id"] == b""
    assert tx["time"].timestamp() == 1438936285
    assert tx["receipt_status"] is None and tx["receipt_gas_used"] is None


def test_block_with_logs_has_two_token_transfers(eth: Path) -> None:
    batch = one(eth / "test_export_token_transfers_job/block_with_transfers")
    rows = batch["token_transfers"].to_pylist()
    assert [r["value"] for r in rows] == [100000, 200000]
    assert {r["token_address"].hex() for r in rows} == {"f4eced2f682ce333f96f2d8966c613ded8fc95dd"}
    assert [r["log_index"] for r in rows] == [0, 1]
    txs = one(eth / "test_export_blocks_job/block_with_logs")["transactions"]
    assert txs.column("method_id").to_pylist()[:2] == [bytes.fromhex("a9059cbb")] * 2


def test_transfers_decoded_from_logs_equal_ethereum_etl_extraction(eth: Path) -> None:
    folder = eth / "test_extract_token_transfers_job/logs"
    decoded = one(folder / "logs.csv")["token_transfers"]
    assert decoded.equals(one(folder / "expected_token_transfers.csv")["token_transfers"])
    rows = decoded.to_pylist()
    assert [(r["token_address"].hex()[:6], r["value"]) for r in rows] == [
        ("c66ea8", 109000000000000000000),
        ("e0b792", 40000000000),
    ]


def test_receipts_join_and_logs_of_block_483920(eth: Path) -> None:
    receipts = eth / "test_export_receipts_job/receipts_with_logs"
    block = eth / "test_export_blocks_job/block_with_logs"
    batch = one([block, receipts / "expected_receipts.csv", receipts / "expected_logs.csv"])
    txs = batch["transactions"]
    assert txs.column("receipt_gas_used").to_pylist() == [50853, 50853, 21000, 21000]
    assert txs.column("receipt_status").to_pylist() == [None] * 4  # pre-Byzantium: root only
    assert batch["token_transfers"].column("value").to_pylist() == [100000, 200000]


def test_stream_blocks_17173049_17173050(eth: Path) -> None:
    folder = eth / "test_stream/blocks_17173049_17173050"
    batch = one(folder)
    assert batch["blocks"].column("base_fee_per_gas").to_pylist()[0] == 80869370967
    txs = batch["transactions"]
    assert txs.num_rows == 298
    assert Counter(txs.column("transaction_type").to_pylist()) == {2: 250, 0: 48}
    assert txs.column("receipt_status").to_pylist()[0] == 1
    assert txs.column("receipt_gas_used").to_pylist()[0] == 85143
    # From the logs: 282 ERC-20 transfers; the 9 ERC-721 Transfer logs are left out.
    decoded = batch["token_transfers"]
    assert decoded.num_rows == 282
    exported = one(folder / "expected_token_transfers.json")["token_transfers"]
    assert exported.num_rows == 291
    for table in (decoded, exported):
        tokens = Counter(table.column("token_address").to_pylist())
        assert (tokens[WETH], tokens[USDT]) == (88, 41)


def test_decoded_transfers_match_eth_abi(eth: Path) -> None:
    path = eth / "test_stream/blocks_17173049_17173050/expected_logs.json"
    logs = [json.loads(line) for line in path.read_text().splitlines()]
    expected = [
        (log["log_index"], bytes.fromhex(log["topics"][1][-40:]), decode(["uint256"], data))
        for log in logs
        if len(log["topics"]) == 3 and log["topics"][0] == TRANSFER_TOPIC
        for data in [bytes.fromhex(log["data"][2:])]
    ]
    rows = one(path)["token_transfers"].to_pylist()
    got = [(r["log_index"], r["from_address"], (r["value"],)) for r in rows]
    assert got == [(i, a, (Decimal(v[0]),)) for i, a, v in expected]


def test_csv_and_json_copies_give_identical_rows(eth: Path) -> None:
    folder = eth / "test_export_blocks_job/blocks_with_transactions_and_withdrawals"
    as_csv = one([folder / "expected_blocks.csv", folder / "expected_transactions.csv"])
    as_json = one([folder / "expected_blocks.json", folder / "expected_transactions.json"])
    for name in ("blocks", "transactions"):
        assert as_csv[name].equals(as_json[name])
    assert as_csv["transactions"].num_rows == 298


def test_a_folder_with_both_copies_keeps_each_row_once(eth: Path) -> None:
    both = one(eth / "test_export_blocks_job/blocks_with_transactions_and_withdrawals")
    assert both["blocks"].num_rows == 2
    assert both["transactions"].num_rows == 298


def test_parity_traces_error_create_suicide_reward(eth: Path) -> None:
    folder = eth / "test_export_traces_job"
    error = one(folder / "block_with_error")["traces"].to_pylist()
    assert [(t["status"], t["error"]) for t in error] == [(0, "Out of gas"), (1, None), (1, None)]
    assert error[2]["trace_type"] == "reward" and error[2]["reward_type"] == "block"
    assert error[2]["transaction_hash"] is None and error[2]["value"] == 5 * 10**18
    create = one(folder / "block_with_create")["traces"].to_pylist()[1]
    assert create["trace_type"] == "create" and create["value"] == 0
    assert create["to_address"].hex() == "a7e3cf952ea8d9438a26ee346c295f1ada328ae1"
    suicide = one(folder / "block_with_suicide")["traces"].to_pylist()[1]
    assert (suicide["trace_type"], suicide["trace_address"]) == ("suicide", "0")
    assert suicide["value"] == 50000000000000000
    assert suicide["to_address"].hex() == "83973747eec131bf9a08ac64fb1a518e891bdf4b"


def test_trace_status_is_derived_from_an_ancestors_error(eth: Path, tmp_path: Path) -> None:
    text = eth / "test_extract_geth_traces_job/block_with_subtraces/expected_traces.csv"
    lines = text.read_text().splitlines()
    fields = lines[1].split(",")
    fields[15] = "out of gas"  # the top call of transaction 0 fails; its callcode child too
    lines[1] = ",".join(fields)
    (tmp_path / "traces.csv").write_text("\n".join(lines) + "\n")
    traces = one(tmp_path / "traces.csv")["traces"]
    assert traces.column("status").to_pylist() == [0, 0, 1]
    assert traces.column("trace_address").to_pylist() == ["", "0", ""]


def test_token_value_above_38_digits_goes_to_overflow(tmp_path: Path) -> None:
    big = 10**38 + 12345
    header = "token_address,from_address,to_address,value,transaction_hash,log_index,block_number"
    row = ",".join(["0x" + "11" * 20, "0x" + "22" * 20, "0x" + "33" * 20])
    rows = [f"{row},{v},0x{'44' * 32},{i},7" for i, v in enumerate([big, 10**38 - 1])]
    (tmp_path / "tt.csv").write_text("\n".join([header, *rows]) + "\n")
    table = one(tmp_path / "tt.csv")["token_transfers"]
    values = table.column("value").to_pylist()
    overflow = table.column("value_overflow").to_pylist()
    assert values == [None, Decimal(10**38 - 1)]
    assert overflow == [big.to_bytes(32, "big"), None]
    assert amount_value(values[0], overflow[0]) == big


def test_batches_cut_by_block_count(eth: Path) -> None:
    batches = list(
        read_ethereum_etl(eth / "test_export_blocks_job/blocks_with_transactions", batch_blocks=1)
    )
    assert [b["blocks"].column("number").to_pylist() for b in batches] == [[47218], [47219]]
    assert [b["transactions"].num_rows for b in batches] == [2, 2]


def test_block_time_joined_from_blocks_file(eth: Path, tmp_path: Path) -> None:
    folder = eth / "test_export_blocks_job/blocks_with_transactions"
    lines = (folder / "expected_transactions.csv").read_text().splitlines()
    stripped = [",".join(f for i, f in enumerate(line.split(",")) if i != 11) for line in lines]
    (tmp_path / "txs.csv").write_text("\n".join(stripped) + "\n")
    joined = one([tmp_path / "txs.csv", folder / "expected_blocks.csv"])["transactions"]
    assert joined.equals(one(folder)["transactions"])
    with pytest.raises(MalformedRecord, match="block_timestamp"):
        one(tmp_path / "txs.csv")


def test_directory_skips_files_of_other_kinds(eth: Path) -> None:
    assert list(read_ethereum_etl(eth / "test_export_contracts_job/erc721_contract")) == []
    with pytest.raises(MalformedRecord, match="not an ethereum-etl export"):
        one(eth / "test_stream/blocks_2112234_2112234/expected_contracts.json")


def _bad_copy(eth: Path, tmp_path: Path, name: str, edit: dict[int, str]) -> Path:
    src = eth / "test_export_blocks_job/blocks_with_transactions/expected_transactions.csv"
    lines = src.read_text().splitlines()
    for index, line in edit.items():
        lines[index] = line
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def test_malformed_json_line_names_file_and_line(eth: Path, tmp_path: Path) -> None:
    src = eth / "test_stream/blocks_1755634_1755635/expected_transactions.json"
    lines = src.read_text().splitlines()
    path = tmp_path / "txs.json"
    path.write_text("\n".join([lines[0], lines[1][:40]]) + "\n")
    with pytest.raises(MalformedRecord, match="line 2") as err:
        one(path)
    assert err.value.path == str(path)


def test_malformed_missing_column_is_named(eth: Path, tmp_path: Path) -> None:
    src = eth / "test_export_blocks_job/blocks_with_transactions/expected_transactions.csv"
    lines = [line.split(",") for line in src.read_text().splitlines()]
    (tmp_path / "txs.csv").write_text("\n".join(",".join(f[:8] + f[9:]) for f in lines) + "\n")
    with pytest.raises(MalformedRecord, match="'gas': missing") as err:
        one(tmp_path / "txs.csv")
    assert err.value.record == "header"


def test_malformed_value_not_an_integer(eth: Path, tmp_path: Path) -> None:
    line = eth / "test_export_blocks_job/blocks_with_transactions/expected_transactions.csv"
    fields = line.read_text().splitlines()[2].split(",")
    fields[7] = "8140416390630760000.5"
    path = _bad_copy(eth, tmp_path, "txs.csv", {2: ",".join(fields)})
    with pytest.raises(MalformedRecord) as err:
        one(path)
    assert (err.value.field, err.value.record) == ("value", "line 3")


def test_malformed_address_is_named(eth: Path, tmp_path: Path) -> None:
    line = eth / "test_export_blocks_job/blocks_with_transactions/expected_transactions.csv"
    fields = line.read_text().splitlines()[4].split(",")
    fields[6] = "0xzz" + fields[6][4:]
    path = _bad_copy(eth, tmp_path, "txs.csv", {4: ",".join(fields)})
    with pytest.raises(MalformedRecord) as err:
        one(path)
    assert (err.value.field, err.value.record) == ("to_address", "line 5")


def test_malformed_csv_row_names_line(eth: Path, tmp_path: Path) -> None:
    path = _bad_copy(eth, tmp_path, "txs.csv", {3: "0x12,3"})
    with pytest.raises(MalformedRecord, match="line 4"):
        one(path)


def test_logged_value_above_38_digits_goes_to_overflow(eth: Path, tmp_path: Path) -> None:
    src = eth / "test_extract_token_transfers_job/logs/logs.csv"
    header, first = src.read_text().splitlines()[:2]
    values = [10**38 - 1, 10**38, 2**256 - 1]
    old = first.split(",")[6]
    rows = [
        f"{i}," + first.split(",", 1)[1].replace(old, f"0x{v:064x}") for i, v in enumerate(values)
    ]
    (tmp_path / "logs.csv").write_text("\n".join([header, *rows]) + "\n")
    table = one(tmp_path / "logs.csv")["token_transfers"]
    pairs = zip(
        table.column("value").to_pylist(), table.column("value_overflow").to_pylist(), strict=True
    )
    assert [amount_value(v, o) for v, o in pairs] == values
    assert table.column("value").null_count == 2
