# ruff: noqa: PLR0917  (numba kernels take their arrays positionally)
"""Numba kernels that walk serialized Bitcoin blocks, hash them and fill the columns.

The blocks of a batch sit in one uint8 buffer and are parsed in two passes, each spread
over the cores with ``prange``. :func:`walk` validates every length of every block (one
block per task; a block's transaction rows follow from the tx counts after the headers)
and records where each transaction and its input/output part are. :func:`fill` then
takes the transactions (a share of the bytes per task; rows of inputs and outputs follow
from the counts of the first pass) and writes the final columns: prevouts, sequences,
values, script types (:func:`chainsleuth.chain.script.classify_one`) and the txid, also
copied to the rows of the transaction's inputs and outputs.
SHA-256 comes from OpenSSL's libcrypto, the library behind ``hashlib``, called from
inside the kernels: no Python call per transaction, and SHA-NI where the CPU has it. The
kernels allocate nothing: scratch space (one SHA256_CTX per task) comes from the caller.
Serialization rules: Bitcoin Core ``primitives/transaction.h`` (BIP144 for witness data)
and ``serialize.h`` (CompactSize, at most ``MAX_SIZE``).
"""

from __future__ import annotations

import ctypes.util
import functools
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import numba
import numpy as np
import numpy.typing as npt
from llvmlite import binding  # type: ignore[import-untyped]
from numba import prange, types

from chainsleuth.chain import script
from chainsleuth.chain.script import classify_one
from chainsleuth.numba_cache import drop_stale

drop_stale(__file__, script.__file__)
# OpenMP's worker threads otherwise spin after each parallel loop, taking a core from the
# main thread and from other processes: on a busy machine a batch then took 5x longer.
# Read when numba first starts its threads; a user's own setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

U8 = npt.NDArray[np.uint8]
_F = TypeVar("_F", bound=Callable[..., Any])
I64 = npt.NDArray[np.int64]
I32 = npt.NDArray[np.int32]
U32 = npt.NDArray[np.uint32]


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
SCRATCH = _CTX_BYTES + 32  # one task's SHA256_CTX and intermediate digest

HEADER = 80
PARALLEL_BYTES = 1 << 20  # batches from this size on are parsed on all threads
MAX_SIZE = 0x02000000  # serialize.h: larger CompactSize values are rejected

# Columns of the per-block rows (n, 6): first transaction row, tx count, coinbase
# scriptSig (position, length), witness bytes, position after the tx count.
B_TX, B_NTX, B_CB, B_CBLEN, B_WIT, B_BODY = range(6)
# Rows of the per-transaction positions (6, n), column-major so each column is contiguous.
T_START, T_IO, T_IOEND, T_END, T_NIN, T_NOUT = range(6)
# The columns fill() writes, as flat tuples: numba's parallel loops take no nested tuple
# (a compile error) and no NamedTuple (writes through one are lost).
X_HASH, X_TXID, X_VERSION, X_LOCKTIME, X_VALUE = range(5)  # per transaction
I_TXID, I_PREV, I_VOUT, I_SEQ, I_INDEX = range(5)  # per input
O_TXID, O_VOUT, O_VALUE, O_TYPE, O_PAY, O_PLEN = range(6)  # per output
Cols = tuple[npt.NDArray[Any], ...]  # the arrays of one of the three groups above

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


def _kernel(parallel: bool = False) -> Callable[[_F], _F]:
    """Compile with numba's private ``_nrt=False``: the kernels allocate nothing.

    Refcounting every array the inlined walkers touch made the walk ten times slower (an
    atomic incref/decref per field).
    """
    jit: Any = numba.njit
    return cast(Callable[[_F], _F], jit(cache=True, _nrt=False, parallel=parallel))


