"""The in-memory path of the bitcoin-etl reader: BigQuery-style CSV tables and JSON that is
not bitcoin-etl's own typed JSON lines (flat input/output tables, text numbers, documents).

Records are checked one by one through :class:`~chainsleuth.chain.readers._utxo_rows.Fields`
and the whole read is held in memory; bitcoin-etl's JSON lines take the streaming path
(:mod:`chainsleuth.chain.readers._etl_stream`).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chainsleuth.chain.address import parse_address
from chainsleuth.chain.batch import ChainBatch
from chainsleuth.chain.readers._utxo_rows import (
    INT32,
    MAX_MONEY,
    UINT32_MAX,
    ZERO_HASH,
    AddressKey,
    Fields,
    UtxoRows,
    header_hash,
    json_records,
    source_name,
)
from chainsleuth.chain.script import ADDRESS_TYPES, ScriptType
from chainsleuth.errors import Invalid, MalformedRecord

# Columns a CSV table must have; the first distinguishes the table.
# fmt: off
_COLUMNS = {
    "inputs": ("spent_transaction_hash", "transaction_hash", "index", "spent_output_index",
               "sequence", "type", "addresses", "value"),
    "blocks": ("merkle_root", "hash", "number", "size", "weight", "version", "timestamp",
               "nonce", "bits", "coinbase_param", "transaction_count"),
    "transactions": ("virtual_size", "hash", "size", "version", "lock_time", "block_hash",
                     "block_number", "is_coinbase"),
    "outputs": ("script_hex", "transaction_hash", "index", "value"),
}
# fmt: on
_STREAM_TYPES = {"block": "blocks", "transaction": "transactions"}
_TEXT_TYPES = {t.core_name: t for t in ADDRESS_TYPES}


@dataclass
class _Export:
    """Records of one read, by kind; flat inputs/outputs by transaction hash."""

    blocks: dict[int, Fields] = field(default_factory=dict)
    txs: dict[int, list[tuple[Any, Fields]]] = field(default_factory=dict)
    flat: dict[str, dict[str, list[Fields]]] = field(
        default_factory=lambda: {"inputs": {}, "outputs": {}}
    )
    seen: set[bytes] = field(default_factory=set)

    def add(self, kind: str, rec: Fields) -> None:
        if kind == "blocks":
            height = rec.integer("number", 0, INT32[1])
            if height in self.blocks:
                rec.fail("number", f"block {height} appears twice")
            self.blocks[height] = rec
        elif kind == "transactions":
            txid = rec.hash("hash")
            if txid in self.seen:
                rec.fail("hash", "transaction appears twice")
            self.seen.add(txid)
            order = self._order(rec)
            self.txs.setdefault(rec.integer("block_number", 0, INT32[1]), []).append((order, rec))
        else:
            key = rec.hash("transaction_hash").hex()
            self.flat[kind].setdefault(key, []).append(rec)

    def _order(self, tx: Fields) -> Any:
        if tx.has("index"):
            return (tx.integer("index", 0, INT32[1]), 0)
        return (0 if tx.boolean("is_coinbase") else 1, len(self.seen))

    def parts(self, tx: Fields, kind: str) -> list[Fields]:
        """A transaction's inputs or outputs: nested in it, or flat rows, by index."""
        if tx.has(kind):
            return tx.children(kind)
        rows = self.flat[kind].pop(tx.hash("hash").hex(), [])
        return sorted(rows, key=lambda r: r.integer("index", 0, INT32[1]))


def record_kind(keys: Any, stream_type: Any = None) -> str | None:
    if isinstance(stream_type, str) and stream_type in _STREAM_TYPES:
        return _STREAM_TYPES[stream_type]
    return next((k for k, cols in _COLUMNS.items() if cols[0] in keys), None)


def _load_csv(path: Path, export: _Export) -> None:
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames or []
        kind = record_kind(header)
        if kind is None:
            raise MalformedRecord(path=path, record="header", reason="not a bitcoin-etl table")
        for column in _COLUMNS[kind]:
            if column not in header:
                reason = f"the {kind} table lacks this column"
                raise MalformedRecord(path=path, record="header", field=column, reason=reason)
        for row in reader:
            export.add(kind, Fields(row, path=path, record=f"line {reader.line_num}"))


