"""Canonical transactions, inputs and outputs from bitcoin-etl transaction columns.

Works on the transactions of a block range at once: nested inputs and outputs are
flattened with ``pc.list_flatten``/``list_parent_indices``, hex is decoded with a lookup
table, scripts are classified by :func:`~chainsleuth.chain.script.classify_scripts` over
one buffer, and input addresses are parsed once per distinct text.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from chainsleuth.chain.address import parse_address
from chainsleuth.chain.readers._etl_columns import (
    I64,
    U8,
    Rows,
    hash_array,
    hashes,
    hex_bytes,
    integers,
    lengths,
    required,
    spans,
)
from chainsleuth.chain.readers._utxo_rows import INT32, MAX_MONEY, UINT32_MAX
from chainsleuth.chain.schema import UTXO_TABLES, empty_table
from chainsleuth.chain.script import ADDRESS_TYPES, ScriptType, classify_scripts
from chainsleuth.errors import Invalid

_TEXT_TYPES = {t.core_name: t for t in ADDRESS_TYPES}
_INT32_MAX = INT32[1]


def _field(col: pa.Array, name: str) -> pa.Array:
    return pc.struct_field(col, name)


def _positions(parents: I64, counts: I64) -> I64:
    """Each child's position in its parent's list."""
    starts = np.cumsum(counts) - counts
    return np.arange(len(parents), dtype=np.int64) - starts[parents]


def _flat(txs: pa.Table, rows: Rows, name: str) -> tuple[pa.Array, I64, Rows]:
    """A nested list column flattened: (items, parent rows, where each item came from)."""
    col = txs[name].combine_chunks()
    items = pc.list_flatten(col)
    parents = np.asarray(pc.list_parent_indices(col), np.int64)
    nested = rows.nested(name, parents, _positions(parents, lengths(col)))
    index = integers(nested, _field(items, "index"), "index", 0, _INT32_MAX)
    bad = index != nested.positions
    if bad.any():
        at = int(np.argmax(bad))
        nested.fail(at, "index", f"is {int(index[at])} at position {int(nested.positions[at])}")  # type: ignore[index]
    return items, parents, nested


def _sats(rows: Rows, col: pa.Array, field: str) -> I64:
    return integers(rows, col, field, 0, MAX_MONEY)


def _outputs(txs: pa.Table, rows: Rows, where: dict[str, pa.Array]) -> tuple[pa.Table, I64]:
    """The outputs table and each transaction's output total."""
    items, parents, nested = _flat(txs, rows, "outputs")
    values = _sats(nested, _field(items, "value"), "value")
    offsets, buf = hex_bytes(nested, _field(items, "script_hex"), "script_hex")
    kinds, starts, sizes = classify_scripts(buf if len(buf) else np.zeros(1, np.uint8), offsets)
    columns = {
        "txid": where["txid"].take(parents),
        "height": where["height"].take(parents),
        "vout": pa.array(nested.positions, pa.uint32()),
        "value": pa.array(values, pa.int64()),
        "script_type": pa.array(kinds, pa.uint8()),
        "payload": spans(buf, starts, sizes),
    }
    totals = np.bincount(parents, weights=values, minlength=txs.num_rows)  # exact below 2**53
    over = totals > MAX_MONEY
    if over.any():
        at = int(np.argmax(over))
        rows.fail(at, "outputs", f"outputs sum to {int(totals[at])} sat, more than all bitcoin")
    return pa.table(columns, schema=UTXO_TABLES["outputs"]), totals.astype(np.int64)


def _first_address(items: pa.Array) -> pa.Array:
    """Each input's first address text, null when it has none."""
    addresses = _field(items, "addresses")
    counts = lengths(addresses)
    starts = np.cumsum(counts) - counts
    return pc.list_flatten(addresses).take(pa.array(starts, mask=counts == 0))


def _codes(col: pa.Array) -> tuple[I64, list[str]]:
    """Dictionary codes (-1 for null) and the distinct texts of a string column."""
    encoded = pc.dictionary_encode(col)
    return np.asarray(pc.fill_null(encoded.indices, -1), np.int64), encoded.dictionary.to_pylist()


