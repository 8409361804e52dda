"""Numba kernels that walk serialized Bitcoin blocks and hash them.

The blocks of a batch sit in one uint8 buffer. :func:`walk` runs twice over it: a count
pass that validates every length and sizes the arrays, then a fill pass that records
where each transaction, input and output is (positions into the buffer, no copies) and
classifies each output script with :func:`chainsleuth.chain.script.classify_one`.
SHA-256 comes from OpenSSL's libcrypto, the library behind ``hashlib``, called from
inside the kernels: no Python call per transaction, and SHA-NI where the CPU has it.
Serialization rules: Bitcoin Core ``primitives/transaction.h`` (BIP144 for witness data)
and ``serialize.h`` (CompactSize, at most ``MAX_SIZE``).
"""

from __future__ import annotations

import ctypes.util
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import numba
import numpy as np
import numpy.typing as npt
import pyarrow as pa
from llvmlite import binding  # type: ignore[import-untyped]
from numba import types

from chainsleuth.chain import script
from chainsleuth.chain.schema import HASH, UTXO_BLOCKS, UTXO_INPUTS, UTXO_OUTPUTS, UTXO_TRANSACTIONS
from chainsleuth.chain.script import classify_one
from chainsleuth.errors import Invalid
from chainsleuth.numba_cache import drop_stale

drop_stale(__file__, script.__file__)

U8 = npt.NDArray[np.uint8]
_F = TypeVar("_F", bound=Callable[..., Any])
I64 = npt.NDArray[np.int64]
I32 = npt.NDArray[np.int32]


def _load_libcrypto() -> None:
    name = ctypes.util.find_library("crypto")
    if name is None:
        raise ImportError("the raw-block parser needs OpenSSL's libcrypto (libcrypto.so)")
    binding.load_library_permanently(name)


_load_libcrypto()
# Pointers travel as integers (uintp); SHA256_CTX is 112 bytes, kept in a numpy buffer.
_sha_init: Any = types.ExternalFunction("SHA256_Init", types.intc(types.uintp))
_sha_update: Any = types.ExternalFunction(
    "SHA256_Update", types.intc(types.uintp, types.uintp, types.uintp)
)
_sha_final: Any = types.ExternalFunction("SHA256_Final", types.intc(types.uintp, types.uintp))
_CTX_BYTES = 256

HEADER = 80
MAX_SIZE = 0x02000000  # serialize.h: larger CompactSize values are rejected

# Columns of the int64 arrays walk() fills.
B_TX, B_NTX, B_CB, B_CBLEN, B_WIT = range(5)  # per block
T_START, T_IO, T_IOEND, T_END, T_NIN, T_NOUT, T_VALUE = range(7)  # per transaction
I_PREV, I_SEQ, I_TX, I_N = range(4)  # per input: prevout and sequence positions
O_VALUE, O_TX, O_N, O_TYPE, O_PAY, O_PLEN = range(6)  # per output
# The walker's cursor (a tuple, so it stays in registers): the block, the next
# transaction/input/output row, and whether to fill rows or only count them.
A_BLOCK, A_TX, A_IN, A_OUT, A_FILL = range(5)
At = tuple[int, int, int, int, int]
# rows = (blocks, transactions, inputs, outputs, error); error holds (code, byte position).
Rows = tuple[I64, I64, I64, I64, I64]

FIELDS = (
    "header", "tx_count", "version", "flag", "input_count", "prevout", "script_sig",
    "sequence", "output_count", "value", "script_pubkey", "witness", "locktime", "block",
    "coinbase",
)  # fmt: skip
(F_HEADER, F_TXCOUNT, F_VERSION, F_FLAG, F_INCOUNT, F_PREVOUT, F_SCRIPTSIG, F_SEQUENCE,
 F_OUTCOUNT, F_VALUE, F_SCRIPT, F_WITNESS, F_LOCKTIME, F_BLOCK, F_COINBASE) = range(15)  # fmt: skip
REASONS = (
    "",
    "data ends inside this field (truncated block)",
    f"varint overflow (value above {MAX_SIZE})",
    "count or length exceeds the data left in the block",
    "trailing bytes after the last transaction",
    "unknown segwit flag (expected 0x01 after marker 0x00)",
    "first transaction is not a coinbase",
)
K_TRUNC, K_OVERFLOW, K_EXCEEDS, K_TRAILING, K_FLAG, K_COINBASE = range(1, 7)


