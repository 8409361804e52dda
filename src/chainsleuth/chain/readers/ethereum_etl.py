"""ethereum-etl / BigQuery ``crypto_ethereum`` exports (CSV or JSON lines) -> account batches.

Accepted files: blocks, transactions, receipts, logs, token_transfers and traces, in CSV
(with header) or JSON lines, including ethereum-etl's stream output (``type``-tagged rows,
transactions carrying ``receipt_*``). Each file's kind is told by its header or keys, not
its name. A directory means every ``*.csv``/``*.json``/``*.jsonl`` in it whose kind is known;
other files there (contracts, tokens, recorded RPC replies) are skipped.

- Transactions take their block time from ``block_timestamp`` or, failing that, from the
  blocks given; their receipt fields from ``receipt_*`` columns or a receipts file.
- Token transfers come from the logs given, decoded by
  :func:`chainsleuth.chain.readers._evm.transfers_from_logs` (ERC-20 only: ERC-721
  ``Transfer`` logs move no amount and are left out); token_transfers exports are used
  only when no logs file is given, as they are (they include ERC-721 rows, value = token id).
- Traces keep every row (reward, create and value-less calls too).
- The store needs block rows: give the blocks files with the rest when ingesting. Without
  them a batch's ``blocks`` table is empty.

All given files are held in memory as Arrow columns; pass one block-range partition at a
time for bigger exports.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from chainsleuth.chain.batch import ChainBatch
from chainsleuth.chain.readers._evm import (
    blocks_table,
    concat_rows,
    join_block_times,
    join_receipts,
    source_files,
    split_batches,
    token_transfers_table,
    traces_table,
    transactions_table,
    transfers_from_logs,
)
from chainsleuth.chain.readers._evm_columns import Rows
from chainsleuth.errors import MalformedRecord

# Kind -> the columns that tell it; checked in order, the first full match wins.
KINDS: dict[str, frozenset[str]] = {
    "token_transfers": frozenset({"token_address", "log_index", "value"}),
    "traces": frozenset({"trace_type", "trace_address"}),
    "logs": frozenset({"log_index", "topics", "data"}),
    "receipts": frozenset({"transaction_hash", "cumulative_gas_used"}),
    "transactions": frozenset({"hash", "from_address", "nonce", "input"}),
    "blocks": frozenset({"number", "parent_hash", "miner"}),
}
_SUFFIXES = (".csv", ".json", ".jsonl")


def read_ethereum_etl(
    paths: Sequence[Path] | Path, *, batch_blocks: int = 1000
) -> Iterator[ChainBatch]:
    """Read ethereum-etl exports into ``account`` batches of ``batch_blocks`` blocks."""
    files = source_files(paths, _SUFFIXES)
    found: dict[str, list[Rows]] = {kind: [] for kind in KINDS}
    for path, explicit in files:
        kind, rows = _read(path, explicit=explicit)
        if kind is not None and rows is not None:
            found[kind].append(rows)
    merged = {kind: concat_rows(parts) for kind, parts in found.items()}
    source = ", ".join(str(p) for p, _ in files)
    yield from split_batches(_tables(merged), batch_blocks=batch_blocks, source=source)


def _tables(rows: dict[str, Rows | None]) -> dict[str, pa.Table]:
    tables: dict[str, pa.Table] = {}
    if (blocks := rows["blocks"]) is not None:
        tables["blocks"] = blocks_table(blocks)
    if (txs := rows["transactions"]) is not None:
        if (receipts := rows["receipts"]) is not None and not txs.has("receipt_gas_used"):
            txs = join_receipts(txs, receipts)
        tables["transactions"] = transactions_table(join_block_times(txs, blocks))
    if (traces := rows["traces"]) is not None:
        tables["traces"] = traces_table(traces)
    if (logs := rows["logs"]) is not None:
        tables["token_transfers"] = transfers_from_logs(logs)
    elif (transfers := rows["token_transfers"]) is not None:
        tables["token_transfers"] = token_transfers_table(transfers)
    return tables


def _kind(path: Path, columns: Sequence[str], *, explicit: bool) -> str | None:
    have = set(columns)
    for kind, needed in KINDS.items():
        if needed <= have:
            return kind
    if explicit:
        raise MalformedRecord(
            path=path, record="header", reason="not an ethereum-etl export of a known kind"
        )
    return None


def _read(path: Path, *, explicit: bool) -> tuple[str | None, Rows | None]:
    if path.stat().st_size == 0:  # ethereum-etl writes empty files for empty ranges
        return None, None
    if path.name.endswith(".csv"):
        return _read_csv(path, explicit=explicit)
    return _read_json_lines(path, explicit=explicit)


def _read_csv(path: Path, *, explicit: bool) -> tuple[str | None, Rows | None]:
    with path.open(newline="") as f:
        header = f.readline().strip().split(",")
    kind = _kind(path, header, explicit=explicit)
    if kind is None:
        return None, None
    try:
        table = _parse_csv(path, header, threads=True)
    except MalformedRecord:
        table = _parse_csv(path, header, threads=False)  # once more, to learn the line
    return kind, Rows(table, str(path), np.arange(2, table.num_rows + 2))


def _parse_csv(path: Path, header: list[str], *, threads: bool) -> pa.Table:
    """Every column as strings, empty fields null; a bad row raises with its line if known."""
    bad: list[Any] = []

    def on_bad_row(row: Any) -> str:
        bad.append(row)
        return "error"

    convert = pacsv.ConvertOptions(
        column_types=dict.fromkeys(header, pa.string()),
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
    )
    try:
        return pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(use_threads=threads),
            parse_options=pacsv.ParseOptions(invalid_row_handler=on_bad_row),
            convert_options=convert,
        )
    except pa.ArrowInvalid as exc:
        record = f"line {bad[0].number}" if bad and bad[0].number else "?"
        raise MalformedRecord(path=path, record=record, reason=str(exc)) from exc


def _read_json_lines(path: Path, *, explicit: bool) -> tuple[str | None, Rows | None]:
    records: list[dict[str, Any]] = []
    lines: list[int] = []
    with path.open(encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                if not records and not explicit:
                    return None, None  # not JSON lines (e.g. a pretty-printed RPC reply)
                raise MalformedRecord(path=path, record=f"line {number}", reason=str(exc)) from exc
            if not isinstance(record, dict):
                raise MalformedRecord(path=path, record=f"line {number}", reason="not an object")
            if not records and _kind(path, list(record), explicit=explicit) is None:
                return None, None
            records.append(record)
            lines.append(number)
    names = list(dict.fromkeys(k for r in records for k in r))
    kind = _kind(path, names, explicit=explicit)
    table = pa.table({k: pa.array([_text(r.get(k)) for r in records], pa.string()) for k in names})
    return kind, Rows(table, str(path), np.array(lines))


def _text(value: Any) -> str | None:
    """A JSON value as ethereum-etl's CSV would print it; lists are ``","``-joined."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return ",".join(_text(v) or "" for v in value)
    return json.dumps(value)