@numba.njit(cache=True, inline="always")
def _fail(err: I64, kind: int, field: int, pos: int) -> int:
    """Record an error in the block's ``err`` row; return -1, the walkers' error position."""
    err[0] = kind * 16 + field
    err[1] = pos
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
def _walk_inputs(buf: U8, pos: int, end: int, err: I64, brow: I64, cb: bool) -> tuple[int, int]:
    """Validate the inputs: (position after, count); position -1 on error.

    The coinbase (``cb``) must have one null prevout; its scriptSig goes to ``brow``.
    """
    nin, p = _count(buf, pos, end, 41)
    if p < 0:
        return _fail(err, -p, F_INCOUNT, pos), 0
    for _ in range(nin):
        prev = p
        if prev + 36 > end:  # the prevout: txid and output index
            return _fail(err, K_TRUNC, F_PREVOUT, prev), 0
        n, p = _count(buf, prev + 36, end, 1)
        if p < 0:
            return _fail(err, -p, F_SCRIPTSIG, prev), 0
        if p + n + 4 > end:
            return _fail(err, K_TRUNC, F_SEQUENCE, p), 0
        if cb:
            if nin != 1 or not _is_null_prevout(buf, prev):
                return _fail(err, K_COINBASE, F_COINBASE, prev), 0
            brow[B_CB], brow[B_CBLEN] = p, n
        p += n + 4
    return p, nin


@numba.njit(cache=True, inline="always")
def _walk_outputs(buf: U8, pos: int, end: int, err: I64) -> tuple[int, int]:
    """Validate the outputs: (position after, count); position -1 on error."""
    nout, p = _count(buf, pos, end, 9)
    if p < 0:
        return _fail(err, -p, F_OUTCOUNT, pos), 0
    for _ in range(nout):
        if p + 8 > end:
            return _fail(err, K_TRUNC, F_VALUE, p), 0
        n, script = _count(buf, p + 8, end, 1)
        if script < 0:
            return _fail(err, -script, F_SCRIPT, p + 8), 0
        p = script + n
    return p, nout


@numba.njit(cache=True, inline="always")
def _skip_witness(buf: U8, pos: int, end: int, err: I64, nin: int) -> int:
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
            return _fail(err, -p, F_WITNESS, pos)
    return p


@numba.njit(cache=True, inline="always")
def _walk_tx(buf: U8, pos: int, end: int, err: I64, brow: I64, txs: I64, i: int) -> int:
    """Validate transaction ``i`` and record its positions; return the position after or -1."""
    if pos + 5 > end:
        return _fail(err, K_TRUNC, F_VERSION, pos)
    io = pos + 4
    segwit = buf[io] == 0  # BIP144 marker where the input count would be
    if segwit:
        if io + 2 > end or buf[io + 1] != 1:
            return _fail(err, K_TRUNC if io + 2 > end else K_FLAG, F_FLAG, io)
        io += 2
    p, nin = _walk_inputs(buf, io, end, err, brow, i == brow[B_TX])
    if p < 0:
        return -1
    p, nout = _walk_outputs(buf, p, end, err)
    if p < 0:
        return -1
    io_end = p
    if segwit:
        p = _skip_witness(buf, p, end, err, nin)
        if p < 0:
            return -1
        brow[B_WIT] += p - io_end + 2  # marker, flag and witness stacks
    if p + 4 > end:
        return _fail(err, K_TRUNC, F_LOCKTIME, p)
    txs[T_START, i], txs[T_IO, i], txs[T_IOEND, i], txs[T_END, i] = pos, io, io_end, p + 4
    txs[T_NIN, i], txs[T_NOUT, i] = nin, nout
    return p + 4


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


@_kernel()
def tx_counts(buf: U8, starts: I64, ends: I64, blk: I64, errs: I64) -> int:
    """Read each block's tx count, give its transactions their rows; return the total.

    ``blk`` and ``errs`` (per block: code, position) come zeroed; a block with a bad
    header or count gets an error and no rows.
    """
    total = 0
    for b in range(starts.shape[0]):
        blk[b, B_TX] = total
        start, end = starts[b], ends[b]
        if start + HEADER > end:
            _fail(errs[b], K_TRUNC, F_HEADER, start)
            continue
        ntx, p = _count(buf, start + HEADER, end, 10)
        if p < 0:
            _fail(errs[b], -p, F_TXCOUNT, start + HEADER)
        elif ntx == 0:
            _fail(errs[b], K_COINBASE, F_COINBASE, p)
        else:
            blk[b, B_NTX], blk[b, B_BODY] = ntx, p
            total += ntx
    return total


