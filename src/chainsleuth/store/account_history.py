"""What moved value to or from an account-chain address: graph index + uncovered partitions.

An address's history is its value-transfer edges, as the graph index defines them
(``store/graph_arrays.py``): successful transactions (value or not), successful internal
and reward traces that move value (a root trace repeats its transaction), and token
transfers. Edges of the batches the index covers come from its ``addr_out``/``addr_in``
rows; those of other batches from their partitions, with the same rules, so the answer
does not depend on the index. Amounts are summed exactly as eight 32-bit limbs in int64
(no float, no Python loop over the index's edges).

Rows: one per transaction; block rewards (no transaction) one per block, with txid "".
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import duckdb
import numpy as np
import numpy.typing as npt

from chainsleuth.store.keys import NO_ID
from chainsleuth.store.lookup import Lookup
from chainsleuth.store.manifest import BatchRecord

I64 = npt.NDArray[np.int64]
_MASK = (1 << 32) - 1
LIMBS = 8  # 32-bit limbs of a uint256, most significant first
_SHIFTS = tuple(range(32 * (LIMBS - 1), -1, -32))


@dataclass(frozen=True)
class Edges:
    """An address's edges: tx_id (-1: reward), height, token (-1: the native coin),
    direction (1 received, 0 sent) and value as :data:`LIMBS` limbs, most significant first."""

    tx: I64
    height: I64
    token: I64
    received: npt.NDArray[np.bool_]
    limbs: I64

    @staticmethod
    def join(parts: list[Edges]) -> Edges:
        return Edges(*(np.concatenate([getattr(p, f) for p in parts]) for f in _FIELDS))


_FIELDS = ("tx", "height", "token", "received", "limbs")


def _limbs_of_ints(values: list[int]) -> I64:
    out = np.zeros((len(values), LIMBS), np.int64)
    for i, v in enumerate(values):
        out[i] = [(v >> s) & _MASK for s in _SHIFTS]
    return out


def to_int(limbs: I64) -> int:
    """The integer behind one row of limb sums (each may exceed 32 bits)."""
    return sum(int(x) << s for x, s in zip(limbs.tolist(), _SHIFTS, strict=True))


def _covered_heights(lk: Lookup, heights: I64) -> npt.NDArray[np.bool_]:
    spans = sorted((b["min_height"], b["max_height"]) for b in lk.covered)
    if not spans:
        return np.zeros(len(heights), bool)
    lo = np.array([s[0] for s in spans], np.int64)
    hi = np.array([s[1] for s in spans], np.int64)
    at = np.searchsorted(lo, heights, "right") - 1
    return (at >= 0) & (heights <= hi[np.maximum(at, 0)])


def _index(lk: Lookup, addr_id: int) -> Edges | None:
    """Edges of the covered batches from the index; None when it cannot give them."""
    g = lk.index
    if g is None or addr_id >= g.n_addresses:
        return None
    out, inc = g.row("addr_out", addr_id), g.row("addr_in", addr_id)
    e = np.concatenate([out, inc])
    block = np.asarray(g["edge_block"][e], np.int64)
    keep = _covered_heights(lk, block)
    e, block, received = e[keep], block[keep], (np.arange(len(keep)) >= len(out))[keep]
    if np.asarray(g["edge_overflow"][e]).any():
        return None  # beyond 2**128 the index keeps only the low bits: read the partitions
    hi, lo = (np.asarray(g[a][e], np.uint64) for a in ("edge_value_hi", "edge_value_lo"))
    limbs = np.zeros((len(e), LIMBS), np.int64)
    limbs[:, -4:] = np.stack([hi >> 32, hi & _MASK, lo >> 32, lo & _MASK], axis=1)
    tx, token = (np.asarray(g[a][e], np.int64) for a in ("edge_tx", "edge_token"))
    return Edges(
        np.where(tx == NO_ID, -1, tx), block, np.where(token == NO_ID, -1, token), received, limbs
    )


_MOVES = """
    SELECT tx_id, block_number, NULL::BIGINT AS token, from_id, to_id, value, NULL::BLOB AS over
        FROM read_parquet($transactions)
        WHERE receipt_status IS DISTINCT FROM 0 AND (from_id = $a OR to_id = $a)
    UNION ALL SELECT tx_id, block_number, NULL, from_id, to_id, value, NULL
        FROM read_parquet($traces)
        WHERE status = 1 AND value IS NOT NULL AND value <> 0
            AND (tx_id IS NULL OR trace_address <> '') AND (from_id = $a OR to_id = $a)
    UNION ALL SELECT tx_id, block_number, token_id, from_id, to_id, value, value_overflow
        FROM read_parquet($token_transfers) WHERE from_id = $a OR to_id = $a"""


def _partitions(
    con: duckdb.DuckDBPyConnection, lk: Lookup, addr_id: int, batches: list[BatchRecord]
) -> Edges:
    tables = ("transactions", "traces", "token_transfers")
    params = {"a": addr_id, **{t: lk.files(t, batches) for t in tables}}
    rows = con.execute(_MOVES, params).fetchall() if batches else []
    tx, height, token, received, values = [], [], [], [], []
    for t, h, k, src, dst, value, over in rows:
        amount = int(value) if isinstance(value, Decimal) else int.from_bytes(over or b"", "big")
        for got in (False, True):  # a self-transfer is both sent and received
            if (dst if got else src) == addr_id:
                tx.append(-1 if t is None else t)
                height.append(h)
                token.append(-1 if k is None else k)
                received.append(got)
                values.append(amount)
    return Edges(
        np.array(tx, np.int64), np.array(height, np.int64), np.array(token, np.int64),
        np.array(received, bool), _limbs_of_ints(values),
    )  # fmt: skip


def address_edges(con: duckdb.DuckDBPyConnection, lk: Lookup, addr_id: int) -> Edges:
    """Every value-transfer edge of ``addr_id``, whatever the state of the index."""
    edges = _index(lk, addr_id)
    if edges is None:
        return _partitions(con, lk, addr_id, lk.entry["batches"])
    return Edges.join([edges, _partitions(con, lk, addr_id, lk.uncovered)])


@dataclass(frozen=True)
class Rows:
    """Per transaction (or reward block), newest first (a block's rewards before its
    transactions): native coin received and sent."""

    tx: I64
    height: I64
    received: I64  # limb sums (n, LIMBS)
    sent: I64


def per_transaction(e: Edges) -> Rows:
    """Group edges by transaction (rewards by block); native amounts summed per row."""
    key = np.stack([e.height, e.tx], axis=1)
    uniq, inverse = np.unique(key, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    recv, sent = _sums(e.token < 0, inverse, e, len(uniq))
    # a block's rewards come after its transactions (as in the graph's replay order)
    after = np.where(uniq[:, 1] < 0, np.iinfo(np.int64).max, uniq[:, 1])
    order = np.lexsort((-after, -uniq[:, 0]))
    return Rows(uniq[order, 1], uniq[order, 0], recv[order], sent[order])


def _sums(keys: npt.NDArray[np.bool_], inverse: I64, e: Edges, n: int) -> tuple[I64, I64]:
    """Limb sums per group of what was received and what was sent."""
    out = []
    for mask in (e.received, ~e.received):
        acc = np.zeros((n, LIMBS), np.int64)
        np.add.at(acc, inverse[mask & keys], e.limbs[mask & keys])
        out.append(acc)
    return out[0], out[1]


def token_sums(e: Edges) -> dict[int, tuple[int, int]]:
    """Per token id: (received, sent), exact."""
    tokens, inverse = np.unique(e.token, return_inverse=True)
    recv, sent = _sums(e.token >= 0, inverse.ravel(), e, len(tokens))
    return {
        int(t): (to_int(recv[i]), to_int(sent[i])) for i, t in enumerate(tokens.tolist()) if t >= 0
    }
