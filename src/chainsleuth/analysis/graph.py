"""The arrays every analysis reads: one chain in dense-id order, no per-row objects.

:class:`UtxoGraph` and :class:`AccountGraph` are what ``chainsleuth.store`` hands to the
analyses (``ChainStore.utxo_graph`` / ``account_graph``); tests build them by hand with
:func:`utxo_graph_from_rows` / :func:`account_graph_from_rows`. Ids are the store's
uint32 ``tx_id`` and ``addr_id``; :data:`NO_ID` marks "none" (no address, unspent,
unresolved). Global output / input row numbers are int64 (a full chain has billions).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

NO_ID = np.uint32(0xFFFFFFFF)

I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
U32 = npt.NDArray[np.uint32]
U8 = npt.NDArray[np.uint8]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class Adjacency:
    """CSR: row ``i`` is ``indices[indptr[i]:indptr[i + 1]]``."""

    indptr: I64
    indices: npt.NDArray[np.integer]

    def row(self, i: int) -> npt.NDArray[np.integer]:
        return self.indices[self.indptr[i] : self.indptr[i + 1]]


@dataclass(frozen=True, eq=False)
class UtxoGraph:
    """A UTXO chain, BlockSci style.

    Transaction ``t`` has inputs ``in_start[t]:in_start[t+1]`` (input order) and outputs
    ``out_start[t]:out_start[t+1]`` (vout order); those are global input / output rows.

    - ``in_prev_out``: the output row each input spends; -1 for coinbase or unresolved.
    - ``in_value`` / ``in_addr``: value and address of the spent output; -1 / NO_ID unknown.
    - ``out_spent_tx``: the tx spending each output, NO_ID while unspent (or unknown).
    - ``out_type``: :class:`chainsleuth.chain.script.ScriptType` of each output script.
    - ``tx_fee``: -1 when an input is unresolved. ``tx_time``: unix seconds.
    - ``addr_outputs``: address -> its output rows (chain order); ``addr_inputs``: address
      -> the input rows that spend its coins.
    """

    n_addresses: int
    tx_height: I32
    tx_time: I64
    tx_version: I32
    tx_locktime: U32
    tx_vsize: I32
    tx_fee: I64
    tx_coinbase: B
    in_start: I64
    in_prev_out: I64
    in_value: I64
    in_addr: U32
    in_sequence: U32
    out_start: I64
    out_value: I64
    out_addr: U32
    out_type: U8
    out_spent_tx: U32
    addr_outputs: Adjacency
    addr_inputs: Adjacency

    @property
    def n_txs(self) -> int:
        return len(self.tx_height)

    @property
    def n_outputs(self) -> int:
        return len(self.out_value)

    @property
    def n_inputs(self) -> int:
        return len(self.in_prev_out)

    def in_tx(self) -> I64:
        """The tx of every input row (computed; O(inputs))."""
        return np.repeat(np.arange(self.n_txs, dtype=np.int64), np.diff(self.in_start))

    def out_tx(self) -> I64:
        """The tx of every output row (computed; O(outputs))."""
        return np.repeat(np.arange(self.n_txs, dtype=np.int64), np.diff(self.out_start))


@dataclass(frozen=True, eq=False)
class AccountGraph:
    """An account chain as value-transfer edges in replay order.

    Edge ``e`` moves ``edge_value[e]`` (float64, in the asset's base unit) of asset
    ``edge_token[e]`` (NO_ID: the native coin; else the token contract's addr_id) from
    ``edge_src`` to ``edge_dst``. ``edge_value_exact`` keeps the exact integer as two
    uint64 limbs (hi, lo) for reconciliation; values beyond 2**128 are flagged in
    ``edge_overflow``. Edges are sorted by ``edge_seq`` (block, tx index, then trace /
    log order), the order balances change in. ``edge_kind``: 0 transaction, 1 internal
    trace, 2 token transfer, 3 block reward. Failed transactions and traces are left out.
    """

    n_addresses: int
    n_txs: int
    edge_src: U32
    edge_dst: U32
    edge_tx: U32
    edge_kind: U8
    edge_token: U32
    edge_value: F64
    edge_value_hi: npt.NDArray[np.uint64]
    edge_value_lo: npt.NDArray[np.uint64]
    edge_overflow: B
    edge_block: I64
    edge_time: I64
    addr_out: Adjacency
    addr_in: Adjacency

    @property
    def n_edges(self) -> int:
        return len(self.edge_src)