@numba.njit(cache=True)
def _fail(rows: Rows, kind: int, field: int, pos: int) -> int:
    """Record an error in ``rows``; return -1, the walkers' error position."""
    rows[4][0] = kind * 16 + field
    rows[4][1] = pos
    return -1


@numba.njit(cache=True, inline="always")
def _le(buf: U8, pos: int, width: int) -> np.uint64:
    v = np.uint64(0)
    for k in range(width):
        v |= np.uint64(buf[pos + k]) << np.uint64(8 * k)
    return v


@numba.njit(cache=True, inline="always")
def _count(buf: U8, pos: int, end: int, unit: int) -> tuple[int, int]:
    """Read a CompactSize count of items of ``unit`` bytes or more: (count, position after).

    The position is ``-kind`` when the count is truncated, too large or past the data.
    """
    if pos >= end:
        return 0, -K_TRUNC
    first = np.int64(buf[pos])
    width = 0 if first < 0xFD else (2 if first == 0xFD else (4 if first == 0xFE else 8))
    if pos + 1 + width > end:
        return 0, -K_TRUNC
    raw = np.uint64(first) if width == 0 else _le(buf, pos + 1, width)
    if raw > np.uint64(MAX_SIZE):
        return 0, -K_OVERFLOW
    n = int(np.int64(raw))
    pos += 1 + width
    if n * unit > end - pos:
        return 0, -K_EXCEEDS
    return n, pos


@numba.njit(cache=True, inline="always")
def _is_null_prevout(buf: U8, pos: int) -> bool:
    for j in range(32):
        if buf[pos + j] != 0:
            return False
    return bool(_le(buf, pos + 32, 4) == np.uint64(0xFFFFFFFF))


@numba.njit(cache=True, inline="always")
def _walk_inputs(buf: U8, pos: int, end: int, rows: Rows, at: At) -> tuple[int, int]:
    """Walk the inputs: (position after, count); position -1 on error.

    The block's first transaction must be a coinbase; its scriptSig is recorded.
    """
    blk, ins = rows[0], rows[2]
    b, tx, row = at[A_BLOCK], at[A_TX], at[A_IN]
    nin, p = _count(buf, pos, end, 41)
    if p < 0:
        return _fail(rows, -p, F_INCOUNT, pos), 0
    for k in range(nin):
        prev = p
        if prev + 36 > end:  # the prevout: txid and output index
            return _fail(rows, K_TRUNC, F_PREVOUT, prev), 0
        n, p = _count(buf, prev + 36, end, 1)
        if p < 0:
            return _fail(rows, -p, F_SCRIPTSIG, prev), 0
        if p + n + 4 > end:
            return _fail(rows, K_TRUNC, F_SEQUENCE, p), 0
        if tx == blk[b, B_TX]:
            if nin != 1 or not _is_null_prevout(buf, prev):
                return _fail(rows, K_COINBASE, F_COINBASE, prev), 0
            blk[b, B_CB], blk[b, B_CBLEN] = p, n
        p += n + 4
        if at[A_FILL]:
            ins[row, I_PREV], ins[row, I_SEQ], ins[row, I_TX], ins[row, I_N] = prev, p - 4, tx, k
        row += 1
    return p, nin


@numba.njit(cache=True, inline="always")
def _walk_outputs(buf: U8, pos: int, end: int, rows: Rows, at: At) -> tuple[int, int, int]:
    """Walk the outputs: (position after, count, value sum); position -1 on error."""
    outs = rows[3]
    row = at[A_OUT]
    nout, p = _count(buf, pos, end, 9)
    if p < 0:
        return _fail(rows, -p, F_OUTCOUNT, pos), 0, 0
    total = 0
    for k in range(nout):
        if p + 8 > end:
            return _fail(rows, K_TRUNC, F_VALUE, p), 0, 0
        value = int(np.int64(_le(buf, p, 8)))
        n, script = _count(buf, p + 8, end, 1)
        if script < 0:
            return _fail(rows, -script, F_SCRIPT, p + 8), 0, 0
        p = script + n
        if at[A_FILL]:
            kind, pay, plen = classify_one(buf, script, n)
            outs[row, O_VALUE], outs[row, O_TX], outs[row, O_N] = value, at[A_TX], k
            outs[row, O_TYPE], outs[row, O_PAY], outs[row, O_PLEN] = kind, pay, plen
        total += value
        row += 1
    return p, nout, total