def _address_keys(nested: Rows, items: pa.Array) -> tuple[pa.Array, pa.Array]:
    """(prev_address_type, prev_address) of enriched inputs, parsing each text once."""
    kind_codes, kinds = _codes(_field(items, "type"))
    expected = np.array([_TEXT_TYPES.get(k, 255) for k in kinds] + [255], np.uint8)
    expected[expected == ScriptType.P2PK] = ScriptType.P2PKH  # the text of P2PK is P2PKH's
    expected = expected[kind_codes]
    addr_codes, texts = _codes(_first_address(items))
    wanted = (expected != 255) & (addr_codes >= 0)
    key_types = np.zeros(len(texts) + 1, np.uint8)
    payloads: list[bytes | None] = [None] * len(texts)
    for i in np.unique(addr_codes[wanted]).tolist():
        try:
            key_types[i], payloads[i] = parse_address(texts[i])
        except Invalid as exc:
            nested.fail(int(np.argmax(wanted & (addr_codes == i))), "addresses", str(exc))
    got = key_types[addr_codes]
    bad = wanted & (got != expected)
    if bad.any():
        at = int(np.argmax(bad))
        reason = f"{kinds[kind_codes[at]]!r} does not match address {texts[addr_codes[at]]}"
        nested.fail(at, "type", reason)
    picks = pa.array(addr_codes, mask=~wanted)
    return (
        pa.array(got, pa.uint8(), mask=~wanted),
        pa.array(payloads, pa.binary()).take(picks),
    )


def _spread(col: pa.Array, dest: I64, total: int) -> pa.Array:
    """``col`` placed at rows ``dest`` of a column of ``total`` rows, null elsewhere."""
    picks = np.full(total, -1, np.int64)
    picks[dest] = np.arange(len(dest))
    return col.take(pa.array(picks, mask=picks < 0))


def _inputs(
    txs: pa.Table, rows: Rows, coinbase: np.ndarray, where: dict[str, pa.Array]
) -> pa.Table:
    """One row per input; a coinbase transaction gets its one (unexported) input."""
    items, parents, nested = _flat(txs, rows, "inputs")
    canon = np.where(coinbase, 1, lengths(txs["inputs"]))
    starts = np.cumsum(canon) - canon
    total = int(canon.sum())
    owner = np.repeat(np.arange(len(canon)), canon)
    sequence = np.full(total, UINT32_MAX, np.int64)
    lead = np.flatnonzero(coinbase[parents] & (nested.positions == 0))
    first = nested.take(lead)
    sequence[starts[parents[lead]]] = integers(
        first, _field(items, "sequence").take(lead), "sequence", 0, UINT32_MAX
    )
    picks = np.flatnonzero(~coinbase[parents])
    spends, at = items.take(picks), nested.take(picks)
    dest = starts[parents[picks]] + at.positions
    prev_txid = np.zeros((total, 32), np.uint8)
    prev_txid[dest] = hashes(at, _field(spends, "spent_transaction_hash"), "spent_transaction_hash")
    prev_vout = np.full(total, UINT32_MAX, np.int64)
    prev_vout[dest] = integers(
        at, _field(spends, "spent_output_index"), "spent_output_index", 0, UINT32_MAX
    )
    sequence[dest] = integers(at, _field(spends, "sequence"), "sequence", 0, UINT32_MAX)
    values = _field(spends, "value")
    known = np.flatnonzero(~np.asarray(values.is_null()))
    _sats(at.take(known), values.take(known), "value")
    key_type, key = _address_keys(at, spends)
    columns = {
        "txid": where["txid"].take(owner),
        "height": where["height"].take(owner),
        "index": pa.array(np.arange(total) - starts[owner], pa.int32()),
        "prev_txid": hash_array(prev_txid),
        "prev_vout": pa.array(prev_vout, pa.uint32()),
        "sequence": pa.array(sequence, pa.uint32()),
        "prev_value": _spread(values, dest, total),
        "prev_address_type": _spread(key_type, dest, total),
        "prev_address": _spread(key, dest, total),
    }
    return pa.table(columns, schema=UTXO_TABLES["inputs"])