def _load_json(path: Path, export: _Export) -> None:
    for where, item in json_records(path):
        rec = Fields(item, path=path, record=where)
        kind = record_kind(rec.data, rec.data.get("type"))
        if kind is None:
            rec.fail(None, "neither a block, transaction, input nor output record")
        export.add(kind, rec)


def is_json(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(64).lstrip().startswith((b"{", b"["))


def is_etl_file(path: Path) -> bool:
    """Whether a file in a folder is bitcoin-etl data, by its first line's keys or header."""
    with path.open(encoding="utf-8", errors="replace") as fh:
        first = fh.readline()
    if not is_json(path):
        return record_kind(next(csv.reader([first]), [])) is not None
    try:
        record = json.loads(first)
    except json.JSONDecodeError:
        return False  # a pretty-printed document: not a bitcoin-etl export
    return isinstance(record, dict) and record_kind(record, record.get("type")) is not None


def _load(files: Sequence[Path]) -> _Export:
    export = _Export()
    for path in files:
        if is_json(path):
            _load_json(path, export)
        else:
            _load_csv(path, export)
    return export


def seconds_field(rec: Fields, name: str) -> int:
    """Unix seconds from an integer or timestamp text (BigQuery prints ``... UTC``)."""
    value = rec.raw(name)
    if not isinstance(value, str) or value.strip().isdigit():
        return rec.uint32(name)
    try:
        when = datetime.fromisoformat(value.strip().removesuffix(" UTC").replace("Z", "+00:00"))
    except ValueError:
        rec.fail(name, f"not a timestamp: {value!r}")
    seconds = int((when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp())
    if not 0 <= seconds <= UINT32_MAX:
        rec.fail(name, f"{value!r} is outside the 32-bit header time")
    return seconds


def _prev_key(inp: Fields) -> AddressKey | None:
    """The spent output's address key from an enriched input's type and address text."""
    kind = str(inp.raw("type")) if inp.has("type") else ""
    addresses = inp.array("addresses", default=[])
    if kind not in _TEXT_TYPES or not addresses:
        return None
    try:
        key = parse_address(str(addresses[0]))
    except Invalid as exc:
        inp.fail("addresses", str(exc))
    expected = _TEXT_TYPES[kind]
    if key[0] != (ScriptType.P2PKH if expected is ScriptType.P2PK else expected):
        inp.fail("type", f"{kind!r} does not match address {addresses[0]}")
    return key


def _add_inputs(rows: UtxoRows, tx: Fields, inputs: list[Fields], **where: Any) -> int:
    if tx.boolean("is_coinbase"):
        sequence = inputs[0].uint32("sequence") if inputs else UINT32_MAX
        rows.add_input(
            None,
            **where,
            index=0,
            prev_txid=ZERO_HASH,
            prev_vout=UINT32_MAX,
            sequence=sequence,
            prev_value=None,
        )
        return 1
    for i, inp in enumerate(inputs):
        if inp.has("index") and inp.integer("index") != i:
            inp.fail("index", f"is {inp.integer('index')} at position {i}")
        rows.add_input(
            _prev_key(inp),
            **where,
            index=i,
            prev_txid=inp.hash("spent_transaction_hash"),
            prev_vout=inp.uint32("spent_output_index"),
            sequence=inp.uint32("sequence"),
            prev_value=inp.sats("value") if inp.has("value") else None,
        )
    return len(inputs)


def _add_outputs(rows: UtxoRows, tx: Fields, outputs: list[Fields], **where: Any) -> int:
    total = 0
    for n, out in enumerate(outputs):
        if out.integer("index") != n:
            out.fail("index", f"is {out.integer('index')} at position {n}")
        value = out.sats("value")
        total += value
        rows.add_output(out.hexbytes("script_hex", allow_empty=True), **where, vout=n, value=value)
    if total > MAX_MONEY:
        tx.fail("outputs", f"outputs sum to {total} sat, more than all bitcoin")
    return total


def _check_count(tx: Fields, name: str, found: int) -> None:
    if tx.has(name) and tx.integer(name) != found:
        tx.fail(name, f"says {tx.integer(name)}, the export holds {found}")


def _add_tx(rows: UtxoRows, export: _Export, tx: Fields, index: int, block: bytes) -> None:
    txid, height = tx.hash("hash"), tx.integer("block_number")
    if tx.hash("block_hash") != block:
        tx.fail("block_hash", f"differs from block {height}'s hash {block.hex()}")
    if tx.has("index") and tx.integer("index") != index:
        tx.fail("index", f"is {tx.integer('index')}, expected {index} (missing transactions?)")
    inputs, outputs = export.parts(tx, "inputs"), export.parts(tx, "outputs")
    _check_count(tx, "input_count", len(inputs))
    _check_count(tx, "output_count", len(outputs))
    input_count = _add_inputs(rows, tx, inputs, txid=txid, height=height)
    total = _add_outputs(rows, tx, outputs, txid=txid, height=height)
    size, vsize = tx.integer("size", 0, INT32[1]), tx.integer("virtual_size", 0, INT32[1])
    rows.add(
        "transactions",
        txid=txid,
        height=height,
        block_hash=block,
        index=index,
        version=tx.int32("version"),
        locktime=tx.uint32("lock_time"),
        size=size,
        vsize=vsize,
        is_coinbase=tx.boolean("is_coinbase"),
        has_witness=size != vsize,
        input_count=input_count,
        output_count=len(outputs),
        output_value=total,
    )


def _add_block(rows: UtxoRows, export: _Export, height: int, with_txs: bool) -> None:
    blk = export.blocks[height]
    block_hash, merkle = blk.hash("hash"), blk.hash("merkle_root")
    version, seconds = blk.int32("version"), seconds_field(blk, "timestamp")
    bits, nonce = blk.hexint("bits"), blk.hexint("nonce")
    parent = export.blocks.get(height - 1)
    prev = parent.hash("hash") if parent is not None else (ZERO_HASH if height == 0 else None)
    if prev is not None:
        header = header_hash(
            version=version, prev=prev, merkle=merkle, time=seconds, bits=bits, nonce=nonce
        )
        if header != block_hash:
            blk.fail("hash", "the header rebuilt on the block below does not hash to it")
    tx_count = blk.integer("transaction_count", 1, INT32[1])
    txs = [tx for _, tx in sorted(export.txs.pop(height, []), key=lambda t: t[0])]
    if with_txs and len(txs) != tx_count:
        blk.fail("transaction_count", f"is {tx_count}, the export holds {len(txs)}")
    for index, tx in enumerate(txs):
        _add_tx(rows, export, tx, index, block_hash)
    rows.add(
        "blocks",
        height=height,
        hash=block_hash,
        prev_hash=prev,
        merkle_root=merkle,
        time=seconds,
        version=version,
        bits=bits,
        nonce=nonce,
        size=blk.integer("size", 0, INT32[1]),
        weight=blk.integer("weight", 0, INT32[1]),
        tx_count=tx_count,
        coinbase_script=blk.hexbytes("coinbase_param", allow_empty=True),
    )


def _check_orphans(export: _Export) -> None:
    """Records that point at blocks or transactions missing from the read."""
    for height in export.txs.keys() - export.blocks.keys():
        export.txs[height][0][1].fail("block_number", f"no block {height} in the read")
    for kind, rows in export.flat.items():
        for txid in rows.keys() - {t.hex() for t in export.seen}:
            rows[txid][0].fail("transaction_hash", f"no transaction record for these {kind}")


def read_tables(files: Sequence[Path], batch_blocks: int) -> Iterator[ChainBatch]:
    """Canonical batches of ``batch_blocks`` blocks from files read whole, by height."""
    export = _load(files)
    _check_orphans(export)
    with_txs = bool(export.txs)
    heights = sorted(export.blocks)
    for start in range(0, len(heights), batch_blocks):
        rows = UtxoRows()
        for height in heights[start : start + batch_blocks]:
            _add_block(rows, export, height, with_txs)
        yield rows.batch(source_name(files))