@numba.njit(cache=True, inline="always")
def _skip_witness(buf: U8, pos: int, end: int, rows: Rows, nin: int) -> int:
    """Skip the witness stacks of ``nin`` inputs; return the position after or -1."""
    p = pos
    for _ in range(nin):
        items, p = _count(buf, p, end, 1)
        for _ in range(items):
            n, p = _count(buf, p, end, 1)
            if p < 0:
                break
            p += n
        if p < 0:
            return _fail(rows, -p, F_WITNESS, pos)
    return p


@numba.njit(cache=True, inline="always")
def _walk_tx(buf: U8, pos: int, end: int, rows: Rows, at: At) -> tuple[int, At]:
    """Walk one transaction: (position after, cursor); position -1 on error."""
    if pos + 5 > end:
        return _fail(rows, K_TRUNC, F_VERSION, pos), at
    io = pos + 4
    segwit = buf[io] == 0  # BIP144 marker where the input count would be
    if segwit:
        if io + 2 > end or buf[io + 1] != 1:
            return _fail(rows, K_TRUNC if io + 2 > end else K_FLAG, F_FLAG, io), at
        io += 2
    p, nin = _walk_inputs(buf, io, end, rows, at)
    if p < 0:
        return -1, at
    p, nout, total = _walk_outputs(buf, p, end, rows, at)
    if p < 0:
        return -1, at
    io_end = p
    if segwit:
        p = _skip_witness(buf, p, end, rows, nin)
        if p < 0:
            return -1, at
        rows[0][at[A_BLOCK], B_WIT] += p - io_end + 2  # marker, flag and witness stacks
    if p + 4 > end:
        return _fail(rows, K_TRUNC, F_LOCKTIME, p), at
    if at[A_FILL]:
        row = rows[1][at[A_TX]]
        row[T_START], row[T_IO], row[T_IOEND], row[T_END] = pos, io, io_end, p + 4
        row[T_NIN], row[T_NOUT], row[T_VALUE] = nin, nout, total
    b, tx, ii, oi, fill = at
    return p + 4, (b, tx + 1, ii + nin, oi + nout, fill)


@numba.njit(cache=True, inline="always")
def _walk_block(buf: U8, start: int, end: int, rows: Rows, at: At) -> tuple[int, At]:
    """Walk one block: (position after, cursor); position -1 on error."""
    blk = rows[0]
    if start + HEADER > end:
        return _fail(rows, K_TRUNC, F_HEADER, start), at
    ntx, p = _count(buf, start + HEADER, end, 10)
    if p < 0:
        return _fail(rows, -p, F_TXCOUNT, start + HEADER), at
    if ntx == 0:
        return _fail(rows, K_COINBASE, F_COINBASE, p), at
    b = at[A_BLOCK]
    blk[b, B_TX], blk[b, B_NTX], blk[b, B_WIT] = at[A_TX], ntx, 0
    for _ in range(ntx):
        p, at = _walk_tx(buf, p, end, rows, at)
        if p < 0:
            return -1, at
    if p != end:
        return _fail(rows, K_TRAILING, F_BLOCK, p), at
    return p, at


def _njit_without_refcounts(fn: _F) -> _F:
    """Compile with numba's private ``_nrt=False``, for kernels that allocate nothing.

    Refcounting every array the inlined walkers touch made :func:`walk` ten times
    slower (an atomic incref/decref per field).
    """
    jit: Any = numba.njit
    return cast(_F, jit(cache=True, _nrt=False)(fn))


