"""Exact account amounts as four uint64 limbs, and their correctly rounded float64 (vectorised).

A limb matrix has shape ``(n, 4)``, most significant limb first, so row ``i`` is
``l[i,0]·2**192 + l[i,1]·2**128 + l[i,2]·2**64 + l[i,3]``: every uint256 fits. The store
keeps amounts as ``decimal128(38, 0)`` or, beyond that, 32 big-endian bytes
(:mod:`chainsleuth.chain.amounts`); both become limbs here without Python ints.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from chainsleuth.store.keys import flat

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
_WIDTH = 32  # bytes of a uint256


def limbs_of_decimals(column: pa.ChunkedArray | pa.Array) -> U64:
    """Limbs of a non-negative decimal128 column (its 16-byte little-endian integers); null -> 0."""
    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    out = np.zeros((len(arr), 4), np.uint64)
    if not len(arr):
        return out
    data = arr.buffers()[1]
    raw = np.frombuffer(data, np.uint64)[2 * arr.offset : 2 * (arr.offset + len(arr))]
    pairs = raw.reshape(-1, 2)
    valid = np.asarray(arr.is_valid().to_numpy(zero_copy_only=False), bool)
    out[valid, 3] = pairs[valid, 0]
    out[valid, 2] = pairs[valid, 1]
    return out


def limbs_of_bytes(column: pa.Array) -> U64:
    """Limbs of big-endian unsigned integers of at most 32 bytes (no nulls)."""
    data, offsets = flat(column)
    lens = np.diff(offsets)
    rows = np.repeat(np.arange(len(lens)), lens)
    cols = _WIDTH - lens[rows] + (np.arange(len(data)) - offsets[:-1][rows])
    mat = np.zeros((len(lens), _WIDTH), np.uint8)
    mat[rows, cols] = data
    return mat.view(">u8").astype(np.uint64)


def _bit_length(x: U64) -> I64:
    n = np.zeros(len(x), np.int64)
    for s in (32, 16, 8, 4, 2, 1):
        big = x >= np.uint64(1 << s)
        x = np.where(big, x >> np.uint64(s), x)
        n += np.where(big, s, 0)
    out: I64 = n + (x > 0)
    return out


def _shift(x: U64, by: I64, *, left: bool) -> U64:
    """``x << by`` or ``x >> by``, 0 where ``by >= 64`` (numpy leaves that undefined)."""
    amount = np.minimum(by, 63).astype(np.uint64)
    moved = np.left_shift(x, amount) if left else np.right_shift(x, amount)
    out: U64 = np.where(by >= 64, np.uint64(0), moved)
    return out


def limbs_to_float(limbs: U64) -> F64:
    """The float64 nearest each value (ties to even), as ``float(int)`` gives.

    The top 64 bits of each value, with a sticky bit for anything below them, round to
    53 bits exactly as the whole value would; the exponent then scales them back.
    """
    n = len(limbs)
    nonzero = limbs != 0
    top = np.where(nonzero.any(axis=1), 3 - nonzero.argmax(axis=1), 0)  # limb index, LSB = 0
    rows = np.arange(n)
    head = limbs[rows, 3 - top]
    below = np.where(top > 0, limbs[rows, np.minimum(4 - top, 3)], np.uint64(0))
    bits = _bit_length(head)
    gap = 64 - bits
    high = _shift(head, gap, left=True) | _shift(below, bits, left=False)
    lower = (nonzero & (np.arange(4) > (4 - top)[:, None])).any(axis=1)
    sticky = (_shift(below, gap, left=True) != 0) | lower
    scaled = np.ldexp((high | sticky.astype(np.uint64)).astype(np.float64), 64 * (top - 1) + bits)
    out: F64 = np.where(top == 0, limbs[:, 3].astype(np.float64), scaled)
    return out