@_kernel(parallel=True)
def walk(
    buf: U8, starts: I64, ends: I64, bounds: I64, blk: I64, errs: I64, txs: I64, heads: U8,
    scratch: U8,
) -> None:  # fmt: skip
    """Validate the blocks after :func:`tx_counts`, task ``c`` the blocks
    ``bounds[c]:bounds[c+1]``; hash their headers.

    ``txs`` gets each transaction's positions, ``heads`` each header's hash (internal
    order); ``scratch`` has a row per task.
    """
    for c in prange(bounds.shape[0] - 1):
        for b in range(bounds[c], bounds[c + 1]):
            _walk_block(buf, starts[b], ends[b], blk[b], errs[b], txs, heads, b, scratch[c])


@numba.njit(cache=True, inline="always")
def _walk_block(
    buf: U8, start: int, end: int, brow: I64, err: I64, txs: I64, heads: U8, b: int, ctx: U8
) -> None:
    if err[0]:
        return
    _dsha(ctx, ((buf.ctypes.data + start, HEADER),), heads.ctypes.data + 32 * b)
    p = brow[B_BODY]
    for i in range(brow[B_TX], brow[B_TX] + brow[B_NTX]):
        p = _walk_tx(buf, p, end, err, brow, txs, i)
        if p < 0:
            return
    if p != end:
        _fail(err, K_TRAILING, F_BLOCK, p)


@numba.njit(cache=True, inline="always")
def _varint(buf: U8, pos: int) -> tuple[int, int]:
    """A CompactSize already validated by :func:`walk`: (value, position after)."""
    first = buf[pos]
    if first < 0xFD:
        return int(first), pos + 1
    width = 2 if first == 0xFD else (4 if first == 0xFE else 8)
    return int(np.int64(_le(buf, pos + 1, width))), pos + 1 + width


@numba.njit(cache=True, inline="always")
def _copy32(src: U8, at: int, dst: U8, row: int) -> None:
    """``src[at:at+32]`` into ``dst[row]`` (unsigned indices: no wraparound)."""
    s, r = np.uint64(at), np.uint64(row)
    for k in range(np.uint64(32)):
        dst[r, k] = src[s + k]


@numba.njit(cache=True, inline="always")
def _reversed_words(src: U8, at: int, dst: npt.NDArray[np.uint64], row: int) -> None:
    """``src[at:at+32]`` byte-reversed into the four uint64 words of ``dst[row]``: a
    quarter of the stores of a byte copy (hashes are shown in reversed byte order)."""
    for w in range(4):
        v = np.uint64(0)
        last = np.uint64(at + 31 - 8 * w)
        for j in range(8):
            v |= np.uint64(src[last - np.uint64(j)]) << np.uint64(8 * j)
        dst[row, w] = v


@numba.njit(cache=True, inline="always")
def _fill_inputs(buf: U8, pos: int, ins: Cols, row: int) -> tuple[int, int]:
    """Write the rows of the inputs at ``pos``: (position after, count)."""
    nin, p = _varint(buf, pos)
    for k in range(nin):
        _reversed_words(buf, p, ins[I_PREV], row + k)
        ins[I_VOUT][row + k] = _le(buf, p + 32, 4)
        n, p = _varint(buf, p + 36)
        ins[I_SEQ][row + k] = _le(buf, p + n, 4)
        ins[I_INDEX][row + k] = k
        p += n + 4
    return p, nin


@numba.njit(cache=True, inline="always")
def _fill_outputs(buf: U8, pos: int, outs: Cols, row: int) -> tuple[int, int]:
    """Write the rows of the outputs at ``pos``: (count, value sum)."""
    nout, p = _varint(buf, pos)
    total = 0
    for k in range(nout):
        value = int(np.int64(_le(buf, p, 8)))
        n, s = _varint(buf, p + 8)
        kind, pay, plen = classify_one(buf, s, n)
        r = row + k
        outs[O_VOUT][r], outs[O_VALUE][r], outs[O_TYPE][r] = k, value, kind
        outs[O_PAY][r], outs[O_PLEN][r] = pay, plen
        total += value
        p = s + n
    return nout, total


