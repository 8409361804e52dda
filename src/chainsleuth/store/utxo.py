"""UTXO batches: validate and order the canonical tables, then add the store columns.

Order is the ingest order: blocks as given, transactions by position in their block,
outputs by vout, inputs by index. That order defines the dense ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from chainsleuth.chain.batch import ChainBatch
from chainsleuth.store.errors import BadBatch
from chainsleuth.store.idmap import IdMap
from chainsleuth.store.keys import NO_ID, flat, source_address_keys, unflat, utxo_address_keys
from chainsleuth.store.resolve import Resolved, count_status, resolve_inputs, tx_fees
from chainsleuth.store.segments import Segments

I64 = npt.NDArray[np.int64]
ZERO_HASH = b"\x00" * 32


def _bad(chain: str, batch: ChainBatch, height: Any, what: str) -> BadBatch:
    blocks = batch["blocks"]
    where = f"height {height}"
    hit: Any = np.flatnonzero(blocks["height"].to_numpy() == height) if height is not None else []
    if len(hit):
        where += f" (block {blocks['hash'][int(hit[0])].as_py().hex()})"
    return BadBatch(f"chain {chain!r}, {batch.source or 'batch'}: block {where}: {what}")


def _group_starts(pos: I64, n_groups: int, counts: I64) -> I64:
    """Start row of each group; checks the row count per group against ``counts``."""
    actual = np.bincount(pos, minlength=n_groups)
    if not np.array_equal(actual, counts):
        raise ValueError(int(np.flatnonzero(actual != counts)[0]))
    return np.concatenate([[0], np.cumsum(actual)[:-1]]).astype(np.int64)


def _children(
    chain: str, batch: ChainBatch, txs: pa.Table, name: str, *, seq_col: str, count_col: str
) -> pa.Table:
    """Rows of ``name`` ordered by (tx position, ``seq_col``), checked against the tx counts."""
    rows = batch[name]
    keyed = txs.select(["height", "txid"]).append_column("_tx", pa.array(np.arange(len(txs))))
    joined = rows.join(keyed, ["height", "txid"], join_type="left outer")
    if joined["_tx"].null_count:
        bad = joined.filter(pc.is_null(joined["_tx"]))
        raise _bad(
            chain,
            batch,
            bad["height"][0].as_py(),
            f"{name} of unknown tx {bad['txid'][0].as_py().hex()}",
        )
    joined = joined.sort_by([("_tx", "ascending"), (seq_col, "ascending")])
    pos = joined["_tx"].to_numpy()
    counts = txs[count_col].to_numpy().astype(np.int64)
    try:
        start = _group_starts(pos, len(txs), counts)
    except ValueError as exc:
        t = int(exc.args[0])
        raise _bad(
            chain,
            batch,
            txs["height"][t].as_py(),
            f"tx {txs['txid'][t].as_py().hex()} "
            f"has {count_col} {counts[t]} but a different number of {name}",
        ) from None
    seq = joined[seq_col].to_numpy().astype(np.int64)
    wrong = np.flatnonzero(seq != np.arange(len(seq)) - start[pos])
    if len(wrong):
        t = int(pos[wrong[0]])
        raise _bad(
            chain,
            batch,
            txs["height"][t].as_py(),
            f"tx {txs['txid'][t].as_py().hex()}: {name} {seq_col} not 0..n-1",
        )
    return pa.Table.from_arrays(joined.select(rows.schema.names).columns, schema=rows.schema)


def order_batch(chain: str, batch: ChainBatch, keep: npt.NDArray[np.bool_]) -> ChainBatch:
    """Validate ``batch`` and return its blocks where ``keep``, all tables in ingest order."""
    blocks = batch["blocks"]
    heights = blocks["height"].to_numpy()
    if len(np.unique(heights)) != len(heights):
        raise _bad(chain, batch, None, "two blocks at one height in one batch")
    txs = batch["transactions"]
    bpos = pc.index_in(txs["block_hash"], blocks["hash"])
    if bpos.null_count:
        bad = txs.filter(pc.is_null(bpos))
        raise _bad(chain, batch, bad["height"][0].as_py(), "transaction of a block not in batch")
    txs = txs.append_column("_b", bpos).sort_by([("_b", "ascending"), ("index", "ascending")])
    b = txs["_b"].to_numpy().astype(np.int64)
    if not np.array_equal(txs["height"].to_numpy(), heights[b]):
        raise _bad(chain, batch, None, "transaction height differs from its block's")
    try:
        start = _group_starts(b, len(blocks), blocks["tx_count"].to_numpy().astype(np.int64))
    except ValueError as exc:
        raise _bad(chain, batch, heights[int(exc.args[0])], "tx_count mismatch") from None
    if not np.array_equal(txs["index"].to_numpy(), np.arange(len(b)) - start[b]):
        raise _bad(chain, batch, None, "transaction indexes are not 0..n-1 in a block")
    if len(txs) and txs.group_by(["height", "txid"]).aggregate([]).num_rows != len(txs):
        raise _bad(chain, batch, None, "a txid appears twice in one block")
    txs = txs.drop_columns(["_b"])
    outputs = _children(chain, batch, txs, "outputs", seq_col="vout", count_col="output_count")
    inputs = _children(chain, batch, txs, "inputs", seq_col="index", count_col="input_count")
    if (txs["input_count"].to_numpy() < 1).any():
        raise _bad(chain, batch, None, "a transaction without inputs")
    kept = pa.array(heights[keep])
    sel = {
        "blocks": blocks.filter(pa.array(keep)),
        "transactions": txs.filter(pc.is_in(txs["height"], kept)),
        "inputs": inputs.filter(pc.is_in(inputs["height"], kept)),
        "outputs": outputs.filter(pc.is_in(outputs["height"], kept)),
    }
    return ChainBatch("utxo", sel, batch.source)


@dataclass
class Unit:
    """A batch ready to write: tables with store columns, arrays, and what it adds."""

    tables: dict[str, pa.Table]
    arrays: dict[str, npt.NDArray[Any]]
    added: dict[str, int]
    stats: dict[str, int] = field(default_factory=dict)


def build_unit(batch: ChainBatch, seg: Segments, txmap: IdMap, addrmap: IdMap) -> Unit:
    """Assign ids, resolve inputs, compute fees; registers the unit's arrays in ``seg``."""
    txs, inputs, outputs = batch["transactions"], batch["inputs"], batch["outputs"]
    base = {"txs": txmap.next_id, "addresses": addrmap.next_id, "outputs": seg_end(seg)}
    tx_id = txmap.add_rows(txs["txid"].combine_chunks())
    out_addr, new_keys = _assign_addresses(inputs, outputs, addrmap)
    counts = txs["output_count"].to_numpy().astype(np.int64)
    out_start = base["outputs"] + np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    arrays: dict[str, npt.NDArray[Any]] = {
        "tx_out_start": out_start,
        "tx_out_count": counts.astype(np.uint32),
        "out_value": outputs["value"].to_numpy(),
        "out_addr": out_addr,
    }
    arrays["txkeys.data"], arrays["txkeys.off"] = txmap.keys.piece(-1)
    arrays["addrkeys.data"], arrays["addrkeys.off"] = flat_or_empty(new_keys)
    seg.add(base, arrays, keys=False)
    in_counts = txs["input_count"].to_numpy().astype(np.int64)
    cb_tx = txs["is_coinbase"].to_numpy(zero_copy_only=False)
    res = resolve_inputs(inputs, np.repeat(cb_tx, in_counts), seg, txmap, addrmap)
    in_start = np.concatenate([[0], np.cumsum(in_counts)[:-1]]).astype(np.int64)
    input_value, fee = tx_fees(in_start, txs["output_value"].to_numpy(), cb_tx, res)
    tables = _with_store_columns(
        batch, tx_id=tx_id, in_tx=np.repeat(tx_id, in_counts), out_addr=out_addr, base=base, res=res
    )
    tables["transactions"] = tables["transactions"].append_column("input_value", input_value)
    tables["transactions"] = tables["transactions"].append_column("fee", fee)
    tables["addresses"] = address_table(new_keys, base["addresses"])
    unresolved, source, max_prev = count_status(res)
    added = {
        "blocks": batch.block_count,
        "txs": len(txs),
        "inputs": len(inputs),
        "outputs": len(outputs),
        "addresses": len(new_keys),
    }
    stats = {
        "unresolved": unresolved,
        "from_source": source,
        "max_prev_out": max_prev,
        "fees": int(pc.sum(fee).as_py() or 0),
    }
    return Unit(tables, arrays, added, stats)


