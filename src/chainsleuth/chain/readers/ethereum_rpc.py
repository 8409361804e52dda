"""Ethereum JSON-RPC -> account batches: recorded replies and a live node.

- :func:`read_eth_rpc_files` reads recorded replies, one per file, named as ethereum-etl's
  test fixtures name them (``web3_response.<method>_<params>.json``), bare results or full
  JSON-RPC envelopes: ``eth_getBlockByNumber`` (full transactions), ``eth_getBlockReceipts``,
  ``eth_getTransactionReceipt``, ``eth_getFilterLogs``/``eth_getLogs``, ``trace_block``
  (Parity) and ``debug_traceBlockByNumber`` with callTracer (geth). ``latest``/``pending``
  blocks are skipped: they are the tip probe, not a fixed block.
- :class:`EthRpcClient` talks to a node over HTTP (batches, retries with backoff).
- :func:`read_eth_rpc` reads a block range from a node: blocks with transactions, receipts
  (``eth_getBlockReceipts``, else one ``eth_getTransactionReceipt`` per transaction), ERC-20
  transfers decoded from the receipts' logs, and optionally Parity or geth traces.

Both readers map replies through :mod:`._evm_rpc`, so they give the same rows as each other
and as ethereum-etl's exports of the same blocks.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

import httpx

from chainsleuth.chain.batch import ChainBatch
from chainsleuth.chain.readers._evm import source_files, split_batches
from chainsleuth.chain.readers._evm_rpc import (
    Collected,
    geth_trace_records,
    log_record,
    parity_trace_records,
)
from chainsleuth.errors import MalformedRecord, NotFound, Unavailable

_METHOD = re.compile(
    r"(?:web3_response\.)?(eth_getBlockByNumber|eth_getBlockReceipts|eth_getTransactionReceipt"
    r"|eth_getFilterLogs|eth_getLogs|trace_block|debug_traceBlockByNumber)(?:_(.*))?\.json"
)


class EthRpcError(Unavailable):
    """A JSON-RPC call failed: the node answered with an error or could not be reached."""

    def __init__(self, url: str, method: str, message: str, code: int | None = None) -> None:
        self.url, self.method, self.code = url, method, code
        detail = f" (code {code})" if code is not None else ""
        super().__init__(f"{url}: {method}: {message}{detail}")


class EthRpcClient:
    """A small synchronous JSON-RPC client.

    Connection errors, timeouts, HTTP 5xx and 429 are retried ``retries`` times, waiting
    ``backoff`` seconds and doubling; an error reply raises :class:`EthRpcError`. Batches are
    sent ``batch_size`` calls per HTTP request. ``transport`` replaces the network in tests.
    """

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 30.0,
        retries: int = 4,
        backoff: float = 0.5,
        batch_size: int = 100,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url, self.retries, self.backoff, self.batch_size = url, retries, backoff, batch_size
        self._http = httpx.Client(timeout=timeout, transport=transport)
        self._ids = itertools.count(1)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> EthRpcClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def call(self, method: str, *params: Any) -> Any:
        """One call's result."""
        return self.batch([(method, params)])[0]

    def batch(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        """The results of many calls, in order, sent as JSON-RPC batches."""
        results: list[Any] = []
        for start in range(0, len(calls), self.batch_size):
            chunk = calls[start : start + self.batch_size]
            requests = [
                {"jsonrpc": "2.0", "id": next(self._ids), "method": m, "params": list(p)}
                for m, p in chunk
            ]
            replies = self._post(requests, chunk[0][0])
            results.extend(self._result(replies, r) for r in requests)
        return results

    def _result(self, replies: Any, request: dict[str, Any]) -> Any:
        method = request["method"]
        if isinstance(replies, dict):  # a node that rejects the whole batch says so once
            replies = [replies]
        if not isinstance(replies, list):
            raise EthRpcError(self.url, method, "reply is not a JSON-RPC response")
        by_id = {r.get("id"): r for r in replies if isinstance(r, dict)}
        reply = by_id.get(request["id"]) or by_id.get(None)
        if reply is None:
            raise EthRpcError(self.url, method, f"no reply for request id {request['id']}")
        if reply.get("error") is not None:
            error = reply["error"] if isinstance(reply["error"], dict) else {}
            message = str(error.get("message", reply["error"]))
            raise EthRpcError(self.url, method, message, error.get("code"))
        return reply.get("result")

    def _post(self, payload: list[dict[str, Any]], method: str) -> Any:
        delay, problem = self.backoff, ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(delay)
                delay *= 2
            try:
                response = self._http.post(self.url, json=payload)
            except httpx.TransportError as exc:
                problem = f"{type(exc).__name__}: {exc}"
                continue
            if response.status_code == 429 or response.status_code >= 500:
                problem = f"HTTP {response.status_code}"
                continue
            if response.is_error:
                raise EthRpcError(self.url, method, f"HTTP {response.status_code}")
            try:
                return response.json()
            except ValueError as exc:
                raise EthRpcError(self.url, method, "reply is not JSON") from exc
        raise EthRpcError(self.url, method, f"{problem}, after {self.retries + 1} attempts")


def read_eth_rpc(
    client: EthRpcClient,
    *,
    start: int,
    end: int | None = None,
    batch_blocks: int = 50,
    receipts: bool = True,
    traces: Literal["none", "parity", "geth"] = "none",
) -> Iterator[ChainBatch]:
    """Blocks ``start..end`` (inclusive; ``end`` None: up to the node's head) as batches."""
    if end is None:
        end = int(client.call("eth_blockNumber"), 16)
    state: dict[str, bool] = {"block_receipts": True}
    for lo in range(start, end + 1, batch_blocks):
        numbers = range(lo, min(lo + batch_blocks - 1, end) + 1)
        yield _fetch(client, numbers, receipts=receipts, traces=traces, state=state)


def _fetch(
    client: EthRpcClient, numbers: range, *, receipts: bool, traces: str, state: dict[str, bool]
) -> ChainBatch:
    blocks = client.batch([("eth_getBlockByNumber", [hex(n), True]) for n in numbers])
    got = Collected(f"{client.url} blocks {numbers[0]}-{numbers[-1]}")
    for number, block in zip(numbers, blocks, strict=True):
        if block is None:
            raise NotFound(f"{client.url}: block {number} not found")
        got.add_block(block, client.url)
    for receipt in _receipts(client, blocks, state) if receipts else []:
        got.add_receipt(receipt, client.url)
    if traces == "parity":
        for reply in client.batch([("trace_block", [hex(n)]) for n in numbers]):
            got.traces.extend(parity_trace_records(reply or [], client.url))
    elif traces == "geth":
        tracer = {"tracer": "callTracer"}
        calls = [("debug_traceBlockByNumber", [hex(n), tracer]) for n in numbers]
        for number, block, reply in zip(numbers, blocks, client.batch(calls), strict=True):
            hashes = [t if isinstance(t, str) else t["hash"] for t in block["transactions"]]
            got.traces.extend(geth_trace_records(number, reply or [], client.url, hashes))
    return ChainBatch("account", got.tables(), got.path)


def _receipts(
    client: EthRpcClient, blocks: list[dict[str, Any]], state: dict[str, bool]
) -> list[dict[str, Any]]:
    if state["block_receipts"]:
        try:
            replies = client.batch([("eth_getBlockReceipts", [b["number"]]) for b in blocks])
        except EthRpcError as exc:
            if exc.code != -32601 and "method" not in str(exc).lower():
                raise
            state["block_receipts"] = False  # the node lacks it: ask per transaction from now
        else:
            return [r for reply in replies for r in reply or []]
    hashes = [t if isinstance(t, str) else t["hash"] for b in blocks for t in b["transactions"]]
    found = client.batch([("eth_getTransactionReceipt", [h]) for h in hashes])
    for tx_hash, receipt in zip(hashes, found, strict=True):
        if receipt is None:
            raise NotFound(f"{client.url}: no receipt for transaction {tx_hash}")
    return found


def read_eth_rpc_files(
    paths: Sequence[Path] | Path, *, batch_blocks: int = 1000
) -> Iterator[ChainBatch]:
    """Recorded JSON-RPC replies (files or directories of them) as account batches."""
    files = _reply_files(paths)
    got = Collected(", ".join(str(p) for p, _ in files))
    geth: list[tuple[int, Any, str]] = []
    for path, method in files:
        result = _load_result(path)
        if method == "eth_getBlockByNumber" and result is not None:
            got.add_block(result, str(path))
        elif method == "eth_getBlockReceipts":
            for receipt in result or []:
                got.add_receipt(receipt, str(path))
        elif method == "eth_getTransactionReceipt" and result is not None:
            got.add_receipt(result, str(path))
        elif method in {"eth_getFilterLogs", "eth_getLogs"}:
            got.logs.extend(log_record(log, str(path)) for log in result or [])
        elif method == "trace_block":
            got.traces.extend(parity_trace_records(result or [], str(path)))
        elif method == "debug_traceBlockByNumber":
            geth.append((_block_param(path), result or [], str(path)))
    for number, result, where in geth:  # after the blocks, whose tx hashes they lack
        hashes = [str(t["hash"]) for t in got.transactions_of(number)]
        got.traces.extend(geth_trace_records(number, result, where, hashes or None))
    yield from split_batches(got.tables(), batch_blocks=batch_blocks, source=got.path)


def _reply_files(paths: Sequence[Path] | Path) -> list[tuple[Path, str]]:
    out: list[tuple[Path, str]] = []
    for file, explicit in source_files(paths, (".json",)):
        match = _METHOD.fullmatch(file.name)
        if match and not re.search(r"(^|_)(latest|pending)(_|$)", match.group(2) or ""):
            out.append((file, match.group(1)))
        elif explicit:
            raise MalformedRecord(path=file, record="file name", reason="unknown RPC method")
    return out


def _block_param(path: Path) -> int:
    """The block number in a reply's file name (``..._0xf4240_tracer_calltracer.json``)."""
    match = re.search(r"_(0x[0-9a-fA-F]+)(_|\.json$)", path.name)
    if match is None:
        raise MalformedRecord(path=path, record="file name", reason="no hex block number")
    return int(match.group(1), 16)


def _load_result(path: Path) -> Any:
    """The ``result`` of a recorded reply, which may be bare or a JSON-RPC envelope."""
    try:
        reply = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedRecord(path=path, record="reply", reason=f"not JSON: {exc}") from exc
    if (
        isinstance(reply, dict)
        and ("result" in reply or "error" in reply)
        and ("jsonrpc" in reply or "id" in reply or len(reply) == 1)
    ):
        if reply.get("error") is not None:
            raise MalformedRecord(path=path, record="reply", reason=f"error {reply['error']}")
        return reply["result"]
    return reply
