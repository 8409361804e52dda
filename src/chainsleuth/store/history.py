"""What touched a UTXO address, and who spent an output: graph index + uncovered partitions.

Both answers come from the graph index for the batches it covers and from the partitions of
the batches it does not (:class:`~chainsleuth.store.lookup.Lookup`), so they are complete
whether the index is current, stale or missing, and cost O(rows of that address) when the
index is current.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import numpy.typing as npt

from chainsleuth.store.keys import NO_ID
from chainsleuth.store.lookup import Lookup

I64 = npt.NDArray[np.int64]
Columns = tuple[I64, I64, I64, I64]  # tx_id, height, received, sent


def _none() -> Columns:
    z = np.zeros(0, np.int64)
    return z, z, z, z


@dataclass(frozen=True)
class History:
    """Per transaction of an address (sorted newest first): what it received and sent."""

    tx_id: I64
    height: I64
    received: I64
    sent: I64


def _from_index(lk: Lookup, addr_id: int) -> Columns:
    g = lk.index
    if g is None or addr_id >= g.n_addresses:
        return _none()
    orow, irow = g.row("addr_outputs", addr_id), g.row("addr_inputs", addr_id)
    otx = np.searchsorted(g["out_start"], orow, "right") - 1
    itx = np.searchsorted(g["in_start"], irow, "right") - 1
    o_ok, i_ok = lk.covered_txs(otx), lk.covered_txs(itx)
    tx = np.concatenate([otx[o_ok], itx[i_ok]])
    recv = np.concatenate([g["out_value"][orow[o_ok]], np.zeros(int(i_ok.sum()), np.int64)])
    sent = np.concatenate([np.zeros(int(o_ok.sum()), np.int64), g["in_value"][irow[i_ok]]])
    return tx, np.asarray(g["tx_height"][tx], np.int64), recv, sent


def _from_partitions(con: duckdb.DuckDBPyConnection, lk: Lookup, addr_id: int) -> Columns:
    if not lk.uncovered:
        return _none()
    files = {t: lk.files(t, lk.uncovered) for t in ("outputs", "inputs", "transactions")}
    cols = con.execute(
        """SELECT m.tx_id, t.height, m.recv, m.sent FROM (
            SELECT tx_id, value AS recv, 0 AS sent FROM read_parquet($outputs)
                WHERE addr_id = $a
            UNION ALL SELECT tx_id, 0, value FROM read_parquet($inputs)
                WHERE addr_id = $a AND resolution IN (1, 2)) m
        JOIN read_parquet($transactions) t ON t.tx_id = m.tx_id""",
        {"a": addr_id, **files},
    ).fetchnumpy()
    tx, height, recv, sent = (
        np.asarray(cols[k], np.int64) for k in ("tx_id", "height", "recv", "sent")
    )
    return tx, height, recv, sent


def address_history(con: duckdb.DuckDBPyConnection, lk: Lookup, addr_id: int) -> History:
    """Every transaction that paid or spent ``addr_id``, newest first (height, then tx_id)."""
    a, b = _from_index(lk, addr_id), _from_partitions(con, lk, addr_id)
    tx, height, recv, sent = (np.concatenate([x, y]) for x, y in zip(a, b, strict=True))
    ids, first, inverse = np.unique(tx, return_index=True, return_inverse=True)
    received, spent = np.zeros(len(ids), np.int64), np.zeros(len(ids), np.int64)
    np.add.at(received, inverse, recv)  # int64 sums: exact, unlike bincount's float weights
    np.add.at(spent, inverse, sent)
    heights = height[first]
    order = np.lexsort((-ids, -heights))
    return History(ids[order], heights[order], received[order], spent[order])


def spent_by(
    con: duckdb.DuckDBPyConnection, lk: Lookup, tx_id: int, out_rows: list[int]
) -> dict[int, int]:
    """The tx_id spending each of a transaction's output rows (``out_index``), where known."""
    found: dict[int, int] = {}
    g = lk.index
    if g is not None and out_rows and lk.covered_txs(np.array([tx_id]))[0]:
        rows = np.asarray(out_rows, np.int64)
        spender = np.asarray(g["out_spent"][rows], np.int64)
        known = spender != NO_ID
        known[known] = lk.covered_txs(spender[known])
        found = dict(zip(rows[known].tolist(), spender[known].tolist(), strict=True))
    if lk.uncovered:
        for row, spender in con.execute(
            "SELECT prev_out, min(tx_id) FROM read_parquet($f) WHERE prev_tx_id = $t "
            "GROUP BY prev_out",
            {"f": lk.files("inputs", lk.uncovered), "t": tx_id},
        ).fetchall():
            found[int(row)] = min(int(spender), found.get(int(row), int(spender)))
    return found