def seg_end(seg: Segments) -> int:
    """Number of outputs held by ``seg`` (the next global output index)."""
    if not seg.out_value.bases:
        return 0
    return seg.out_value.bases[-1] + len(seg.out_value.piece(-1))


def _assign_addresses(
    inputs: pa.Table, outputs: pa.Table, addrmap: IdMap
) -> tuple[npt.NDArray[np.uint32], pa.Array]:
    """Address ids of the outputs (NO_ID for OP_RETURN); source-named input addresses too."""
    okeys = utxo_address_keys(
        outputs["script_type"].combine_chunks(), outputs["payload"].combine_chunks()
    )
    skeys = source_address_keys(
        inputs["prev_address_type"].combine_chunks(), inputs["prev_address"].combine_chunks()
    )
    valid = okeys.is_valid()
    both = pa.concat_arrays([okeys.filter(valid), skeys.filter(skeys.is_valid())])
    enc = pc.dictionary_encode(both)
    ids, new_keys = addrmap.assign(enc.dictionary)
    out_addr = np.full(len(outputs), NO_ID, np.uint32)
    n_valid = int(pc.sum(valid).as_py() or 0)
    out_addr[np.asarray(valid.to_numpy(False))] = ids[enc.indices.to_numpy()[:n_valid]]
    return out_addr, new_keys


