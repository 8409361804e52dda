"""Ethereum JSON-RPC replies (ethereum-etl's recorded fixtures) -> the same rows as the exports."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from chainsleuth.chain.batch import ChainBatch
from chainsleuth.chain.readers.ethereum_etl import read_ethereum_etl
from chainsleuth.chain.readers.ethereum_rpc import (
    EthRpcClient,
    EthRpcError,
    read_eth_rpc,
    read_eth_rpc_files,
)
from chainsleuth.errors import MalformedRecord

TRACE_CASES = [
    "block_with_create",
    "block_with_error",
    "block_with_subtraces",
    "block_with_suicide",
    "block_without_transactions",
]


@pytest.fixture(scope="module")
def eth(data_dir: Path) -> Path:
    return data_dir / "eth-ethereum-etl"


def batches_equal(got: list[ChainBatch], expected: list[ChainBatch], *names: str) -> None:
    assert len(got) == len(expected)
    for a, b in zip(got, expected, strict=True):
        for name in names:
            assert a[name].num_rows == b[name].num_rows, name
            assert a[name].equals(b[name]), name


def test_blocks_and_receipts_equal_export(eth: Path) -> None:
    block = eth / "test_export_blocks_job/block_with_logs"
    receipts = eth / "test_export_receipts_job/receipts_with_logs"
    got = list(read_eth_rpc_files([block, receipts]))
    exported = [block, receipts / "expected_receipts.csv", receipts / "expected_logs.csv"]
    batches_equal(
        got, list(read_ethereum_etl(exported)), "blocks", "transactions", "token_transfers"
    )
    assert got[0]["transactions"].column("receipt_gas_used").to_pylist()[0] == 50853
    assert got[0]["token_transfers"].column("value").to_pylist() == [100000, 200000]


@pytest.mark.parametrize(
    "case",
    [
        "test_export_blocks_job/blocks_with_transactions",
        "test_export_blocks_job/block_without_transactions",
        "test_stream/blocks_1755634_1755635",
        "test_export_token_transfers_job/block_with_transfers",
    ],
)
def test_replies_equal_export(eth: Path, case: str) -> None:
    got = list(read_eth_rpc_files(eth / case))
    expected = list(read_ethereum_etl(eth / case))
    batches_equal(got, expected, "blocks", "transactions", "token_transfers")
    assert got[0].block_count + got[0]["token_transfers"].num_rows > 0


def test_stream_receipts_joined(eth: Path) -> None:
    batch = next(read_eth_rpc_files(eth / "test_stream/blocks_1755634_1755635"))
    assert batch["transactions"].column("receipt_gas_used").to_pylist() == [36418, 21000]
    transfer = batch["token_transfers"].to_pylist()[0]
    assert transfer["value"] == 5000000000000000000
    assert transfer["token_address"].hex() == "bb9bc244d798123fde783fcc1c72d3bb8c189413"


@pytest.mark.parametrize("case", TRACE_CASES)
def test_parity_traces_equal_export(eth: Path, case: str) -> None:
    folder = eth / "test_export_traces_job" / case
    batches_equal(list(read_eth_rpc_files(folder)), list(read_ethereum_etl(folder)), "traces")


@pytest.mark.parametrize("case", TRACE_CASES)
def test_geth_traces_equal_export(eth: Path, case: str) -> None:
    folder = eth / "test_extract_geth_traces_job" / case
    expected = list(read_ethereum_etl(folder / "expected_traces.csv"))
    batches_equal(list(read_eth_rpc_files(folder)), expected, "traces")


@pytest.mark.parametrize("case", ["blocks_2112234_2112234", "blocks_508110_508110"])
def test_stream_parity_traces_equal_export(eth: Path, case: str) -> None:
    folder = eth / "test_stream" / case
    got = list(read_eth_rpc_files(folder))
    batches_equal(got, list(read_ethereum_etl(folder)), "traces")
    assert "create" in got[0]["traces"].column("trace_type").to_pylist()


def test_geth_call_tree_is_flattened_with_paths(eth: Path) -> None:
    folder = eth / "test_extract_geth_traces_job/block_with_subtraces"
    traces = next(read_eth_rpc_files(folder))["traces"].to_pylist()
    assert [(t["transaction_index"], t["trace_address"], t["call_type"]) for t in traces] == [
        (0, "", "call"),
        (0, "0", "callcode"),
        (1, "", "call"),
    ]
    error = next(read_eth_rpc_files(eth / "test_extract_geth_traces_job/block_with_error"))
    assert error["traces"].column("status").to_pylist() == [0, 1]


def test_geth_selfdestruct_without_value_stays_unknown(eth: Path) -> None:
    folder = eth / "test_extract_geth_traces_job/block_with_suicide"
    traces = next(read_eth_rpc_files(folder))["traces"].to_pylist()
    suicide = [t for t in traces if t["trace_type"] == "suicide"]
    assert len(suicide) == 1
    assert suicide[0]["value"] is None  # not 0: Parity shows 0.05 ether moved here


def _copy_reply(eth: Path, tmp_path: Path, edit: Any) -> Path:
    name = "web3_response.eth_getBlockByNumber_0xb872_true.json"
    reply = json.loads((eth / "test_export_blocks_job/blocks_with_transactions" / name).read_text())
    edit(reply["result"])
    path = tmp_path / name
    path.write_text(json.dumps(reply))
    return path


def test_malformed_non_hex_quantity_is_named(eth: Path, tmp_path: Path) -> None:
    path = _copy_reply(eth, tmp_path, lambda block: block.update(gasUsed="42000"))
    with pytest.raises(MalformedRecord) as err:
        list(read_eth_rpc_files(path))
    assert (err.value.field, err.value.path) == ("gasUsed", str(path))


def test_malformed_transaction_value(eth: Path, tmp_path: Path) -> None:
    path = _copy_reply(eth, tmp_path, lambda b: b["transactions"][1].update(value="0x1.5"))
    with pytest.raises(MalformedRecord, match="0x95844e6c") as err:
        list(read_eth_rpc_files(path))
    assert err.value.field == "value"


def test_malformed_reply_not_json(tmp_path: Path) -> None:
    path = tmp_path / "web3_response.trace_block_0x1.json"
    path.write_text('{"jsonrpc": "2.0", "result": [')
    with pytest.raises(MalformedRecord, match="not JSON"):
        list(read_eth_rpc_files(path))


# --- live client against a local HTTP server serving the recorded replies -----------------


class _Node:
    """Answers JSON-RPC calls from recorded reply files, as ethereum-etl's mock names them."""

    def __init__(self, folders: list[Path]) -> None:
        self.folders, self.requests, self.fail_first = folders, 0, True

    def reply(self, call: dict[str, Any]) -> dict[str, Any]:
        parts = [call["method"]]
        for param in call["params"]:
            items = param.items() if isinstance(param, dict) else [(param,)]
            parts += [str(v).lower() for item in items for v in item]
        name = "web3_response." + "_".join(parts) + ".json"
        for candidate in (name, name.replace("_true.json", "_false.json")):
            for folder in self.folders:
                if (folder / candidate).is_file():
                    result = json.loads((folder / candidate).read_text())["result"]
                    return {"jsonrpc": "2.0", "id": call["id"], "result": result}
        error = {"code": -32601, "message": f"the method {call['method']} does not exist"}
        return {"jsonrpc": "2.0", "id": call["id"], "error": error}

    def handle(self, body: bytes) -> tuple[int, bytes]:
        self.requests += 1
        if self.fail_first:
            self.fail_first = False
            return 503, b"busy"
        calls = json.loads(body)
        replies = [self.reply(c) for c in calls] if isinstance(calls, list) else self.reply(calls)
        return 200, json.dumps(replies).encode()


