"""Ethereum JSON-RPC reply objects -> export-style records -> canonical tables.

One mapping serves the recorded-reply reader and the live client
(:mod:`chainsleuth.chain.readers.ethereum_rpc`): each RPC object becomes a record with
ethereum-etl's column names and decimal text for quantities, so the canonical tables come
from the same builders as ethereum-etl exports (:mod:`._evm`) and agree with them exactly.
Quantities are hex strings (``"0x1b"``); Parity's ``trace_block`` also sends plain JSON
integers for ``blockNumber``/``transactionPosition``, which are accepted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from chainsleuth.chain.readers._evm import (
    blocks_table,
    join_receipts,
    traces_table,
    transactions_table,
    transfers_from_logs,
)
from chainsleuth.chain.readers._evm_columns import Rows
from chainsleuth.errors import MalformedRecord

Record = dict[str, str | None]
_HEX_QUANTITY = re.compile(r"0x[0-9a-fA-F]+")
_GETH_CALLS = {"CALL", "CALLCODE", "DELEGATECALL", "STATICCALL"}
_GETH_TYPES = {"CREATE": "create", "CREATE2": "create", "SELFDESTRUCT": "suicide"}


@dataclass
class Collected:
    """RPC objects of one source, gathered as export-style records per kind."""

    path: str
    blocks: list[Record] = field(default_factory=list)
    transactions: list[Record] = field(default_factory=list)
    receipts: list[Record] = field(default_factory=list)
    logs: list[Record] = field(default_factory=list)
    traces: list[Record] = field(default_factory=list)

    def add_block(self, block: dict[str, Any], path: str) -> None:
        """A ``eth_getBlockByNumber`` result: its row and, with full objects, its txs."""
        row = block_record(block, path)
        self.blocks.append(row)
        for tx in block.get("transactions") or []:
            if isinstance(tx, dict):
                self.transactions.append(transaction_record(tx, row["timestamp"], path))

    def add_receipt(self, receipt: dict[str, Any], path: str) -> None:
        self.receipts.append(receipt_record(receipt, path))
        self.logs.extend(log_record(log, path) for log in receipt.get("logs") or [])

    def transactions_of(self, number: int) -> list[Record]:
        return [t for t in self.transactions if t["block_number"] == str(number)]

    def tables(self) -> dict[str, pa.Table]:
        """Canonical tables of everything collected."""
        out: dict[str, pa.Table] = {}
        if self.blocks:
            out["blocks"] = blocks_table(self._rows(self.blocks))
        if self.transactions:
            txs = self._rows(self.transactions, "block_number")
            if self.receipts:
                receipts = self._rows(self.receipts, "transaction_hash", "receipt")
                txs = join_receipts(txs, receipts)
            out["transactions"] = transactions_table(txs)
        if self.logs:
            out["token_transfers"] = transfers_from_logs(self._rows(self.logs, "block_number"))
        if self.traces:
            out["traces"] = traces_table(self._rows(self.traces, "block_number"))
        return out

    def _rows(self, records: list[Record], key: str = "number", unit: str = "block") -> Rows:
        """Records as string columns; errors name each row by ``unit`` and its ``key``."""
        names = list(dict.fromkeys(k for r in records for k in r))
        table = pa.table({k: pa.array([r.get(k) for r in records], pa.string()) for k in names})
        return Rows(table, self.path, np.array([r.get(key) for r in records]), unit)


def _fail(path: str, record: str, name: str, reason: str) -> MalformedRecord:
    return MalformedRecord(path=path, record=record, field=name, reason=reason)


def quantity(obj: dict[str, Any], name: str, path: str, record: str) -> str | None:
    """An RPC quantity field as decimal text (None when absent or null)."""
    value = obj.get(name)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    if isinstance(value, str) and _HEX_QUANTITY.fullmatch(value):
        return str(int(value, 16))
    raise _fail(path, record, name, f"not a hex quantity: {value!r}")


def _required(obj: dict[str, Any], name: str, path: str, record: str) -> str:
    value = quantity(obj, name, path, record)
    if value is None:
        raise _fail(path, record, name, "missing")
    return value


def _data(obj: dict[str, Any], name: str, path: str, record: str) -> str | None:
    value = obj.get(name)
    if value is not None and not isinstance(value, str):
        raise _fail(path, record, name, f"not a hex string: {value!r}")
    return value


def block_record(block: dict[str, Any], path: str) -> Record:
    where = f"block {block.get('number')}"
    q = quantity
    return {
        "number": _required(block, "number", path, where),
        "hash": _data(block, "hash", path, where),
        "parent_hash": _data(block, "parentHash", path, where),
        "timestamp": _required(block, "timestamp", path, where),
        "miner": _data(block, "miner", path, where),
        "size": q(block, "size", path, where),
        "gas_limit": _required(block, "gasLimit", path, where),
        "gas_used": _required(block, "gasUsed", path, where),
        "base_fee_per_gas": q(block, "baseFeePerGas", path, where),
        "transaction_count": str(len(block.get("transactions") or [])),
    }


def transaction_record(tx: dict[str, Any], timestamp: str | None, path: str) -> Record:
    where = f"transaction {tx.get('hash')}"
    q = quantity
    return {
        "hash": _data(tx, "hash", path, where),
        "block_number": _required(tx, "blockNumber", path, where),
        "block_hash": _data(tx, "blockHash", path, where),
        "transaction_index": _required(tx, "transactionIndex", path, where),
        "block_timestamp": timestamp,
        "from_address": _data(tx, "from", path, where),
        "to_address": _data(tx, "to", path, where),
        "value": _required(tx, "value", path, where),
        "nonce": _required(tx, "nonce", path, where),
        "gas": _required(tx, "gas", path, where),
        "gas_price": q(tx, "gasPrice", path, where),
        "input": _data(tx, "input", path, where),
        "transaction_type": q(tx, "type", path, where),
    }


def receipt_record(receipt: dict[str, Any], path: str) -> Record:
    where = f"receipt {receipt.get('transactionHash')}"
    return {
        "transaction_hash": _data(receipt, "transactionHash", path, where),
        "status": quantity(receipt, "status", path, where),
        "gas_used": quantity(receipt, "gasUsed", path, where),
        "contract_address": _data(receipt, "contractAddress", path, where),
    }


def log_record(log: dict[str, Any], path: str) -> Record:
    where = f"log {log.get('transactionHash')}:{log.get('logIndex')}"
    topics = log.get("topics") or []
    if not isinstance(topics, list) or not all(isinstance(t, str) for t in topics):
        raise _fail(path, where, "topics", "not a list of hex strings")
    return {
        "log_index": _required(log, "logIndex", path, where),
        "transaction_hash": _data(log, "transactionHash", path, where),
        "block_number": _required(log, "blockNumber", path, where),
        "address": _data(log, "address", path, where),
        "data": _data(log, "data", path, where),
        "topics": ",".join(topics),
    }


def parity_trace_records(traces: Sequence[dict[str, Any]], path: str) -> Iterator[Record]:
    """Rows of a Parity/OpenEthereum ``trace_block`` result, in reply order."""
    for trace in traces:
        where = f"block {trace.get('blockNumber')} trace {trace.get('transactionHash')}"
        action, result = trace.get("action") or {}, trace.get("result") or {}
        kind = trace.get("type")
        row: Record = {"from_address": action.get("from"), "to_address": action.get("to")}
        row["value"] = quantity(action, "value", path, where)
        if kind == "call":
            row["call_type"] = action.get("callType")
        elif kind == "create":
            row["to_address"] = result.get("address")
        elif kind == "suicide":
            row["from_address"] = action.get("address")
            row["to_address"] = action.get("refundAddress")
            row["value"] = quantity(action, "balance", path, where)
        elif kind == "reward":
            row["to_address"] = action.get("author")
            row["reward_type"] = action.get("rewardType")
        else:
            raise _fail(path, where, "type", f"unknown trace type {kind!r}")
        yield {
            **row,
            "block_number": _required(trace, "blockNumber", path, where),
            "transaction_hash": trace.get("transactionHash"),
            "transaction_index": quantity(trace, "transactionPosition", path, where),
            "trace_address": ",".join(str(i) for i in trace.get("traceAddress") or []),
            "trace_type": kind,
            "error": trace.get("error"),
        }


def geth_trace_records(
    block_number: int, results: Sequence[dict[str, Any]], path: str,
    tx_hashes: Sequence[str] | None = None,
) -> Iterator[Record]:  # fmt: skip
    """Rows of a geth ``debug_traceBlockByNumber`` callTracer result, one per call frame.

    Each transaction's call tree is walked depth first; a frame's ``trace_address`` is its
    path of child positions (``""`` for the top call, ``"0,1"`` for the 2nd child of the
    1st child), as ethereum-etl numbers them. Old geth replies carry no transaction hash:
    it comes from ``txHash`` when present, else from ``tx_hashes`` by position.
    """
    for index, item in enumerate(results):
        where = f"block {block_number} transaction {index}"
        if "error" in item or not isinstance(item.get("result", item), dict):
            raise _fail(path, where, "result", f"tracer failed: {item.get('error')!r}")
        tx_hash = item.get("txHash") or (tx_hashes[index] if tx_hashes else None)
        context = {
            "block_number": str(block_number),
            "transaction_hash": tx_hash,
            "transaction_index": str(index),
        }
        yield from _walk(item.get("result", item), [], context, path, where)


def _walk(
    frame: dict[str, Any], trace_address: list[int], context: Record, path: str, where: str
) -> Iterator[Record]:
    kind = str(frame.get("type", "")).upper()
    if kind in _GETH_CALLS:
        trace_type, call_type = "call", kind.lower()
    elif kind in _GETH_TYPES:
        trace_type, call_type = _GETH_TYPES[kind], None
    else:
        raise _fail(path, where, "type", f"unknown call frame type {frame.get('type')!r}")
    yield {
        **context,
        "trace_address": ",".join(map(str, trace_address)),
        "from_address": frame.get("from"),
        "to_address": frame.get("to"),
        "value": quantity(frame, "value", path, where),
        "trace_type": trace_type,
        "call_type": call_type,
        "error": frame.get("error"),
    }
    for position, child in enumerate(frame.get("calls") or []):
        yield from _walk(child, [*trace_address, position], context, path, where)