def flat_or_empty(keys: pa.Array) -> tuple[npt.NDArray[np.uint8], I64]:
    if not len(keys):
        return np.zeros(0, np.uint8), np.zeros(1, np.int64)
    return flat(keys)


def address_table(keys: pa.Array, start: int) -> pa.Table:
    """``addresses`` rows for new keys numbered from ``start``: addr_id, script_type, payload."""
    data, offsets = flat_or_empty(keys)
    body = np.ones(len(data), bool)
    body[offsets[:-1]] = False  # drop each key's leading script-type byte
    payload_off = offsets - np.arange(len(offsets), dtype=np.int64)
    return pa.table(
        {
            "addr_id": pa.array(np.arange(start, start + len(keys), dtype=np.uint32)),
            "script_type": pa.array(data[offsets[:-1]], pa.uint8()),
            "payload": unflat(np.ascontiguousarray(data[body]), payload_off),
        }
    )


def _with_store_columns(
    batch: ChainBatch,
    *,
    tx_id: npt.NDArray[np.uint32],
    in_tx: npt.NDArray[np.uint32],
    out_addr: npt.NDArray[np.uint32],
    base: dict[str, int],
    res: Resolved,
) -> dict[str, pa.Table]:
    txs = batch["transactions"].append_column("tx_id", pa.array(tx_id))
    outputs = batch["outputs"]
    counts = txs["output_count"].to_numpy().astype(np.int64)
    out_index = base["outputs"] + np.arange(len(outputs), dtype=np.int64)
    for name, col in (
        ("tx_id", np.repeat(tx_id, counts)),
        ("out_index", out_index),
        ("addr_id", out_addr),
    ):
        outputs = outputs.append_column(name, pa.array(col))
    inputs = batch["inputs"].append_column("tx_id", pa.array(in_tx, pa.uint32()))
    for name, arr in res.columns().items():
        inputs = inputs.append_column(name, arr)
    return {"blocks": batch["blocks"], "transactions": txs, "inputs": inputs, "outputs": outputs}