@_njit_without_refcounts
def walk(buf: U8, starts: I64, ends: I64, fill: bool, rows: Rows) -> At:
    """Walk the blocks ``buf[starts[i]:ends[i]]``; return the final cursor.

    With ``fill`` False only the block rows are written and the cursor's row counters
    size the arrays of the fill pass. On error ``rows[4]`` holds (code, position) and the
    cursor's block is the failing one; the code is ``kind * 16 + field``
    (:data:`REASONS`, :data:`FIELDS`).
    """
    at: At = (0, 0, 0, 0, int(fill))
    for b in range(starts.shape[0]):
        at = (b, at[A_TX], at[A_IN], at[A_OUT], at[A_FILL])
        p, at = _walk_block(buf, starts[b], ends[b], rows, at)
        if p < 0:
            break
    return at


@numba.njit(cache=True)
def _dsha(scratch: U8, pieces: tuple[tuple[int, int], ...], dst: int) -> None:
    """Double SHA-256 of the (address, length) pieces, concatenated, into address ``dst``.

    ``scratch`` (the SHA256_CTX, then 32 bytes) is passed as an array, not an address,
    so that numba keeps it alive: an array used only through its address may be freed
    and its memory handed to the next allocation.
    """
    ctx = scratch.ctypes.data
    tmp = ctx + _CTX_BYTES
    _sha_init(ctx)
    for address, length in pieces:
        _sha_update(ctx, address, length)
    _sha_final(tmp, ctx)
    _sha_init(ctx)
    _sha_update(ctx, tmp, 32)
    _sha_final(dst, ctx)


@numba.njit(cache=True)
def tx_hashes(buf: U8, txs: I64, starts: I64) -> tuple[U8, U8]:
    """Txids (internal byte order) of every transaction and hashes of the block headers.

    The txid covers version | inputs and outputs | locktime, leaving out the witness.
    """
    scratch = np.empty(_CTX_BYTES + 32, np.uint8)
    out = np.empty((txs.shape[0], 32), np.uint8)
    heads = np.empty((starts.shape[0], 32), np.uint8)
    p = buf.ctypes.data
    for i in range(txs.shape[0]):
        s, io, io_end, e = txs[i, T_START], txs[i, T_IO], txs[i, T_IOEND], txs[i, T_END]
        pieces = ((p + s, 4), (p + io, io_end - io), (p + e - 4, 4))
        _dsha(scratch, pieces, out.ctypes.data + 32 * i)
    for i in range(starts.shape[0]):
        _dsha(scratch, ((p + starts[i], HEADER),), heads.ctypes.data + 32 * i)
    return out, heads


@numba.njit(cache=True)
def merkle_roots(txids: U8, blk: I64) -> U8:
    """Merkle root of each block's txids (internal order); odd levels repeat the last."""
    roots = np.empty((blk.shape[0], 32), np.uint8)
    scratch = np.empty(_CTX_BYTES + 32, np.uint8)
    for b in range(blk.shape[0]):
        n = blk[b, B_NTX]
        level = txids[blk[b, B_TX] : blk[b, B_TX] + n].copy()
        base = level.ctypes.data
        while n > 1:
            for i in range(0, n, 2):  # the pair of rows i, i+1 becomes row i/2
                right = base + 32 * min(i + 1, n - 1)
                _dsha(scratch, ((base + 32 * i, 32), (right, 32)), base + 16 * i)
            n = (n + 1) // 2
        roots[b] = level[0]
    return roots


@numba.njit(cache=True)
def gather(buf: U8, starts: I64, lengths: I64) -> tuple[U8, npt.NDArray[np.int32]]:
    """Concatenate ``buf[starts[i]:starts[i]+lengths[i]]``; return (data, int32 offsets).

    Indices are unsigned in the copy loops: numba then skips its negative-index
    wraparound, which made them five times slower.
    """
    offsets = np.zeros(lengths.shape[0] + 1, np.int32)
    for i in range(lengths.shape[0]):
        offsets[i + 1] = offsets[i] + lengths[i]
    data = np.empty(offsets[-1], np.uint8)
    for i in range(lengths.shape[0]):
        src, dst = np.uint64(starts[i]), np.uint64(offsets[i])
        for k in range(np.uint64(lengths[i])):
            data[dst + k] = buf[src + k]
    return data, offsets