@pytest.fixture
def node(eth: Path) -> Iterator[tuple[str, _Node]]:
    fake = _Node(
        [
            eth / "test_export_blocks_job/block_with_logs",
            eth / "test_export_receipts_job/receipts_with_logs",
            eth / "test_stream/blocks_2112234_2112234",
        ]
    )

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            status, body = fake.handle(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", fake
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.mark.network
def test_live_block_with_receipts_equals_export(eth: Path, node: tuple[str, _Node]) -> None:
    url, fake = node
    receipts = eth / "test_export_receipts_job/receipts_with_logs"
    exported = list(
        read_ethereum_etl(
            [
                eth / "test_export_blocks_job/block_with_logs",
                receipts / "expected_receipts.csv",
                receipts / "expected_logs.csv",
            ]
        )
    )
    with EthRpcClient(url, backoff=0.01) as client:
        got = list(read_eth_rpc(client, start=483920, end=483920))
    batches_equal(got, exported, "blocks", "transactions", "token_transfers")
    # 503, then block, then eth_getBlockReceipts (unknown here), then per-tx receipts
    assert fake.requests == 4


@pytest.mark.network
def test_live_parity_traces_equal_export(eth: Path, node: tuple[str, _Node]) -> None:
    url, _ = node
    folder = eth / "test_stream/blocks_2112234_2112234"
    with EthRpcClient(url, backoff=0.01) as client:
        got = list(
            read_eth_rpc(client, start=2112234, end=2112234, receipts=False, traces="parity")
        )
    batches_equal(got, list(read_ethereum_etl(folder)), "traces")
    assert got[0]["traces"].num_rows == 2


@pytest.mark.network
def test_live_rpc_error_is_clear(node: tuple[str, _Node]) -> None:
    url, _ = node
    with EthRpcClient(url, backoff=0.01) as client, pytest.raises(EthRpcError) as err:
        client.call("eth_chainId")
    assert err.value.code == -32601
    assert "eth_chainId" in str(err.value) and url in str(err.value)


@pytest.mark.network
def test_live_gives_up_after_retries(node: tuple[str, _Node]) -> None:
    url, fake = node
    fake.handle = lambda body: (503, b"down")  # type: ignore[method-assign]
    with EthRpcClient(url, retries=2, backoff=0.01) as client, pytest.raises(EthRpcError) as err:
        client.call("eth_blockNumber")
    assert "HTTP 503, after 3 attempts" in str(err.value)
