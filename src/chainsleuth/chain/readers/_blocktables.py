"""Arrow tables from parsed blocks: the columns the block kernels filled, checked and typed.

:func:`parse_blocks` runs the kernels of :mod:`._blockparse` (locate, fill, hash), checks
merkle roots and proof of work, and builds the canonical UTXO tables of
:mod:`chainsleuth.chain.schema` from numpy buffers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
import numpy.typing as npt
import pyarrow as pa

from chainsleuth.chain.readers._blockparse import (
    B_CB,
    B_CBLEN,
    B_NTX,
    B_TX,
    B_WIT,
    HEADER,
    I32,
    I64,
    I_INDEX,
    I_PREV,
    I_SEQ,
    I_TXID,
    I_VOUT,
    O_PAY,
    O_PLEN,
    O_TXID,
    O_TYPE,
    O_VALUE,
    O_VOUT,
    T_END,
    T_IO,
    T_IOEND,
    T_NIN,
    T_NOUT,
    T_START,
    U8,
    U32,
    X_HASH,
    X_LOCKTIME,
    X_TXID,
    X_VALUE,
    X_VERSION,
    BlockFault,
    Cols,
    Located,
    _bounds,
    _fill,
    _threads_for,
    block_merkle_roots,
    first_above_target,
    fixed,
    gather,
    locate,
)
from chainsleuth.chain.schema import HASH, UTXO_BLOCKS, UTXO_INPUTS, UTXO_OUTPUTS, UTXO_TRANSACTIONS
from chainsleuth.errors import Invalid


def _check_headers(header: U8, blk: I64, hashes: U8, heads: U8) -> None:
    """Merkle roots must match the transactions and header hashes meet their targets."""
    roots = block_merkle_roots(hashes, blk)
    bad = np.flatnonzero((roots != header[:, 36:68]).any(axis=1))
    if bad.size:
        raise BlockFault(int(bad[0]), 36, "merkle_root", "does not match the transactions")
    b = first_above_target(heads, _le_column(header, 72))
    if b >= 0:
        raise BlockFault(b, 0, "bits", "header hash above the target (proof of work)")


def _le_column(rows2d: U8, at: int) -> U32:
    """Little-endian uint32 from columns ``at:at+4`` of a 2-D byte array."""
    return np.ascontiguousarray(rows2d[:, at : at + 4]).view("<u4").ravel()


def _hashes(digests: U8) -> pa.Array:
    """Contiguous digests (n, 32) as HASH values, bytes as they are."""
    return pa.Array.from_buffers(HASH, len(digests), [None, pa.py_buffer(digests)])


def _repeat_rows(rows: U8, counts: I64) -> U8:
    """Each 32-byte row of ``rows`` repeated ``counts`` times, as one (m, 32) array."""
    return np.repeat(rows.view("V32").ravel(), counts).view(np.uint8).reshape(-1, 32)


def _binary(buf: U8, starts: I64, lengths: I64) -> pa.Array:
    """The byte strings ``buf[starts[i]:starts[i]+lengths[i]]`` as a binary array."""
    offsets = np.zeros(len(lengths) + 1, np.int64)
    np.cumsum(lengths, out=offsets[1:])
    if offsets[-1] >= 2**31:  # int32 offsets of pa.binary()
        raise Invalid("a batch holds over 2 GiB of scripts; read fewer blocks per batch")
    data = np.empty(offsets[-1], np.uint8)
    bounds = _bounds(lengths + 16)  # a row costs about as much as 16 bytes
    with numba.parallel_chunksize(1):
        gather(buf, starts, offsets, bounds, data)
    return pa.Array.from_buffers(
        pa.binary(),
        len(lengths),
        [None, pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(data)],
    )


def _table(schema: pa.Schema, columns: list[Any]) -> pa.Table:
    """A table from Arrow arrays and numpy columns (cast by numpy: faster than Arrow's checks)."""
    arrays = [
        c if isinstance(c, pa.Array) else pa.array(_as_numpy_type(c, f.type), f.type)
        for c, f in zip(columns, schema, strict=True)
    ]
    return pa.Table.from_arrays(arrays, schema=schema)


def _as_numpy_type(column: npt.NDArray[Any], arrow_type: pa.DataType) -> npt.NDArray[Any]:
    dtype = np.int64 if pa.types.is_timestamp(arrow_type) else arrow_type.to_pandas_dtype()
    return np.ascontiguousarray(column, dtype=dtype)


@dataclass(frozen=True)
class _Batch:
    """A parsed batch: the buffer, the located rows and the columns the tables share."""

    buf: U8
    loc: Located
    heights: I32
    tx_heights: I32
    block_hash: U8  # display order


def _blocks(batch: _Batch, header: U8, sizes: I64) -> pa.Table:
    blk = batch.loc.blk
    return _table(UTXO_BLOCKS, [
        batch.heights, _hashes(batch.block_hash), _hashes(header[:, 35:3:-1].copy()),
        _hashes(header[:, 67:35:-1].copy()), _le_column(header, 68).astype(np.int64),
        _le_column(header, 0).view(np.int32), _le_column(header, 72), _le_column(header, 76),
        sizes, 4 * sizes - 3 * blk[:, B_WIT], blk[:, B_NTX],
        _binary(batch.buf, blk[:, B_CB].copy(), blk[:, B_CBLEN].copy()),
    ])  # fmt: skip


def _transactions(batch: _Batch, tx: Cols) -> pa.Table:
    blk, txs = batch.loc.blk, batch.loc.txs
    size = txs[T_END] - txs[T_START]
    stripped = txs[T_IOEND] - txs[T_IO] + 8  # version and locktime around the io part
    index = np.arange(txs.shape[1]) - np.repeat(blk[:, B_TX], blk[:, B_NTX])
    return _table(UTXO_TRANSACTIONS, [
        _hashes(tx[X_TXID].view(np.uint8)), batch.tx_heights,
        _hashes(_repeat_rows(batch.block_hash, blk[:, B_NTX])), index,
        tx[X_VERSION].view(np.int32), tx[X_LOCKTIME], size, (3 * stripped + size + 3) // 4,
        index == 0, txs[T_IO] != txs[T_START] + 4, txs[T_NIN], txs[T_NOUT], tx[X_VALUE],
    ])  # fmt: skip


def _inputs(batch: _Batch, ins: Cols) -> pa.Table:
    n = len(ins[I_VOUT])
    return _table(UTXO_INPUTS, [
        _hashes(ins[I_TXID].view(np.uint8)), np.repeat(batch.tx_heights, batch.loc.txs[T_NIN]),
        ins[I_INDEX], _hashes(ins[I_PREV].view(np.uint8)), ins[I_VOUT], ins[I_SEQ],
        pa.nulls(n, pa.int64()), pa.nulls(n, pa.uint8()), pa.nulls(n, pa.binary()),
    ])  # fmt: skip


def _outputs(batch: _Batch, outs: Cols) -> pa.Table:
    return _table(UTXO_OUTPUTS, [
        _hashes(outs[O_TXID].view(np.uint8)), np.repeat(batch.tx_heights, batch.loc.txs[T_NOUT]),
        outs[O_VOUT], outs[O_VALUE], outs[O_TYPE],
        _binary(batch.buf, outs[O_PAY], outs[O_PLEN]),
    ])  # fmt: skip


def parse_blocks(buf: U8, starts: I64, sizes: I64, heights: I32) -> dict[str, pa.Table]:
    """Parse the blocks at ``buf[starts[i]:starts[i]+sizes[i]]`` into the UTXO tables.

    ``buf`` may be a memory-mapped file: every column is copied out of it, so the tables
    outlive the mapping. Raises :class:`BlockFault` naming the malformed block.
    """
    with _threads_for(int(sizes.sum())):
        loc = locate(buf, starts, starts + sizes)
        tx, ins, outs = _fill(buf, loc.txs)
        header = np.empty((len(starts), HEADER), np.uint8)
        fixed(buf, starts, header)
        _check_headers(header, loc.blk, tx[X_HASH], loc.heads)
        tx_heights = np.repeat(heights, loc.blk[:, B_NTX])
        batch = _Batch(buf, loc, heights, tx_heights, np.ascontiguousarray(loc.heads[:, ::-1]))
        return {
            "blocks": _blocks(batch, header, sizes),
            "transactions": _transactions(batch, tx),
            "inputs": _inputs(batch, ins),
            "outputs": _outputs(batch, outs),
        }
