"""Canonical block rows of bitcoin-etl block records, checked one by one (blocks are few)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from chainsleuth.chain.readers._etl_tables import seconds_field
from chainsleuth.chain.readers._utxo_rows import INT32, ZERO_HASH, Fields, header_hash
from chainsleuth.chain.schema import UTXO_TABLES

Parent = tuple[int, bytes] | None  # (height, hash) of the block read just before a range


def block_fields(row: dict[str, Any], paths: Sequence[Path]) -> Fields:
    """A block record with its file and line, for located errors."""
    return Fields(row, path=paths[row["_file"]], record=f"line {row['_line']}")


def block_table(blocks: list[Fields], parent: Parent, tx_counts: list[int] | None) -> pa.Table:
    """The blocks table of a height-sorted range; ``parent`` is the block read just below it.

    ``tx_counts`` are the transactions the export holds per block (None: a read of blocks
    only), each checked against the block's ``transaction_count``.
    """
    cols: dict[str, list[Any]] = {f.name: [] for f in UTXO_TABLES["blocks"]}
    for i, blk in enumerate(blocks):
        height, block_hash = blk.integer("number", 0, INT32[1]), blk.hash("hash")
        merkle, version = blk.hash("merkle_root"), blk.int32("version")
        seconds, bits, nonce = (
            seconds_field(blk, "timestamp"),
            blk.hexint("bits"),
            blk.hexint("nonce"),
        )
        prev = parent[1] if parent is not None and parent[0] == height - 1 else None
        prev = ZERO_HASH if height == 0 else prev
        if prev is not None:
            header = header_hash(
                version=version, prev=prev, merkle=merkle, time=seconds, bits=bits, nonce=nonce
            )
            if header != block_hash:
                blk.fail("hash", "the header rebuilt on the block below does not hash to it")
        tx_count = blk.integer("transaction_count", 1, INT32[1])
        if tx_counts is not None and tx_counts[i] != tx_count:
            blk.fail("transaction_count", f"is {tx_count}, the export holds {tx_counts[i]}")
        row = {
            "height": height,
            "hash": block_hash,
            "prev_hash": prev,
            "merkle_root": merkle,
            "time": seconds,
            "version": version,
            "bits": bits,
            "nonce": nonce,
            "size": blk.integer("size", 0, INT32[1]),
            "weight": blk.integer("weight", 0, INT32[1]),
            "tx_count": tx_count,
            "coinbase_script": blk.hexbytes("coinbase_param", allow_empty=True),
        }
        for name, value in row.items():
            cols[name].append(value)
        parent = (height, block_hash)
    return pa.Table.from_pydict(cols, schema=UTXO_TABLES["blocks"])
