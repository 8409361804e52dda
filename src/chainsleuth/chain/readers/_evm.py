"""Export-style EVM records -> canonical account tables, shared by every EVM reader.

ethereum-etl's exports and our mapping of JSON-RPC replies both arrive as :class:`Rows`
(see :mod:`._evm_columns`); this module builds the canonical ``ACCOUNT_*`` and
``TOKEN_TRANSFERS`` tables from them, decodes ERC-20 ``Transfer`` logs, derives trace
status, joins receipts and block times into transactions, and cuts block-range batches.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from eth_utils.crypto import keccak

from chainsleuth.chain.batch import ChainBatch
from chainsleuth.chain.readers._evm_columns import (
    Rows,
    ether,
    hex_fixed,
    integers,
    method_ids,
    timestamps,
    uint256_amounts,
)
from chainsleuth.chain.readers._evm_columns import amounts as amount_columns
from chainsleuth.chain.schema import (
    ACCOUNT_BLOCKS,
    ACCOUNT_TRACES,
    ACCOUNT_TRANSACTIONS,
    TOKEN_TRANSFERS,
)
from chainsleuth.errors import Invalid

TRANSFER_TOPIC = "0x" + keccak(text="Transfer(address,address,uint256)").hex()


def _table(schema: pa.Schema, columns: list[pa.Array]) -> pa.Table:
    return pa.Table.from_arrays(columns, schema=schema)


def blocks_table(rows: Rows) -> pa.Table:
    """ACCOUNT_BLOCKS from ethereum-etl block columns."""
    return _table(
        ACCOUNT_BLOCKS,
        [
            integers(rows, "number", pa.int64()),
            hex_fixed(rows, "hash", 32),
            hex_fixed(rows, "parent_hash", 32),
            timestamps(rows, "timestamp"),
            hex_fixed(rows, "miner", 20),
            integers(rows, "size", pa.int64(), nullable=True),
            integers(rows, "gas_limit", pa.int64()),
            integers(rows, "gas_used", pa.int64()),
            ether(rows, "base_fee_per_gas", nullable=True),
            integers(rows, "transaction_count", pa.int32()),
        ],
    )


def transactions_table(rows: Rows) -> pa.Table:
    """ACCOUNT_TRANSACTIONS from ethereum-etl transaction columns.

    ``block_timestamp`` must be filled (see :func:`join_block_times`); the ``receipt_*``
    columns are optional (see :func:`join_receipts`).
    """
    return _table(
        ACCOUNT_TRANSACTIONS,
        [
            hex_fixed(rows, "hash", 32),
            integers(rows, "block_number", pa.int64()),
            hex_fixed(rows, "block_hash", 32),
            integers(rows, "transaction_index", pa.int32()),
            timestamps(rows, "block_timestamp"),
            hex_fixed(rows, "from_address", 20),
            hex_fixed(rows, "to_address", 20, nullable=True),
            ether(rows, "value"),
            integers(rows, "nonce", pa.int64()),
            integers(rows, "gas", pa.int64()),
            ether(rows, "gas_price", nullable=True),
            method_ids(rows),
            integers(rows, "transaction_type", pa.int8(), nullable=True),
            integers(rows, "receipt_status", pa.int8(), nullable=True),
            integers(rows, "receipt_gas_used", pa.int64(), nullable=True),
            hex_fixed(rows, "receipt_contract_address", 20, nullable=True),
        ],
    )


def traces_table(rows: Rows) -> pa.Table:
    """ACCOUNT_TRACES from ethereum-etl trace columns, one row per trace.

    A missing ``value`` stays null, not 0: geth's callTracer of old releases gives a
    SELFDESTRUCT frame no value (ethereum-etl leaves it empty) although value moved.
    A missing ``status`` is derived from ``error``:
    a trace fails when it or an ancestor in the same transaction failed, as ethereum-etl
    does for Parity traces.
    """
    status = integers(rows, "status", pa.int8(), nullable=True)
    if status.null_count:
        status = pc.coalesce(status, trace_status(rows))
    return _table(
        ACCOUNT_TRACES,
        [
            integers(rows, "block_number", pa.int64()),
            hex_fixed(rows, "transaction_hash", 32, nullable=True),
            integers(rows, "transaction_index", pa.int32(), nullable=True),
            rows.text("trace_address", nullable=True).fill_null(""),
            hex_fixed(rows, "from_address", 20, nullable=True),
            hex_fixed(rows, "to_address", 20, nullable=True),
            ether(rows, "value", nullable=True),
            rows.text("trace_type"),
            rows.text("call_type", nullable=True),
            rows.text("reward_type", nullable=True),
            status,
            rows.text("error", nullable=True),
        ],
    )


def trace_status(rows: Rows) -> pa.Array:
    """1 or 0 per trace: 0 when the trace or an ancestor (same transaction) has an error."""
    failed = rows.text("error", nullable=True).is_valid()
    status = np.where(failed.to_numpy(zero_copy_only=False), 0, 1).astype(np.int8)
    tx = pc.binary_join_element_wise(
        rows.text("block_number"), rows.text("transaction_index", nullable=True), ":"
    )
    failed_tx = pc.unique(tx.filter(failed).drop_null())
    if len(failed_tx):
        # Only traces of transactions with a failure need the ancestor walk.
        involved = np.flatnonzero(pc.is_in(tx, failed_tx).to_numpy(zero_copy_only=False))
        keys = tx.take(involved).to_pylist()
        paths = rows.text("trace_address", nullable=True).fill_null("").take(involved).to_pylist()
        roots: dict[str, list[str]] = {}
        for key, path, bad in zip(keys, paths, status[involved] == 0, strict=True):
            if bad:
                roots.setdefault(key, []).append(path)
        for i, key, path in zip(involved, keys, paths, strict=True):
            if any(r in ("", path) or path.startswith(r + ",") for r in roots[key]):
                status[i] = 0
    return pa.array(status, pa.int8())


def token_transfers_table(rows: Rows) -> pa.Table:
    """TOKEN_TRANSFERS from an ethereum-etl token_transfers export (raw token units)."""
    value, overflow = amount_columns(rows, "value")
    return _table(
        TOKEN_TRANSFERS,
        [
            hex_fixed(rows, "token_address", 20),
            hex_fixed(rows, "from_address", 20),
            hex_fixed(rows, "to_address", 20),
            value,
            overflow,
            hex_fixed(rows, "transaction_hash", 32),
            integers(rows, "log_index", pa.int32()),
            integers(rows, "block_number", pa.int64()),
        ],
    )


def transfers_from_logs(rows: Rows) -> pa.Table:
    """Decode ERC-20 ``Transfer(address indexed, address indexed, uint256)`` logs.

    Only logs with topic0 :data:`TRANSFER_TOPIC`, exactly 3 topics and 32 data bytes are
    transfers of fungible value. ERC-721 ``Transfer`` has the token id as a 4th topic and no
    data: it moves one non-fungible token, not an amount, so it is left out here (ethereum-etl
    keeps it, reading the token id as the value).
    """
    topics = pc.split_pattern(rows.text("topics", nullable=True), ",")
    data = rows.text("data", nullable=True)
    keep = pc.and_(
        pc.and_(
            pc.equal(pc.list_value_length(topics), 3),
            pc.equal(pc.utf8_lower(pc.list_element(topics.fill_null([""]), 0)), TRANSFER_TOPIC),
        ),
        pc.equal(pc.utf8_length(data), 66),
    ).fill_null(False)
    rows = rows.filter(keep.to_numpy(zero_copy_only=False))
    topics, data = topics.filter(keep), data.filter(keep)
    words = [hex_fixed(rows, "topics", 32, col=pc.list_element(topics, k)) for k in (1, 2)]
    senders, receivers = (_last_20(w) for w in words)
    raw = hex_fixed(rows, "data", 32, col=data).buffers()[1]
    value, overflow = uint256_amounts(np.frombuffer(raw, np.uint8).reshape(-1, 32))
    return _table(
        TOKEN_TRANSFERS,
        [
            hex_fixed(rows, "address", 20),
            senders,
            receivers,
            value,
            overflow,
            hex_fixed(rows, "transaction_hash", 32),
            integers(rows, "log_index", pa.int32()),
            integers(rows, "block_number", pa.int64()),
        ],
    )


def _last_20(words: pa.FixedSizeBinaryArray) -> pa.FixedSizeBinaryArray:
    """The address in an ABI word: its last 20 bytes."""
    raw = np.frombuffer(words.buffers()[1], np.uint8)[words.offset * 32 :].reshape(-1, 32)
    return pa.Array.from_buffers(
        pa.binary(20), len(words), [None, pa.py_buffer(raw[: len(words), 12:].tobytes())]
    )


def _with(rows: Rows, name: str, col: pa.Array) -> Rows:
    """``rows`` with column ``name`` replaced (or added)."""
    table = rows.table.drop_columns([name]) if rows.has(name) else rows.table
    return rows.with_table(table.append_column(name, col))


def _left_join(rows: Rows, key: str, other: pa.Table, other_key: str) -> Rows:
    """Left-join ``other`` (already reduced to the wanted columns) keeping row order."""
    left = rows.table.append_column("_row", pa.array(np.arange(len(rows))))
    left = left.append_column("_key", pc.utf8_lower(rows.text(key)))
    right = other.set_column(
        other.column_names.index(other_key), "_key", pc.utf8_lower(other.column(other_key))
    )
    joined = left.join(right, keys="_key", join_type="left outer").sort_by("_row")
    if joined.num_rows != len(rows):
        rows.fail(0, key, f"{key} matches more than one {other_key}")
    return rows.with_table(joined.drop_columns(["_row", "_key"]))


def join_receipts(txs: Rows, receipts: Rows) -> Rows:
    """Add ``receipt_status/gas_used/contract_address`` from a receipts export."""
    names = {"status": "receipt_status", "gas_used": "receipt_gas_used"}
    names["contract_address"] = "receipt_contract_address"
    cols = {new: receipts.text(old, nullable=True) for old, new in names.items()}
    right = pa.table({"transaction_hash": receipts.text("transaction_hash"), **cols})
    base = txs.with_table(txs.table.drop_columns([n for n in names.values() if txs.has(n)]))
    return _left_join(base, "hash", right, "transaction_hash")


def join_block_times(txs: Rows, blocks: Rows | None) -> Rows:
    """Fill ``block_timestamp`` from block rows where the transactions lack it."""
    own = txs.text("block_timestamp", nullable=True)
    if own.null_count == 0 or blocks is None:
        if own.null_count:
            txs.fail(_first_null(own), "block_timestamp", "no block time and no blocks file")
        return txs
    right = pa.table({"number": blocks.text("number"), "_time": blocks.text("timestamp")})
    joined = _left_join(_with(txs, "block_timestamp", own), "block_number", right, "number")
    time = pc.coalesce(own, joined.text("_time", nullable=True))
    if time.null_count:
        txs.fail(_first_null(time), "block_timestamp", "no block time and no block row")
    return _with(txs, "block_timestamp", time)


def _first_null(col: pa.Array) -> int:
    return int(np.flatnonzero(col.is_null().to_numpy(zero_copy_only=False))[0])


def block_key(name: str) -> str:
    """The block-number column of canonical table (or export kind) ``name``."""
    return "number" if name == "blocks" else "block_number"


def ordered_tables(tables: Mapping[str, pa.Table]) -> dict[str, pa.Table]:
    """Each table with repeated rows kept once (see :func:`_distinct`), stably by block."""
    ordered = {}
    for name, table in tables.items():
        t = _distinct(name, table)
        ordered[name] = t.take(pc.sort_indices(t, [(block_key(name), "ascending")]))
    return ordered


def block_numbers(ordered: Mapping[str, pa.Table]) -> np.ndarray:
    """The distinct block numbers of all tables, ascending."""
    return np.unique(
        np.concatenate(
            [t.column(block_key(n)).to_numpy() for n, t in ordered.items()]
            or [np.empty(0, np.int64)]
        )
    )


def block_slices(ordered: Mapping[str, pa.Table], lo: int, hi: int) -> dict[str, pa.Table]:
    """The rows of blocks ``lo..hi`` (inclusive) of each table sorted by block."""
    part = {}
    for name, t in ordered.items():
        col = t.column(block_key(name)).to_numpy()
        a, b = np.searchsorted(col, lo, "left"), np.searchsorted(col, hi, "right")
        part[name] = t.slice(a, b - a)
    return part


def split_batches(
    tables: Mapping[str, pa.Table], *, batch_blocks: int, source: str
) -> Iterator[ChainBatch]:
    """Sort each table by block and cut ``batch_blocks`` distinct blocks per batch.

    Rows that appear twice (a folder holding the CSV and the JSON copy of one export) are
    kept once.
    """
    ordered = ordered_tables(tables)
    numbers = block_numbers(ordered)
    for start in range(0, len(numbers), batch_blocks):
        lo, hi = numbers[start], numbers[min(start + batch_blocks, len(numbers)) - 1]
        yield ChainBatch("account", block_slices(ordered, lo, hi), source)


_IDENTITY = {
    "blocks": ["hash"],
    "transactions": ["hash"],
    "traces": [
        "block_number", "transaction_hash", "trace_address", "trace_type", "reward_type",
        "to_address",
    ],
    "token_transfers": ["transaction_hash", "log_index"],
}  # fmt: skip


def _distinct(name: str, table: pa.Table) -> pa.Table:
    """One row per identity (a block read from an export and a stream, say), in first order.

    Of repeated rows the one with the fewest nulls wins: a stream row carries receipt
    fields its plain export lacks.
    """
    if table.num_rows < 2:
        return table
    if table.group_by(_IDENTITY[name], use_threads=False).aggregate([]).num_rows == len(table):
        return table  # nothing repeated, the usual case: skip the ranking below
    nulls = np.zeros(table.num_rows, np.int64)
    for column in table.columns:
        nulls += column.is_null().to_numpy(zero_copy_only=False)
    richest_first = np.lexsort((np.arange(table.num_rows), nulls))
    ranked = table.take(richest_first).append_column("__pos", pa.array(np.arange(table.num_rows)))
    keep = ranked.group_by(_IDENTITY[name], use_threads=False).aggregate([("__pos", "min")])
    rows = richest_first[keep.column("__pos_min").to_numpy()]
    return table.take(np.sort(rows))


def source_files(
    paths: Sequence[Path] | Path, suffixes: tuple[str, ...]
) -> list[tuple[Path, bool]]:
    """The files to read, each with whether it was named (not found in a directory)."""
    out: list[tuple[Path, bool]] = []
    for given in [paths] if isinstance(paths, Path) else paths:
        path = Path(given)
        if path.is_dir():
            children = sorted(c for c in path.iterdir() if c.is_file())
            out.extend((c, False) for c in children if c.name.endswith(suffixes))
        elif path.is_file():
            out.append((path, True))
        else:
            raise Invalid(f"{path}: no such file or directory")
    return out
