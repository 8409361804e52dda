"""Account-chain batches (Ethereum-like): validate, order, give ids to hashes and addresses.

No input resolution: transactions, traces and token transfers name both ends. Amount
columns stay ``decimal128(38, 0)`` (with the token ``value_overflow`` column).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from chainsleuth.chain.batch import ChainBatch
from chainsleuth.store.errors import BadBatch
from chainsleuth.store.idmap import IdMap
from chainsleuth.store.keys import NO_ID
from chainsleuth.store.utxo import Unit, flat_or_empty

_ENDS: dict[str, tuple[str, ...]] = {
    "transactions": ("from_address", "to_address"),
    "traces": ("from_address", "to_address"),
    "token_transfers": ("token_address", "from_address", "to_address"),
}
_ID_NAMES = {"from_address": "from_id", "to_address": "to_id", "token_address": "token_id"}


def _bad(chain: str, batch: ChainBatch, number: Any, what: str) -> BadBatch:
    return BadBatch(f"chain {chain!r}, {batch.source or 'batch'}: block {number}: {what}")


def order_batch(chain: str, batch: ChainBatch, keep: npt.NDArray[np.bool_]) -> ChainBatch:
    """Validate ``batch`` and return its blocks where ``keep``, transactions in block order."""
    blocks = batch["blocks"]
    numbers = blocks["number"].to_numpy()
    if len(np.unique(numbers)) != len(numbers):
        raise _bad(chain, batch, None, "two blocks with one number in one batch")
    txs = batch["transactions"]
    bpos = pc.index_in(txs["block_hash"], blocks["hash"])
    if bpos.null_count:
        bad = txs.filter(pc.is_null(bpos))
        raise _bad(
            chain, batch, bad["block_number"][0].as_py(), "transaction of a block not in batch"
        )
    txs = txs.append_column("_b", bpos).sort_by(
        [("_b", "ascending"), ("transaction_index", "ascending")]
    )
    b = txs["_b"].to_numpy().astype(np.int64)
    if not np.array_equal(txs["block_number"].to_numpy(), numbers[b]):
        raise _bad(chain, batch, None, "transaction block_number differs from its block's")
    counts = np.bincount(b, minlength=len(numbers))
    wrong = np.flatnonzero(counts != blocks["transaction_count"].to_numpy())
    if len(wrong):
        raise _bad(chain, batch, int(numbers[wrong[0]]), "transaction_count mismatch")
    kept = pa.array(numbers[keep])
    out = {"blocks": blocks.filter(pa.array(keep)), "transactions": txs.drop_columns(["_b"])}
    for name in ("traces", "token_transfers"):
        table = batch[name]
        inside = pc.is_in(table["block_number"], pa.array(numbers))
        if not pc.all(inside).as_py() and len(table):
            bad = table.filter(pc.invert(inside))
            raise _bad(
                chain, batch, bad["block_number"][0].as_py(), f"{name} of a block not in batch"
            )
        out[name] = table.filter(pc.is_in(table["block_number"], kept))
    out["transactions"] = out["transactions"].filter(pc.is_in(txs["block_number"], kept))
    return ChainBatch("account", out, batch.source)


def _ids(ids: npt.NDArray[np.uint32], valid: pa.Array) -> pa.Array:
    full = np.full(len(valid), NO_ID, np.uint32)
    full[np.asarray(valid.to_numpy(zero_copy_only=False))] = ids
    return pa.array(full, mask=full == NO_ID)


def build_unit(batch: ChainBatch, txmap: IdMap, addrmap: IdMap) -> Unit:
    """Give ids to transaction hashes and addresses; add the id columns to every table."""
    txs = batch["transactions"]
    addr_base = addrmap.next_id
    tx_id = txmap.add_rows(txs["hash"].combine_chunks())
    columns = [(t, c, batch[t][c].combine_chunks()) for t, cols in _ENDS.items() for c in cols]
    valid = [pc.is_valid(col) for _, _, col in columns]
    allkeys = pa.concat_arrays(
        [col.filter(v) for (_, _, col), v in zip(columns, valid, strict=True)]
    )
    enc = pc.dictionary_encode(allkeys.cast(pa.binary()))
    ids, new_keys = addrmap.assign(enc.dictionary)
    codes = enc.indices.to_numpy()
    tables = {
        "blocks": batch["blocks"],
        "transactions": txs.append_column("tx_id", pa.array(tx_id)),
    }
    for name in ("traces", "token_transfers"):
        t = batch[name]
        hashes = t["transaction_hash"].combine_chunks()
        has = pc.is_valid(hashes)
        found = txmap.lookup(hashes.filter(has)) if len(t) else np.zeros(0, np.uint32)
        tables[name] = t.append_column("tx_id", _ids(found, has))
    at = 0
    for (table, col, _), v in zip(columns, valid, strict=True):
        n = int(pc.sum(v).as_py() or 0)
        tables[table] = tables[table].append_column(
            _ID_NAMES[col], _ids(ids[codes[at : at + n]], v)
        )
        at += n
    data, offsets = flat_or_empty(new_keys)
    tables["addresses"] = pa.table(
        {
            "addr_id": pa.array(np.arange(addr_base, addrmap.next_id, dtype=np.uint32)),
            "address": new_keys.cast(pa.binary(20)),
        }
    )
    tx_data, tx_off = (
        txmap.keys.piece(-1) if len(txs) else (np.zeros(0, np.uint8), np.zeros(1, np.int64))
    )
    arrays: dict[str, npt.NDArray[Any]] = {
        "txkeys.data": tx_data,
        "txkeys.off": tx_off,
        "addrkeys.data": data,
        "addrkeys.off": offsets,
    }
    added = {
        "blocks": batch.block_count,
        "txs": len(txs),
        "inputs": 0,
        "outputs": 0,
        "addresses": addrmap.next_id - addr_base,
    }
    stats = {"unresolved": 0, "from_source": 0, "max_prev_out": -1, "fees": 0}
    return Unit(tables, arrays, added, stats)