@numba.njit(cache=True)
def fixed(buf: U8, starts: I64, width: int, reverse: bool) -> U8:
    """Rows ``buf[starts[i]:starts[i]+width]`` as an (n, width) array, reversed if asked."""
    out = np.empty((starts.shape[0], width), np.uint8)
    w = np.uint64(width)
    for i in range(starts.shape[0]):
        src = np.uint64(starts[i])
        for k in range(w):
            out[i, w - np.uint64(1) - k if reverse else k] = buf[src + k]
    return out


class BlockFault(Exception):
    """A block of a batch is malformed; the caller names the file and record."""

    def __init__(self, block: int, offset: int, field: str, reason: str) -> None:
        super().__init__(f"block {block}, byte {offset}: {field}: {reason}")
        self.block, self.offset, self.field, self.reason = block, offset, field, reason


def _walk_checked(buf: U8, starts: I64, ends: I64, fill: bool, rows: Rows) -> At:
    at = walk(buf, starts, ends, fill, rows)
    code, pos = int(rows[4][0]), int(rows[4][1])
    if code:
        b = at[A_BLOCK]
        raise BlockFault(b, pos - int(starts[b]), FIELDS[code % 16], REASONS[code // 16])
    return at


def locate(buf: U8, starts: I64, ends: I64) -> Rows:
    """Validate the blocks and locate their transactions, inputs and outputs."""
    err = np.zeros(2, np.int64)
    blk = np.zeros((starts.shape[0], 5), np.int64)
    empty = (np.zeros((0, 7), np.int64), np.zeros((0, 4), np.int64), np.zeros((0, 6), np.int64))
    at = _walk_checked(buf, starts, ends, False, (blk, *empty, err))
    txs = np.empty((at[A_TX], 7), np.int64)
    ins = np.empty((at[A_IN], 4), np.int64)
    outs = np.empty((at[A_OUT], 6), np.int64)
    rows = (blk, txs, ins, outs, err)
    _walk_checked(buf, starts, ends, True, rows)
    return rows


def _target(bits: int) -> int:
    """The proof-of-work target a header's compact ``bits`` encode (0 if negative)."""
    exponent, mantissa = bits >> 24, bits & 0x007FFFFF
    if bits & 0x00800000:
        return 0
    return mantissa >> 8 * (3 - exponent) if exponent <= 3 else mantissa << 8 * (exponent - 3)


def block_work(bits: int) -> int:
    """Expected hashes to find a block at ``bits``: 2**256 // (target + 1), as Core's chainwork.

    Zero for a zero, negative or overflowing target, as Core's ``GetBlockProof``.
    """
    target = _target(bits)
    return 2**256 // (target + 1) if 0 < target < 2**256 else 0


def _check_headers(header: U8, blk: I64, txids: U8, heads: U8) -> None:
    """Merkle roots must match the transactions and header hashes meet their targets."""
    roots = merkle_roots(txids, blk)
    bad = np.flatnonzero((roots != header[:, 36:68]).any(axis=1))
    if bad.size:
        raise BlockFault(int(bad[0]), 36, "merkle_root", "does not match the transactions")
    bits = _le_column(header, 72).tolist()
    for b, (h, nbits) in enumerate(zip(heads, bits, strict=True)):
        if not block_work(nbits) or int.from_bytes(h.tobytes(), "little") > _target(nbits):
            raise BlockFault(b, 0, "bits", "header hash above the target (proof of work)")


def _le_column(rows2d: U8, at: int) -> npt.NDArray[np.uint32]:
    """Little-endian uint32 from columns ``at:at+4`` of a 2-D byte array."""
    return np.ascontiguousarray(rows2d[:, at : at + 4]).view("<u4").ravel()


def _u32(buf: U8, pos: I64) -> npt.NDArray[np.uint32]:
    return fixed(buf, pos, 4, False).view("<u4").ravel()


def _hashes(digests: U8) -> pa.Array:
    """Digests (n, 32) as HASH values, bytes as they are."""
    data = np.ascontiguousarray(digests)
    return pa.Array.from_buffers(HASH, len(data), [None, pa.py_buffer(data)])


def _binary(buf: U8, starts: I64, lengths: I64) -> pa.Array:
    if int(lengths.sum()) >= 2**31:  # int32 offsets of pa.binary()
        raise Invalid("a batch holds over 2 GiB of scripts; read fewer blocks per batch")
    data, offsets = gather(buf, starts, lengths)
    return pa.Array.from_buffers(
        pa.binary(), len(lengths), [None, pa.py_buffer(offsets), pa.py_buffer(data)]
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
    """A walked batch: the buffer, the located rows and the columns the tables share."""

    buf: U8
    rows: Rows
    heights: I32
    tx_block: I64  # block of each transaction
    txid: pa.Array  # display order
    block_hash: pa.Array


def _blocks(batch: _Batch, header: U8, sizes: I64) -> pa.Table:
    blk = batch.rows[0]
    return _table(UTXO_BLOCKS, [
        batch.heights, batch.block_hash, _hashes(header[:, 35:3:-1]),
        _hashes(header[:, 67:35:-1]), _le_column(header, 68).astype(np.int64),
        _le_column(header, 0).view(np.int32), _le_column(header, 72), _le_column(header, 76),
        sizes, 4 * sizes - 3 * blk[:, B_WIT], blk[:, B_NTX],
        _binary(batch.buf, blk[:, B_CB], blk[:, B_CBLEN]),
    ])  # fmt: skip


def _transactions(batch: _Batch) -> pa.Table:
    blk, txs = batch.rows[0], batch.rows[1]
    size = txs[:, T_END] - txs[:, T_START]
    stripped = txs[:, T_IOEND] - txs[:, T_IO] + 8  # version and locktime around the io part
    index = np.arange(len(txs)) - blk[batch.tx_block, B_TX]
    return _table(UTXO_TRANSACTIONS, [
        batch.txid, batch.heights[batch.tx_block], batch.block_hash.take(batch.tx_block), index,
        _u32(batch.buf, txs[:, T_START]).view(np.int32), _u32(batch.buf, txs[:, T_END] - 4),
        size, (3 * stripped + size + 3) // 4, index == 0, txs[:, T_IO] != txs[:, T_START] + 4,
        txs[:, T_NIN], txs[:, T_NOUT], txs[:, T_VALUE],
    ])  # fmt: skip


def _inputs(batch: _Batch) -> pa.Table:
    ins = batch.rows[2]
    n, tx = len(ins), ins[:, I_TX]
    return _table(UTXO_INPUTS, [
        batch.txid.take(tx), batch.heights[batch.tx_block[tx]], ins[:, I_N],
        _hashes(fixed(batch.buf, ins[:, I_PREV], 32, True)), _u32(batch.buf, ins[:, I_PREV] + 32),
        _u32(batch.buf, ins[:, I_SEQ]), pa.nulls(n, pa.int64()), pa.nulls(n, pa.uint8()),
        pa.nulls(n, pa.binary()),
    ])  # fmt: skip


def _outputs(batch: _Batch) -> pa.Table:
    outs = batch.rows[3]
    tx = outs[:, O_TX]
    return _table(UTXO_OUTPUTS, [
        batch.txid.take(tx), batch.heights[batch.tx_block[tx]], outs[:, O_N], outs[:, O_VALUE],
        outs[:, O_TYPE], _binary(batch.buf, outs[:, O_PAY], outs[:, O_PLEN]),
    ])  # fmt: skip


def parse_blocks(buf: U8, starts: I64, sizes: I64, heights: I32) -> dict[str, pa.Table]:
    """Parse the blocks at ``buf[starts[i]:starts[i]+sizes[i]]`` into the UTXO tables.

    ``buf`` may be a memory-mapped file: every column is copied out of it, so the tables
    outlive the mapping. Raises :class:`BlockFault` naming the malformed block.
    """
    ends = starts + sizes
    rows = locate(buf, starts, ends)
    txids, heads = tx_hashes(buf, rows[1], starts)
    header = fixed(buf, starts, HEADER, False)
    _check_headers(header, rows[0], txids, heads)
    tx_block = np.repeat(np.arange(len(sizes)), rows[0][:, B_NTX])
    batch = _Batch(buf, rows, heights, tx_block, _hashes(txids[:, ::-1]), _hashes(heads[:, ::-1]))
    return {
        "blocks": _blocks(batch, header, sizes),
        "transactions": _transactions(batch),
        "inputs": _inputs(batch),
        "outputs": _outputs(batch),
    }
