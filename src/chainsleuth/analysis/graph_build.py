"""Small graphs from plain rows: hand-drawn test cases, lab exercises, notebooks.

Python loops are fine here: these builders are for worlds a person can read. The store
builds the same arrays for real chains, vectorised.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from chainsleuth.analysis.graph import NO_ID, AccountGraph, Adjacency, UtxoGraph
from chainsleuth.chain.script import ScriptType
from chainsleuth.errors import Invalid


def _adjacency(n_rows: int, rows: list[int], values: list[int]) -> Adjacency:
    order = np.argsort(np.asarray(rows, np.int64), kind="stable")
    counts = (
        np.bincount(np.asarray(rows, np.int64), minlength=n_rows)
        if rows
        else np.zeros(n_rows, np.int64)
    )
    indptr = np.zeros(n_rows + 1, np.int64)
    np.cumsum(counts, out=indptr[1:])
    return Adjacency(indptr, np.asarray(values, np.int64)[order])


def utxo_graph_from_rows(
    txs: Sequence[Mapping[str, Any]], *, n_addresses: int | None = None
) -> UtxoGraph:
    """A :class:`UtxoGraph` from transactions in chain order.

    Each row: ``outputs`` as ``(addr_id, value)`` or ``(addr_id, value, ScriptType)``;
    ``inputs`` as ``(tx, vout)`` pairs naming earlier rows (empty: coinbase); optional
    ``height``, ``time``, ``version``, ``locktime``, ``vsize`` and ``sequence``
    (one per input). Default script type: P2PKH.
    """
    out_start, in_start = [0], [0]
    out_value: list[int] = []
    out_addr: list[int] = []
    out_type: list[int] = []
    in_prev: list[int] = []
    in_seq: list[int] = []
    for t, tx in enumerate(txs):
        for out in tx["outputs"]:
            out_addr.append(int(out[0]))
            out_value.append(int(out[1]))
            out_type.append(int(out[2]) if len(out) > 2 else int(ScriptType.P2PKH))
        out_start.append(len(out_value))
        seqs = tx.get("sequence", [0xFFFFFFFF] * len(tx["inputs"]))
        for (prev_tx, vout), seq in zip(tx["inputs"], seqs, strict=True):
            if prev_tx >= t or vout >= out_start[prev_tx + 1] - out_start[prev_tx]:
                raise Invalid(f"tx {t} spends {prev_tx}:{vout}, which is not an earlier output")
            in_prev.append(out_start[prev_tx] + vout)
            in_seq.append(seq)
        in_start.append(len(in_prev))
    prev = np.asarray(in_prev, np.int64)
    values = np.asarray(out_value, np.int64)
    addrs = np.asarray(out_addr, np.uint32)
    if len(np.unique(prev)) != len(prev):
        raise Invalid("an output is spent twice")
    spent = np.full(len(values), NO_ID, np.uint32)
    in_tx = np.repeat(np.arange(len(txs)), np.diff(in_start))
    spent[prev] = in_tx
    fee = np.array(
        [
            -1
            if not tx["inputs"]
            else int(values[prev[in_start[t] : in_start[t + 1]]].sum())
            - int(values[out_start[t] : out_start[t + 1]].sum())
            for t, tx in enumerate(txs)
        ],
        np.int64,
    )
    fee[[not tx["inputs"] for tx in txs]] = 0
    n_addr = n_addresses if n_addresses is not None else (int(addrs.max()) + 1 if len(addrs) else 0)
    has = addrs != NO_ID
    return UtxoGraph(
        n_addresses=n_addr,
        tx_height=np.array([tx.get("height", t) for t, tx in enumerate(txs)], np.int32),
        tx_time=np.array([tx.get("time", 0) for tx in txs], np.int64),
        tx_version=np.array([tx.get("version", 1) for tx in txs], np.int32),
        tx_locktime=np.array([tx.get("locktime", 0) for tx in txs], np.uint32),
        tx_vsize=np.array([tx.get("vsize", 200) for tx in txs], np.int32),
        tx_fee=fee,
        tx_coinbase=np.array([not tx["inputs"] for tx in txs], np.bool_),
        in_start=np.asarray(in_start, np.int64),
        in_prev_out=prev,
        in_value=values[prev] if len(prev) else np.zeros(0, np.int64),
        in_addr=addrs[prev] if len(prev) else np.zeros(0, np.uint32),
        in_sequence=np.asarray(in_seq, np.uint32),
        out_start=np.asarray(out_start, np.int64),
        out_value=values,
        out_addr=addrs,
        out_type=np.asarray(out_type, np.uint8),
        out_spent_tx=spent,
        addr_outputs=_adjacency(
            n_addr, addrs[has].astype(np.int64).tolist(), np.flatnonzero(has).tolist()
        ),
        addr_inputs=_adjacency(
            n_addr,
            addrs[prev][addrs[prev] != NO_ID].astype(np.int64).tolist() if len(prev) else [],
            np.flatnonzero(addrs[prev] != NO_ID).tolist() if len(prev) else [],
        ),
    )


def _ends(ids: np.ndarray) -> tuple[list[int], list[int]]:
    """(address, edge) pairs of the edges whose end is an address (rewards have no sender)."""
    edges = np.flatnonzero(ids != NO_ID)
    return ids[edges].astype(np.int64).tolist(), edges.tolist()


def account_graph_from_rows(
    transfers: Sequence[Mapping[str, Any]], *, n_addresses: int | None = None
) -> AccountGraph:
    """An :class:`AccountGraph` from transfers in replay order.

    Each row: ``src``, ``dst`` (NO_ID for a reward's sender or a contract creation's
    receiver), ``value`` (int, exact); optional ``tx`` (default: its position), ``kind``
    (0), ``token`` (NO_ID: native coin), ``block`` and ``time``.
    """
    n = len(transfers)
    values = [int(t["value"]) for t in transfers]
    if any(v < 0 for v in values):
        raise Invalid("transfer values must be non-negative")
    src = np.array([t["src"] for t in transfers], np.uint32)
    dst = np.array([t["dst"] for t in transfers], np.uint32)
    ids = np.concatenate([src, dst]) if n else np.zeros(0, np.uint32)
    ids = ids[ids != NO_ID]
    n_addr = n_addresses if n_addresses is not None else (int(ids.max()) + 1 if len(ids) else 0)
    tx = np.array([t.get("tx", i) for i, t in enumerate(transfers)], np.uint32)
    mask = (1 << 64) - 1
    return AccountGraph(
        n_addresses=n_addr,
        n_txs=int(tx.max()) + 1 if n else 0,
        edge_src=src,
        edge_dst=dst,
        edge_tx=tx,
        edge_kind=np.array([t.get("kind", 0) for t in transfers], np.uint8),
        edge_token=np.array([t.get("token", NO_ID) for t in transfers], np.uint32),
        edge_value=np.array(values, np.float64),
        edge_value_hi=np.array([(v >> 64) & mask for v in values], np.uint64),
        edge_value_lo=np.array([v & mask for v in values], np.uint64),
        edge_overflow=np.array([v >> 128 > 0 for v in values], np.bool_),
        edge_block=np.array([t.get("block", i) for i, t in enumerate(transfers)], np.int64),
        edge_time=np.array([t.get("time", 0) for t in transfers], np.int64),
        addr_out=_adjacency(n_addr, *_ends(src)),
        addr_in=_adjacency(n_addr, *_ends(dst)),
    )