@numba.njit(cache=True, inline="always")
def _fill_tx(
    buf: U8,
    txs: I64,
    i: int,
    rows: tuple[int, int],
    tx: Cols,
    ins: Cols,
    outs: Cols,
    ctx: U8,
) -> None:
    """Columns of transaction ``i`` and of its inputs and outputs (rows from ``rows``)."""
    start, io, io_end, end = txs[T_START, i], txs[T_IO, i], txs[T_IOEND, i], txs[T_END, i]
    p, nin = _fill_inputs(buf, io, ins, rows[0])
    nout, value = _fill_outputs(buf, p, outs, rows[1])
    tx[X_VALUE][i] = value
    tx[X_VERSION][i], tx[X_LOCKTIME][i] = _le(buf, start, 4), _le(buf, end - 4, 4)
    # the txid covers version | inputs and outputs | locktime, leaving out the witness
    at = buf.ctypes.data
    pieces = ((at + start, 4), (at + io, io_end - io), (at + end - 4, 4))
    _dsha(ctx, pieces, tx[X_HASH].ctypes.data + 32 * i)
    _reversed_words(tx[X_HASH][i], 0, tx[X_TXID], i)
    words = tx[X_TXID][i]  # txid columns are (n, 4) uint64: whole words to copy
    for r in range(rows[0], rows[0] + nin):
        for k in range(4):
            ins[I_TXID][r, k] = words[k]
    for r in range(rows[1], rows[1] + nout):
        for k in range(4):
            outs[O_TXID][r, k] = words[k]


@_kernel(parallel=True)
def fill(
    buf: U8, txs: I64, first: I64, bounds: I64, scratch: U8, tx: Cols, ins: Cols, outs: Cols
) -> None:
    """Write the columns of the transactions ``bounds[c]:bounds[c+1]`` in task ``c``.

    ``first`` holds each transaction's first input row (row 0) and first output row.
    """
    for c in prange(bounds.shape[0] - 1):
        for i in range(bounds[c], bounds[c + 1]):
            _fill_tx(buf, txs, i, (first[0, i], first[1, i]), tx, ins, outs, scratch[c])