def _check_places(txs: pa.Table, rows: Rows, heights: I64, block_hash: U8) -> None:
    """Each transaction names its block's hash and its own place in the block."""
    named = hashes(rows, txs["block_hash"].combine_chunks(), "block_hash")
    bad = (named != block_hash).any(axis=1)
    if bad.any():
        at = int(np.argmax(bad))
        reason = f"differs from block {int(heights[at])}'s hash {block_hash[at].tobytes().hex()}"
        rows.fail(at, "block_hash", reason)
    place = np.arange(len(heights)) - np.searchsorted(heights, heights, "left")
    index = txs["index"].combine_chunks()
    given = np.asarray(pc.fill_null(index, -1), np.int64)
    bad = (given != place) & ~np.asarray(index.is_null())
    if bad.any():
        at = int(np.argmax(bad))
        reason = f"is {int(given[at])}, expected {int(place[at])} (missing transactions?)"
        rows.fail(at, "index", reason)
    for name in ("inputs", "outputs"):
        said = txs[name[:-1] + "_count"].combine_chunks()
        held = lengths(txs[name])
        said_np = np.asarray(pc.fill_null(said, -1), np.int64)
        bad = (said_np != held) & ~np.asarray(said.is_null())
        if bad.any():
            at = int(np.argmax(bad))
            reason = f"says {int(said_np[at])}, the export holds {int(held[at])}"
            rows.fail(at, name[:-1] + "_count", reason)


def transaction_tables(txs: pa.Table, rows: Rows, block_hash: U8) -> dict[str, pa.Table]:
    """Canonical transactions, inputs and outputs of ``txs``, sorted by block and index.

    ``block_hash`` holds, for each transaction, the hash of the block it is in.
    """
    if txs.num_rows == 0:
        return {
            name: empty_table(UTXO_TABLES[name]) for name in ("transactions", "inputs", "outputs")
        }
    col = {name: txs[name].combine_chunks() for name in ("hash", "block_number", "is_coinbase")}
    txid = hash_array(hashes(rows, col["hash"], "hash"))
    heights = integers(rows, col["block_number"], "block_number", 0, _INT32_MAX)
    _check_places(txs, rows, heights, block_hash)
    coinbase = np.asarray(required(rows, col["is_coinbase"], "is_coinbase"), bool)
    where = {"txid": txid, "height": pa.array(heights, pa.int32())}
    inputs = _inputs(txs, rows, coinbase, where)
    outputs, totals = _outputs(txs, rows, where)
    version = integers(rows, txs["version"].combine_chunks(), "version", INT32[0], UINT32_MAX)
    size, vsize = (
        integers(rows, txs[name].combine_chunks(), name, 0, _INT32_MAX)
        for name in ("size", "virtual_size")
    )
    lock_time = integers(rows, txs["lock_time"].combine_chunks(), "lock_time", 0, UINT32_MAX)
    columns = {
        **where,
        "block_hash": hash_array(block_hash),
        "index": pa.array(np.arange(len(heights)) - np.searchsorted(heights, heights), pa.int32()),
        "version": pa.array(np.where(version > _INT32_MAX, version - 2**32, version), pa.int32()),
        "locktime": pa.array(lock_time, pa.uint32()),
        "size": pa.array(size, pa.int32()),
        "vsize": pa.array(vsize, pa.int32()),
        "is_coinbase": pa.array(coinbase),
        "has_witness": pa.array(size != vsize),
        "input_count": pa.array(np.where(coinbase, 1, lengths(txs["inputs"])), pa.int32()),
        "output_count": pa.array(lengths(txs["outputs"]), pa.int32()),
        "output_value": pa.array(totals, pa.int64()),
    }
    return {
        "transactions": pa.table(columns, schema=UTXO_TABLES["transactions"]),
        "inputs": inputs,
        "outputs": outputs,
    }
