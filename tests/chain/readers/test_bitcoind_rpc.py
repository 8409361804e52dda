"""bitcoind getblock replies: recorded files, a live (local) node, and parity with bitcoin-etl.

The data are bitcoin-etl's recorded mainnet replies (../shared/data/btc-rpc-bitcoin-etl,
see its SOURCE.md for the facts asserted here).
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
import pytest
from bitcoin.core import CBlock, b2lx

from chainsleuth.chain.address import address_text
from chainsleuth.chain.batch import ChainBatch
from chainsleuth.chain.readers.bitcoin_etl import read_bitcoin_etl
from chainsleuth.chain.readers.bitcoind_rpc import (
    BitcoindClient,
    BitcoindError,
    RpcError,
    read_bitcoind_rpc,
    read_getblock_files,
)
from chainsleuth.chain.script import ScriptType
from chainsleuth.errors import MalformedRecord

TABLES = ("blocks", "transactions", "inputs", "outputs")
CO_SPEND = "7940cdde4d713e171849efc6bd89939185be270266c94e92369e3877ad89455a"
GENESIS = "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"
PLAIN = ("block_0", "block_1", "block_without_transactions", "block_with_transactions")


@pytest.fixture(scope="module")
def rpc_dir(data_dir: Path) -> Path:
    return data_dir / "btc-rpc-bitcoin-etl"


def tables(batches: Iterator[ChainBatch]) -> dict[str, pa.Table]:
    """All batches of a read, concatenated per table."""
    got = list(batches)
    return {t: pa.concat_tables([b[t] for b in got]) for t in TABLES}


def load(path: Path) -> Any:
    return json.loads(path.read_text(), parse_float=Decimal)


def dump(doc: Any) -> str:
    """JSON text of recorded data; BTC amounts stay exact (as integer or 8-decimal text)."""

    def number(value: Any) -> Any:
        if isinstance(value, Decimal):
            return int(value) if value == value.to_integral_value() else float(value)
        raise TypeError(value)

    return json.dumps(doc, default=number)


def getblock_files(rpc_dir: Path, *cases: str) -> list[Path]:
    return sorted(p for c in cases for p in (rpc_dir / c).glob("*getblock_*.json"))


def with_prevouts(rpc_dir: Path, block: Any) -> Any:
    """A verbosity-3 reply made from a verbosity-2 one and the recorded getrawtransaction
    replies of the spent transactions (stream_50001_50002)."""
    for tx in block["tx"]:
        for vin in tx["vin"]:
            if "txid" in vin:
                name = f"rpc_response_getrawtransaction_{vin['txid']}.json"
                spent = load(rpc_dir / "stream_50001_50002" / name)["vout"][vin["vout"]]
                vin["prevout"] = {"generated": True, "height": 0, "value": spent["value"]}
                vin["prevout"]["scriptPubKey"] = spent["scriptPubKey"]
    return block


def row(table: pa.Table, **match: Any) -> dict[str, Any]:
    rows: list[dict[str, Any]] = [
        r for r in table.to_pylist() if all(r[k] == v for k, v in match.items())
    ]
    assert len(rows) == 1, rows
    return rows[0]


# --- recorded files -------------------------------------------------------------------------


def test_genesis_block_rows(rpc_dir: Path) -> None:
    got = tables(read_getblock_files(rpc_dir / "block_0"))
    block = got["blocks"].to_pylist()[0]
    assert block["hash"].hex() == GENESIS
    assert block["prev_hash"] == bytes(32)
    assert block["time"] == datetime(2009, 1, 3, 18, 15, 5, tzinfo=UTC)
    assert (block["nonce"], block["bits"], block["version"]) == (2083236893, 0x1D00FFFF, 1)
    assert (block["size"], block["weight"], block["tx_count"]) == (285, 1140, 1)
    assert b"The Times 03/Jan/2009 Chancellor" in block["coinbase_script"]
    out = got["outputs"].to_pylist()[0]
    assert out["value"] == 5_000_000_000
    assert out["script_type"] == ScriptType.P2PK
    assert address_text(out["script_type"], out["payload"]) == "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"
    coinbase_in = got["inputs"].to_pylist()[0]
    assert coinbase_in["prev_txid"] == bytes(32)
    assert (coinbase_in["prev_vout"], coinbase_in["sequence"]) == (0xFFFFFFFF, 0xFFFFFFFF)
    tx = got["transactions"].to_pylist()[0]
    assert tx["is_coinbase"] and not tx["has_witness"]
    assert (tx["size"], tx["vsize"], tx["input_count"], tx["output_value"]) == (204, 204, 1, 5e9)


def test_block_50001_co_spend(rpc_dir: Path) -> None:
    got = tables(read_getblock_files(rpc_dir / "block_with_transactions"))
    assert got["blocks"]["height"].to_pylist() == [50001, 50002]
    assert got["blocks"]["tx_count"].to_pylist() == [3, 1]
    txid = bytes.fromhex(CO_SPEND)
    tx = row(got["transactions"], txid=txid)
    assert (tx["index"], tx["input_count"], tx["output_count"]) == (1, 2, 1)
    assert tx["output_value"] == 10_000_000_000
    spent = [
        (r["prev_txid"].hex()[:8], r["prev_vout"])
        for r in got["inputs"].to_pylist()
        if r["txid"] == txid
    ]
    assert spent == [("76a8d70a", 0), ("0dd0394c", 0)]
    out = row(got["outputs"], txid=txid)
    assert out["script_type"] == ScriptType.P2PKH
    assert address_text(ScriptType.P2PKH, out["payload"]) == "1HaHTfmvoUW6i6nhJf8jJs6tU4cHNmBQHQ"


def test_node_type_agrees_with_classifier(rpc_dir: Path) -> None:
    files = getblock_files(rpc_dir, *PLAIN)
    blocks = sorted((load(f) for f in files), key=lambda b: b["height"])
    node_types = [
        ScriptType.from_core_name(o["scriptPubKey"]["type"])
        for b in blocks
        for tx in b["tx"]
        for o in tx["vout"]
    ]
    assert tables(read_getblock_files(files))["outputs"]["script_type"].to_pylist() == node_types


def test_sorted_deduplicated_batches(rpc_dir: Path) -> None:
    batches = list(read_getblock_files(rpc_dir, batch_blocks=2))  # folder of folders: none
    assert batches == []
    cases = [rpc_dir / c for c in (*reversed(PLAIN), "stream_50001_50002")]
    batches = list(read_getblock_files(cases, batch_blocks=2))
    heights = [b["blocks"]["height"].to_pylist() for b in batches]
    assert heights == [[0, 1], [50000, 50001], [50002]]
    assert [b["transactions"].num_rows for b in batches] == [2, 4, 1]


def test_envelope_array_and_json_lines(rpc_dir: Path, tmp_path: Path) -> None:
    files = getblock_files(rpc_dir, "block_with_transactions")
    results = [load(f) for f in files]
    (tmp_path / "a_getblock_env.json").write_text(
        dump({"result": results[0], "error": None, "id": 7})
    )
    (tmp_path / "b_getblock_lines.json").write_text(
        "\n".join(dump({"result": r, "error": None, "id": i}) for i, r in enumerate(results))
    )
    (tmp_path / "c_getblock_array.json").write_text(dump(results))
    (tmp_path / "ignored.json").write_text("not json")
    expected = tables(read_getblock_files(files))
    for name in ("b_getblock_lines.json", "c_getblock_array.json"):
        assert tables(read_getblock_files(tmp_path / name)) == expected
    assert tables(read_getblock_files(tmp_path)) == expected  # duplicates read once


def test_verbosity_3_prevouts_fill_prev_columns(rpc_dir: Path, tmp_path: Path) -> None:
    for f in getblock_files(rpc_dir, "stream_50001_50002"):
        (tmp_path / f.name).write_text(dump(with_prevouts(rpc_dir, load(f))))
    inputs = tables(read_getblock_files(tmp_path))["inputs"].to_pylist()
    spends = [r for r in inputs if r["prev_txid"] != bytes(32)]
    assert [r["prev_value"] for r in spends] == [5_000_000_000] * 3
    assert [address_text(r["prev_address_type"], r["prev_address"]) for r in spends] == [
        "1DoQeKfU3dYhN9bxMpFFcVUnufCPDqSPae",
        "1PZMgkF2x161qvfP7dhoWSEEU3SjnQE1m9",
        "18dxbN6m8zxieN8F9BchXmhbeXUdFLr8fD",
    ]
    assert all(r["prev_address_type"] == ScriptType.P2PKH for r in spends)  # P2PK folded
    coinbase = [r for r in inputs if r["prev_txid"] == bytes(32)]
    assert {(r["prev_value"], r["prev_address"]) for r in coinbase} == {(None, None)}


def test_hex_is_ground_truth(rpc_dir: Path, tmp_path: Path) -> None:
    (source,) = getblock_files(rpc_dir, "block_1")
    block = load(source)
    block["tx"][0].update(size=999, vsize=1, version=7, locktime=5)
    (tmp_path / "x_getblock_1.json").write_text(dump(block))
    assert tables(read_getblock_files(tmp_path)) == tables(read_getblock_files(source))
    del block["tx"][0]["hex"]  # without hex the decoded fields are all there is
    (tmp_path / "x_getblock_1.json").write_text(dump(block))
    tx = tables(read_getblock_files(tmp_path))["transactions"].to_pylist()[0]
    assert (tx["size"], tx["vsize"], tx["version"], tx["locktime"]) == (999, 1, 7, 5)
    assert tx["has_witness"]  # size != vsize


def getblock_reply(raw: bytes, height: int) -> dict[str, Any]:
    """A getblock verbosity-2 reply for a raw block, built with python-bitcoinlib."""
    block = CBlock.deserialize(raw)
    txs = []
    for tx in block.vtx:
        wit = [
            [w.hex() for w in tx.wit.vtxinwit[i].scriptWitness.stack] if tx.has_witness() else []
            for i in range(len(tx.vin))
        ]
        vin = [
            {"coinbase": i.scriptSig.hex()}
            if tx.is_coinbase()
            else {"txid": b2lx(i.prevout.hash), "vout": i.prevout.n}
            for i in tx.vin
        ]
        for v, i, w in zip(vin, tx.vin, wit, strict=True):
            v.update(sequence=i.nSequence, **({"txinwitness": w} if w else {}))
        vout = [
            {
                "value": Decimal(o.nValue) / 10**8,
                "n": n,
                "scriptPubKey": {"hex": o.scriptPubKey.hex()},
            }
            for n, o in enumerate(tx.vout)
        ]
        txs.append(
            {"txid": b2lx(tx.GetTxid()), "hex": tx.serialize().hex(), "vin": vin, "vout": vout}
        )
    return {
        "hash": b2lx(block.GetHash()),
        "height": height,
        "version": block.nVersion,
        "merkleroot": b2lx(block.hashMerkleRoot),
        "time": block.nTime,
        "bits": format(block.nBits, "08x"),
        "nonce": block.nNonce,
        "nTx": len(txs),
        "previousblockhash": b2lx(block.hashPrevBlock),
        "size": len(raw),
        "weight": 0,
        "tx": txs,
    }


def test_segwit_block_matches_python_bitcoinlib(data_dir: Path, tmp_path: Path) -> None:
    raw = (data_dir / "btc-blocks-bcoin" / "block482683.raw").read_bytes()
    path = tmp_path / "segwit_getblock_.json"
    path.write_text(dump(getblock_reply(raw, 482683)))
    got = tables(read_getblock_files(path))
    assert got["blocks"]["hash"].to_pylist()[0].hex() == (
        "000000000000000000c238240ef6dcb26c37e75e16514e6ffc0aef7eee73e747"
    )
    txs = got["transactions"].to_pylist()
    assert sum(t["has_witness"] for t in txs) == 2  # SOURCE.md: 2 txs with witness data
    for row, tx in zip(txs, CBlock.deserialize(raw).vtx, strict=True):
        stripped = len(tx.serialize({"include_witness": False}))
        total = len(tx.serialize())
        assert (row["size"], row["has_witness"]) == (total, tx.has_witness())
        assert row["vsize"] == -(-(3 * stripped + total) // 4)
        assert (row["version"], row["locktime"]) == (tx.nVersion, tx.nLockTime)
        assert row["output_value"] == sum(o.nValue for o in tx.vout)
    assert [t["vsize"] < t["size"] for t in txs] == [t["has_witness"] for t in txs]


# --- malformed input --------------------------------------------------------------------------


def write_block(rpc_dir: Path, tmp_path: Path, change: Callable[[Any], None]) -> Path:
    (source,) = getblock_files(rpc_dir, "block_1")
    block = load(source)
    change(block)
    path = tmp_path / "bad_getblock_1.json"
    path.write_text(dump(block))
    return path


def test_bad_json_line_names_file_and_line(rpc_dir: Path, tmp_path: Path) -> None:
    (source,) = getblock_files(rpc_dir, "block_1")
    path = tmp_path / "lines_getblock_.json"
    path.write_text(dump(load(source)) + '\n{"hash": \n')
    with pytest.raises(MalformedRecord, match="bad JSON") as err:
        list(read_getblock_files(path))
    assert (err.value.path, err.value.record) == (str(path), "line 2")


def test_missing_field_is_named(rpc_dir: Path, tmp_path: Path) -> None:
    path = write_block(rpc_dir, tmp_path, lambda b: b.pop("merkleroot"))
    with pytest.raises(MalformedRecord, match="missing") as err:
        list(read_getblock_files(path))
    assert (err.value.field, err.value.record) == ("merkleroot", "block 1 (line 1)")


def test_wrong_type_value(rpc_dir: Path, tmp_path: Path) -> None:
    path = write_block(rpc_dir, tmp_path, lambda b: b["tx"][0]["vout"][0].update(value="abc"))
    with pytest.raises(MalformedRecord, match="not a number") as err:
        list(read_getblock_files(path))
    assert err.value.field == "tx[0].vout[0].value"


def test_sub_satoshi_value(rpc_dir: Path, tmp_path: Path) -> None:
    (source,) = getblock_files(rpc_dir, "block_1")
    path = tmp_path / "odd_getblock_.json"
    path.write_text(source.read_text().replace("50.00000000", "50.000000001"))
    with pytest.raises(MalformedRecord, match="whole number of satoshi"):
        list(read_getblock_files(path))


def test_reply_with_error_object(tmp_path: Path) -> None:
    path = tmp_path / "err_getblock_.json"
    path.write_text(
        '{"result": null, "error": {"code": -5, "message": "Block not found"}, "id": 1}'
    )
    with pytest.raises(MalformedRecord, match="Block not found") as err:
        list(read_getblock_files(path))
    assert err.value.field == "error"


def test_tampered_header_or_hex(rpc_dir: Path, tmp_path: Path) -> None:
    path = write_block(rpc_dir, tmp_path, lambda b: b.update(nonce=b["nonce"] + 1))
    with pytest.raises(MalformedRecord, match="header fields do not hash") as err:
        list(read_getblock_files(path))
    assert err.value.field == "hash"
    path = write_block(
        rpc_dir, tmp_path, lambda b: b["tx"][0].update(hex=b["tx"][0]["hex"][:-2] + "01")
    )
    with pytest.raises(MalformedRecord, match="does not hash to the txid") as err:
        list(read_getblock_files(path))
    assert err.value.field == "tx[0].hex"


def test_verbosity_1_reply_is_refused(rpc_dir: Path, tmp_path: Path) -> None:
    path = write_block(rpc_dir, tmp_path, lambda b: b.update(tx=[t["txid"] for t in b["tx"]]))
    with pytest.raises(MalformedRecord, match="verbosity 2 or 3"):
        list(read_getblock_files(path))


# --- the client over MockTransport: error mapping -----------------------------------------------


def mock_client(answers: list[Any], seen: list[Any]) -> BitcoindClient:
    """A client whose node answers from ``answers`` in turn (a status, a body, or an error)."""

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, int):
            return httpx.Response(answer, text="busy")
        status = 500 if isinstance(answer, dict) and answer.get("error") else 200
        return httpx.Response(status, json=answer)

    return BitcoindClient(
        "http://u:p@node.invalid:8332/", backoff=0, retries=3, transport=httpx.MockTransport(handle)
    )


def test_client_retries_transient_failures() -> None:
    seen: list[Any] = []
    warmup = {"result": None, "error": {"code": -28, "message": "Loading block index…"}, "id": 0}
    answers = [httpx.ConnectError("refused"), 503, warmup, {"result": 7, "error": None, "id": 0}]
    with mock_client(answers, seen) as client:
        assert client.getblockcount() == 7
        assert client.url == "http://node.invalid:8332/"  # credentials never shown
    assert len(seen) == 4 and seen[0]["method"] == "getblockcount"


def test_client_gives_up_and_maps_errors() -> None:
    seen: list[Any] = []
    with (
        mock_client([502, 502, 502, 502], seen) as client,
        pytest.raises(BitcoindError, match="gave up after 4 attempts: HTTP 502"),
    ):
        client.getblockhash(1)
    not_found = {"result": None, "error": {"code": -5, "message": "Block not found"}, "id": 0}
    seen.clear()
    with mock_client([not_found], seen) as client, pytest.raises(RpcError) as err:
        client.getblock("00" * 32, 2)
    assert len(seen) == 1  # not retried
    assert (err.value.code, err.value.method) == (-5, "getblock")
    assert "Block not found" in str(err.value)
    with mock_client([401], seen) as client, pytest.raises(BitcoindError, match="HTTP 401"):
        client.getblockcount()


def test_client_batch_orders_by_id() -> None:
    seen: list[Any] = []
    replies = [{"result": f"h{i}", "error": None, "id": i} for i in (2, 0, 1)]
    with mock_client([replies], seen) as client:
        assert client.batch([("getblockhash", [h]) for h in range(3)]) == ["h0", "h1", "h2"]
    assert [r["params"] for r in seen[0]] == [[0], [1], [2]]


# --- a live node: a local HTTP server answering from the recorded files -------------------------


class FakeNode:
    """State of the local node: recorded replies, faults to inject, requests seen."""

    def __init__(self, rpc_dir: Path, *, fail_first: int, warmups: int, verbosity3: bool) -> None:
        self.blocks: dict[str, str] = {}
        self.hashes: dict[int, str] = {}
        for path in getblock_files(rpc_dir, *PLAIN):
            text = path.read_text()
            block = load(path)
            self.blocks[block["hash"]] = text
            self.hashes[block["height"]] = block["hash"]
            if verbosity3:
                self.blocks[block["hash"]] = dump(with_prevouts(rpc_dir, block))
        self.fail_first, self.warmups, self.verbosity3 = fail_first, warmups, verbosity3
        self.requests: list[Any] = []
        self.auth = "Basic " + base64.b64encode(b"alice:s3cret").decode()

    def answer(self, call: dict[str, Any]) -> str:
        method, params = call["method"], call["params"]
        if method == "getblockcount":
            result = str(max(self.hashes))
        elif method == "getblockhash":
            result = json.dumps(self.hashes[params[0]])
        elif method == "getblock" and params[1] == 3 and not self.verbosity3:
            return self.error(call, -8, "Verbosity must be in range 0..2")
        else:
            result = self.blocks[params[0]]
        return f'{{"result": {result}, "error": null, "id": {json.dumps(call["id"])}}}'

    @staticmethod
    def error(call: dict[str, Any], code: int, message: str) -> str:
        error = {"code": code, "message": message}
        return json.dumps({"result": None, "error": error, "id": call["id"]})

    def handle(self, headers: Any, body: bytes) -> tuple[int, str]:
        request = json.loads(body)
        self.requests.append(request)
        if headers.get("Authorization") != self.auth:
            return 401, ""
        if self.fail_first:
            self.fail_first -= 1
            return 503, "Service Unavailable"
        calls = request if isinstance(request, list) else [request]
        if self.warmups:
            self.warmups -= 1
            replies = [self.error(c, -28, "Verifying blocks…") for c in calls]
        else:
            replies = [self.answer(c) for c in calls]
        text = "[" + ",".join(replies) + "]" if isinstance(request, list) else replies[0]
        return (500 if '"error": {' in text else 200), text


@pytest.fixture
def node(request: pytest.FixtureRequest, rpc_dir: Path) -> Iterator[tuple[str, FakeNode]]:
    fake = FakeNode(rpc_dir, **getattr(request, "param", {}))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            status, text = fake.handle(
                self.headers, self.rfile.read(int(self.headers["Content-Length"]))
            )
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


FAULTY = {"fail_first": 2, "warmups": 1, "verbosity3": False}


@pytest.mark.network
@pytest.mark.parametrize("node", [FAULTY], indirect=True)
def test_live_node_with_faults(node: tuple[str, FakeNode], rpc_dir: Path) -> None:
    url, fake = node
    with BitcoindClient(url, user="alice", password="s3cret", backoff=0.01) as client:
        got = tables(read_bitcoind_rpc(client, start=50000, batch_blocks=2))
    files = getblock_files(rpc_dir, "block_without_transactions", "block_with_transactions")
    assert got == tables(read_getblock_files(files))
    assert got["inputs"]["prev_value"].null_count == got["inputs"].num_rows  # verbosity 2
    calls = [r if isinstance(r, dict) else r[0] for r in fake.requests]
    methods = [(c["method"], c["params"][1:]) for c in calls]
    assert methods[:4] == [("getblockcount", [])] * 4  # 503, 503, -28, answered
    assert methods[4:8] == [
        ("getblockhash", []),
        ("getblock", [3]),
        ("getblock", [2]),
        ("getblockhash", []),
    ]


@pytest.mark.network
@pytest.mark.parametrize(
    "node", [{"fail_first": 0, "warmups": 0, "verbosity3": True}], indirect=True
)
def test_live_node_verbosity_3_and_cookie(node: tuple[str, FakeNode], tmp_path: Path) -> None:
    url, _ = node
    cookie = tmp_path / ".cookie"
    cookie.write_text("alice:s3cret")
    with BitcoindClient(url, cookie_file=cookie, backoff=0) as client:
        got = tables(read_bitcoind_rpc(client, start=50001, end=50001))
        assert client.getblockhash(0) == GENESIS
    spends = [r for r in got["inputs"].to_pylist() if r["prev_value"] is not None]
    assert [r["prev_value"] for r in spends] == [5_000_000_000] * 3
    assert address_text(spends[0]["prev_address_type"], spends[0]["prev_address"]) == (
        "1DoQeKfU3dYhN9bxMpFFcVUnufCPDqSPae"
    )


@pytest.mark.network
@pytest.mark.parametrize("node", [FAULTY], indirect=True)
def test_live_node_wrong_password(node: tuple[str, FakeNode]) -> None:
    url, fake = node
    with (
        BitcoindClient(url, user="alice", password="nope", backoff=0) as client,
        pytest.raises(BitcoindError, match="HTTP 401"),
    ):
        client.getblockcount()
    assert len(fake.requests) == 1  # not retried


@pytest.mark.network
def test_live_node_unreachable() -> None:
    client = BitcoindClient("http://127.0.0.1:9/", retries=1, backoff=0, timeout=2)
    with client, pytest.raises(BitcoindError, match="gave up after 2 attempts: ConnectError"):
        client.getblockcount()


# --- parity with bitcoin-etl's exports of the same blocks ----------------------------------------


def test_rpc_and_bitcoin_etl_give_identical_rows(rpc_dir: Path) -> None:
    rpc = tables(read_getblock_files(getblock_files(rpc_dir, *PLAIN)))
    etl = tables(read_bitcoin_etl([rpc_dir / c for c in PLAIN]))
    for name in ("transactions", "inputs", "outputs"):
        assert etl[name] == rpc[name], name
    # bitcoin-etl blocks carry no parent hash: known from the block below, else null
    heights = rpc["blocks"]["height"].to_pylist()
    prev = [
        None if h == 50000 else p
        for h, p in zip(heights, rpc["blocks"]["prev_hash"].to_pylist(), strict=True)
    ]
    column = rpc["blocks"].schema.field("prev_hash")
    expected = rpc["blocks"].set_column(2, column, pa.array(prev, column.type))
    assert etl["blocks"] == expected


def test_enriched_export_matches_verbosity_3(rpc_dir: Path, tmp_path: Path) -> None:
    for f in getblock_files(rpc_dir, "stream_50001_50002"):
        (tmp_path / f.name).write_text(dump(with_prevouts(rpc_dir, load(f))))
    rpc = tables(read_getblock_files(tmp_path))
    etl = tables(read_bitcoin_etl(rpc_dir / "stream_50001_50002"))
    assert etl["inputs"]["prev_value"].null_count == 2  # the coinbase inputs only
    for name in ("transactions", "inputs", "outputs"):
        assert etl[name] == rpc[name], name
    assert etl["blocks"].drop_columns("prev_hash") == rpc["blocks"].drop_columns("prev_hash")
