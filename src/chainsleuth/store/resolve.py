"""Input resolution: outpoint -> the stored output it spends (value, address id), and fees.

``prev_txid`` goes through the transaction id map to a tx id, ``tx_out_start[tx] + vout``
gives the global output index, and the per-output arrays give value and address id. An
input whose output is not stored takes the source's ``prev_value``/``prev_address_*`` if
the reader supplied them, else stays unresolved; nothing is guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from chainsleuth.store.idmap import IdMap
from chainsleuth.store.keys import NO_ID, source_address_keys
from chainsleuth.store.segments import Segments

I64 = npt.NDArray[np.int64]
U32 = npt.NDArray[np.uint32]


class Resolution(IntEnum):
    """How an input's spent output is known (the ``resolution`` store column)."""

    UNRESOLVED = 0
    STORE = 1
    SOURCE = 2
    COINBASE = 3


@dataclass
class Resolved:
    """Store columns of a set of inputs."""

    prev_tx_id: U32  # NO_ID where unknown
    prev_out: I64  # -1 where unknown
    value: I64
    addr_id: U32
    status: npt.NDArray[np.uint8]

    def columns(self) -> dict[str, pa.Array]:
        known = self.status != Resolution.UNRESOLVED
        return {
            "prev_tx_id": pa.array(self.prev_tx_id, mask=self.prev_tx_id == NO_ID),
            "prev_out": pa.array(self.prev_out, mask=self.prev_out < 0),
            "value": pa.array(self.value, mask=~known | (self.status == Resolution.COINBASE)),
            "addr_id": pa.array(self.addr_id, mask=self.addr_id == NO_ID),
            "resolution": pa.array(self.status),
        }


def resolve_inputs(
    inputs: pa.Table, coinbase: npt.NDArray[np.bool_], seg: Segments, txmap: IdMap, addrmap: IdMap
) -> Resolved:
    """Resolve every input row (canonical columns) against the store plus the batch in work."""
    n = inputs.num_rows
    res = Resolved(
        np.full(n, NO_ID, np.uint32),
        np.full(n, -1, np.int64),
        np.zeros(n, np.int64),
        np.full(n, NO_ID, np.uint32),
        np.where(coinbase, np.uint8(Resolution.COINBASE), np.uint8(Resolution.UNRESOLVED)),
    )
    cand = np.flatnonzero(~coinbase)
    if len(cand):
        _from_store(inputs, cand, res, seg, txmap)
        _from_source(inputs, res, addrmap)
    return res


def _from_store(inputs: pa.Table, cand: I64, res: Resolved, seg: Segments, txmap: IdMap) -> None:
    prev_tx = txmap.lookup(inputs["prev_txid"].take(pa.array(cand)).combine_chunks())
    res.prev_tx_id[cand] = prev_tx
    found = prev_tx != NO_ID
    rows, txs = cand[found], prev_tx[found].astype(np.int64)
    vout = inputs["prev_vout"].to_numpy()[rows].astype(np.int64)
    start = seg.tx_out_start.take(txs, np.int64)
    inside = vout < seg.tx_out_count.take(txs, np.uint32)
    rows, out = rows[inside], (start + vout)[inside]
    res.prev_out[rows] = out
    res.value[rows] = seg.out_value.take(out, np.int64)
    res.addr_id[rows] = seg.out_addr.take(out, np.uint32)
    res.status[rows] = Resolution.STORE


def _from_source(inputs: pa.Table, res: Resolved, addrmap: IdMap) -> None:
    pv = inputs["prev_value"].combine_chunks()
    rows = np.flatnonzero(
        (res.status == Resolution.UNRESOLVED) & ~np.asarray(pv.is_null().to_numpy(False))
    )
    if not len(rows):
        return
    take = pa.array(rows)
    res.value[rows] = pv.take(take).to_numpy()
    res.status[rows] = Resolution.SOURCE
    keys = source_address_keys(
        inputs["prev_address_type"].take(take).combine_chunks(),
        inputs["prev_address"].take(take).combine_chunks(),
    )
    has = np.asarray(keys.is_valid().to_numpy(False))
    if has.any():
        res.addr_id[rows[has]] = addrmap.lookup(keys.filter(pa.array(has)))


def tx_fees(
    input_start: I64, output_value: I64, coinbase: npt.NDArray[np.bool_], res: Resolved
) -> tuple[pa.Array, pa.Array]:
    """(input_value, fee) per transaction; inputs are grouped by tx, ``input_start`` marks them.

    Fee is Σ inputs − Σ outputs, null while any input is unresolved, 0 for coinbase.
    """
    if not len(input_start):
        return pa.array([], pa.int64()), pa.array([], pa.int64())
    value = np.where(res.status == Resolution.UNRESOLVED, 0, res.value)
    insum = np.add.reduceat(value, input_start)
    open_ = np.add.reduceat((res.status == Resolution.UNRESOLVED).astype(np.int64), input_start)
    unknown = (open_ > 0) | coinbase
    fee = np.where(coinbase, 0, insum - output_value)
    return pa.array(insum, mask=unknown), pa.array(fee, mask=unknown & ~coinbase)


def count_status(res: Resolved) -> tuple[int, int, int]:
    """(unresolved, from source, highest spent output index or -1)."""
    unresolved = int((res.status == Resolution.UNRESOLVED).sum())
    source = int((res.status == Resolution.SOURCE).sum())
    return unresolved, source, int(res.prev_out.max(initial=-1))