@_kernel(parallel=True)
def merkle_pairs(hashes: U8, pos: I64, last: I64, bounds: I64, scratch: U8, level: U8) -> None:
    """The first merkle level of every block, task ``c`` the pairs starting in rows
    ``bounds[c]:bounds[c+1]``: one parallel pass, however the txs spread over the blocks.

    ``pos`` is a row's position in its block, ``last`` its block's last row; node ``k`` of
    a block goes to its row ``k``; a block of one transaction keeps its txid.
    """
    for c in prange(bounds.shape[0] - 1):
        for i in range(bounds[c], bounds[c + 1]):
            p = pos[i]
            if p % 2:
                continue
            if i == last[i] and p == 0:
                _copy32(hashes[i], 0, level, i)
            else:  # an odd level repeats its last node
                right = hashes.ctypes.data + 32 * min(i + 1, last[i])
                pair = ((hashes.ctypes.data + 32 * i, 32), (right, 32))
                _dsha(scratch[c], pair, level.ctypes.data + 32 * (i - p // 2))


@_kernel(parallel=True)
def merkle_roots(level: U8, blk: I64, bounds: I64, scratch: U8, roots: U8) -> None:
    """Merkle root of each block from its first level (:func:`merkle_pairs`), in place.

    Task ``c`` takes the blocks ``bounds[c]:bounds[c+1]``; ``scratch`` has a row per task.
    """
    for c in prange(bounds.shape[0] - 1):
        for b in range(bounds[c], bounds[c + 1]):
            first, n = blk[b, B_TX], (blk[b, B_NTX] + 1) // 2
            base = level.ctypes.data + 32 * first
            while n > 1:
                for i in range(0, n, 2):  # the pair of rows i, i+1 becomes row i/2
                    right = base + 32 * min(i + 1, n - 1)
                    _dsha(scratch[c], ((base + 32 * i, 32), (right, 32)), base + 16 * i)
                n = (n + 1) // 2
            _copy32(level[first], 0, roots, b)


@numba.njit(cache=True, inline="always")
def _meets_target(digest: U8, bits: int) -> bool:
    """Whether a header hash (internal order) is at most the target ``bits`` encode.

    A zero, negative or overflowing target fails (no work, as Core's ``GetBlockProof``).
    """
    exponent, mantissa = int(np.int64(bits >> 24)), int(np.int64(bits & 0x007FFFFF))
    if bits & 0x00800000:
        return False
    if exponent < 3:
        mantissa, exponent = mantissa >> 8 * (3 - exponent), 3
    if mantissa == 0 or exponent > 34:  # the target is zero, or 2**256 or more
        return False
    if exponent > 32 and mantissa >> 8 * (35 - exponent) != 0:
        return False
    low = exponent - 3  # the byte where the mantissa starts, little-endian
    for j in range(31, -1, -1):
        k = j - low
        t = (mantissa >> 8 * k) & 0xFF if 0 <= k < 3 else 0
        if digest[j] != t:
            return bool(digest[j] < t)
    return True


@_kernel()
def first_above_target(heads: U8, bits: U32) -> int:
    """The first block whose header hash is above its target, or -1."""
    for b in range(heads.shape[0]):
        if not _meets_target(heads[b], int(np.int64(bits[b]))):
            return b
    return -1


@_kernel(parallel=True)
def gather(buf: U8, starts: I64, offsets: I64, bounds: I64, data: U8) -> None:
    """Copy ``buf[starts[i]:]`` to ``data[offsets[i]:offsets[i+1]]``; task ``c`` copies
    rows ``bounds[c]:bounds[c+1]``.

    Indices are unsigned: numba then skips its negative-index wraparound, which made the
    copy five times slower.
    """
    for c in prange(bounds.shape[0] - 1):
        for i in range(bounds[c], bounds[c + 1]):
            src, dst = np.uint64(starts[i]), np.uint64(offsets[i])
            for k in range(np.uint64(offsets[i + 1] - offsets[i])):
                data[dst + k] = buf[src + k]


@_kernel()
def fixed(buf: U8, starts: I64, out: U8) -> None:
    """Rows ``buf[starts[i]:starts[i]+width]`` into ``out`` (n, width)."""
    w = np.uint64(out.shape[1])
    for i in range(starts.shape[0]):
        src, r = np.uint64(starts[i]), np.uint64(i)
        for k in range(w):
            out[r, k] = buf[src + k]


class BlockFault(Exception):
    """A block of a batch is malformed; the caller names the file and record."""

    def __init__(self, block: int, offset: int, field: str, reason: str) -> None:
        super().__init__(f"block {block}, byte {offset}: {field}: {reason}")
        self.block, self.offset, self.field, self.reason = block, offset, field, reason


@dataclass(frozen=True)
class Located:
    """A validated batch: block rows (n, 6), transaction positions (6, m), header hashes."""

    blk: I64
    txs: I64
    heads: U8  # internal order


def locate(buf: U8, starts: I64, ends: I64) -> Located:
    """Validate the blocks and locate their transactions; raise the first block's fault."""
    n = starts.shape[0]
    blk, errs = np.zeros((n, 6), np.int64), np.zeros((n, 2), np.int64)
    txs = np.empty((6, tx_counts(buf, starts, ends, blk, errs)), np.int64)
    heads = np.empty((n, 32), np.uint8)
    bounds = _bounds(ends - starts)
    with numba.parallel_chunksize(1):
        walk(buf, starts, ends, bounds, blk, errs, txs, heads, _scratch(bounds))
    bad = np.flatnonzero(errs[:, 0])
    if bad.size:
        b = int(bad[0])
        code, pos = int(errs[b, 0]), int(errs[b, 1]) - int(starts[b])
        raise BlockFault(b, pos, FIELDS[code % 16], REASONS[code // 16])
    return Located(blk, txs, heads)


@_kernel()
def _walk_coinbase(buf: U8, end: int, blk: I64, errs: I64, txs: I64) -> None:
    _walk_tx(buf, blk[0, B_BODY], end, errs[0], blk[0], txs, 0)


def coinbase_script(block: U8) -> tuple[int, int]:
    """(position, length) of a block's coinbase scriptSig; only the coinbase is validated."""
    starts, ends = np.zeros(1, np.int64), np.array([len(block)], np.int64)
    blk, errs = np.zeros((1, 6), np.int64), np.zeros((1, 2), np.int64)
    if tx_counts(block, starts, ends, blk, errs):
        _walk_coinbase(block, len(block), blk, errs, np.empty((6, 1), np.int64))
    if errs[0, 0]:
        code = int(errs[0, 0])
        raise BlockFault(0, int(errs[0, 1]), FIELDS[code % 16], REASONS[code // 16])
    return int(blk[0, B_CB]), int(blk[0, B_CBLEN])


def threads() -> int:
    """Threads the kernels run on now (numba's setting, ``NUMBA_NUM_THREADS``: all cores)."""
    return int(numba.get_num_threads())


@contextmanager
def _threads_for(nbytes: int) -> Iterator[None]:
    """All threads for a big batch, one for a small one.

    Waking the other threads costs microseconds on an idle machine but milliseconds on a
    busy one, more than a small batch takes to parse.
    """
    before = threads()
    numba.set_num_threads(before if nbytes >= PARALLEL_BYTES else 1)
    try:
        yield
    finally:
        numba.set_num_threads(before)


def _bounds(weights: I64) -> I64:
    """Rows cut into a few runs per thread of about equal total ``weights``: run bounds.

    More runs than threads, handed out one at a time, keep both cores busy when the
    other is slowed by another process.
    """
    runs = 4 * threads()
    total = np.cumsum(weights)
    if not total.size:
        return np.zeros(2, np.int64)
    cuts = np.searchsorted(total, total[-1] * np.arange(1, runs) // runs, side="right")
    return np.concatenate(([0], cuts, [total.size])).astype(np.int64)


def _fill(buf: U8, txs: I64) -> tuple[Cols, Cols, Cols]:
    """The columns of the transactions, their inputs and outputs (see :func:`fill`)."""
    n = txs.shape[1]
    counts = txs[T_NIN : T_NOUT + 1]
    last = np.cumsum(counts, axis=1)
    m, k = (int(last[0, -1]), int(last[1, -1])) if n else (0, 0)
    u8, u32 = np.uint8, np.uint32
    tx: Cols = (
        np.empty((n, 32), u8), np.empty((n, 4), np.uint64), np.empty(n, u32), np.empty(n, u32),
        np.empty(n, np.int64),
    )  # fmt: skip
    ins: Cols = (
        np.empty((m, 4), np.uint64), np.empty((m, 4), np.uint64), np.empty(m, u32),
        np.empty(m, u32), np.empty(m, np.int32),
    )  # fmt: skip
    outs: Cols = (
        np.empty((k, 4), np.uint64), np.empty(k, u32), np.empty(k, np.int64), np.empty(k, u8),
        np.empty(k, np.int64), np.empty(k, np.int64),
    )  # fmt: skip
    bounds = _bounds(txs[T_END] - txs[T_START])
    with numba.parallel_chunksize(1):
        fill(buf, txs, last - counts, bounds, _scratch(bounds), tx, ins, outs)
    return tx, ins, outs


def block_merkle_roots(hashes: U8, blk: I64) -> U8:
    """Each block's merkle root (internal order) from its txids ``hashes``: the first
    level over all rows at once, the rest block by block."""
    first, count = blk[:, B_TX], blk[:, B_NTX]
    pos = np.arange(len(hashes)) - np.repeat(first, count)
    level, roots = np.empty_like(hashes), np.empty((len(blk), 32), np.uint8)
    rows, bounds = _bounds(np.ones(len(hashes), np.int64)), _bounds(count)
    with numba.parallel_chunksize(1):
        merkle_pairs(hashes, pos, np.repeat(first + count - 1, count), rows, _scratch(rows), level)
        merkle_roots(level, blk, bounds, _scratch(bounds), roots)
    return roots


def _scratch(bounds: I64) -> U8:
    return np.empty((len(bounds) - 1, SCRATCH), np.uint8)


@functools.cache
def _target(bits: int) -> int:
    """The proof-of-work target a header's compact ``bits`` encode (0 if negative)."""
    exponent, mantissa = bits >> 24, bits & 0x007FFFFF
    if bits & 0x00800000:
        return 0
    return mantissa >> 8 * (3 - exponent) if exponent <= 3 else mantissa << 8 * (exponent - 3)


@functools.cache
def block_work(bits: int) -> int:
    """Expected hashes to find a block at ``bits``: 2**256 // (target + 1), as Core's chainwork.

    Zero for a zero, negative or overflowing target, as Core's ``GetBlockProof``.
    """
    target = _target(bits)
    return 2**256 // (target + 1) if 0 < target < 2**256 else 0
