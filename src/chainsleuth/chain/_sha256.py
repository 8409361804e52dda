"""SHA-256 (FIPS 180-4) compiled with numba, for hashing many transactions per call.

Bitcoin's txids and merkle trees are double SHA-256 of byte ranges of one buffer; hashing
them in one compiled loop keeps block generation free of per-transaction Python calls.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from numba import njit

U8 = npt.NDArray[np.uint8]

_K = np.array(
    [
        0x428A2F98, 0x71374491, 0xB5C0FBCF, 0xE9B5DBA5, 0x3956C25B, 0x59F111F1, 0x923F82A4,
        0xAB1C5ED5, 0xD807AA98, 0x12835B01, 0x243185BE, 0x550C7DC3, 0x72BE5D74, 0x80DEB1FE,
        0x9BDC06A7, 0xC19BF174, 0xE49B69C1, 0xEFBE4786, 0x0FC19DC6, 0x240CA1CC, 0x2DE92C6F,
        0x4A7484AA, 0x5CB0A9DC, 0x76F988DA, 0x983E5152, 0xA831C66D, 0xB00327C8, 0xBF597FC7,
        0xC6E00BF3, 0xD5A79147, 0x06CA6351, 0x14292967, 0x27B70A85, 0x2E1B2138, 0x4D2C6DFC,
        0x53380D13, 0x650A7354, 0x766A0ABB, 0x81C2C92E, 0x92722C85, 0xA2BFE8A1, 0xA81A664B,
        0xC24B8B70, 0xC76C51A3, 0xD192E819, 0xD6990624, 0xF40E3585, 0x106AA070, 0x19A4C116,
        0x1E376C08, 0x2748774C, 0x34B0BCB5, 0x391C0CB3, 0x4ED8AA4A, 0x5B9CCA4F, 0x682E6FF3,
        0x748F82EE, 0x78A5636F, 0x84C87814, 0x8CC70208, 0x90BEFFFA, 0xA4506CEB, 0xBEF9A3F7,
        0xC67178F2,
    ],
    dtype=np.uint32,
)  # fmt: skip
_H0 = np.array(
    [0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A, 0x510E527F, 0x9B05688C, 0x1F83D9AB,
     0x5BE0CD19],
    dtype=np.uint32,
)  # fmt: skip
_MASK = 0xFFFFFFFF


@njit(cache=True, inline="always")
def _rotr(x: Any, n: int) -> Any:
    return ((x >> n) | (x << (32 - n))) & _MASK


@njit(cache=True)
def _compress(state: npt.NDArray[np.uint32], block: U8, w: npt.NDArray[np.uint32]) -> None:
    for t in range(16):
        w[t] = (
            (np.uint32(block[4 * t]) << 24)
            | (np.uint32(block[4 * t + 1]) << 16)
            | (np.uint32(block[4 * t + 2]) << 8)
            | np.uint32(block[4 * t + 3])
        )
    for t in range(16, 64):
        x, y = np.int64(w[t - 15]), np.int64(w[t - 2])
        s0 = _rotr(x, 7) ^ _rotr(x, 18) ^ (x >> 3)
        s1 = _rotr(y, 17) ^ _rotr(y, 19) ^ (y >> 10)
        w[t] = np.uint32((np.int64(w[t - 16]) + s0 + np.int64(w[t - 7]) + s1) & _MASK)
    a, b, c, d = np.int64(state[0]), np.int64(state[1]), np.int64(state[2]), np.int64(state[3])
    e, f, g, h = np.int64(state[4]), np.int64(state[5]), np.int64(state[6]), np.int64(state[7])
    for t in range(64):
        t1 = h + (_rotr(e, 6) ^ _rotr(e, 11) ^ _rotr(e, 25)) + ((e & f) ^ (~e & g & _MASK))
        t1 = (t1 + np.int64(_K[t]) + np.int64(w[t])) & _MASK
        t2 = ((_rotr(a, 2) ^ _rotr(a, 13) ^ _rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) & _MASK
        h, g, f, e = g, f, e, (d + t1) & _MASK
        d, c, b, a = c, b, a, (t1 + t2) & _MASK
    for i, v in enumerate((a, b, c, d, e, f, g, h)):
        state[i] = np.uint32((np.int64(state[i]) + v) & _MASK)


@njit(cache=True)
def _sha256_into(data: U8, start: int, n: int, out: U8, at: int) -> None:
    state = _H0.copy()
    w = np.empty(64, np.uint32)
    block = np.zeros(64, np.uint8)
    full = n // 64
    for k in range(full):
        _compress(state, data[start + 64 * k : start + 64 * k + 64], w)
    rest = n - 64 * full
    block[:] = 0
    block[:rest] = data[start + 64 * full : start + n]
    block[rest] = 0x80
    if rest >= 56:
        _compress(state, block, w)
        block[:] = 0
    bits = np.int64(n) * 8
    for i in range(8):
        block[63 - i] = (bits >> (8 * i)) & 0xFF
    _compress(state, block, w)
    for i in range(8):
        for j in range(4):
            out[at + 4 * i + j] = (state[i] >> (24 - 8 * j)) & 0xFF


@njit(cache=True)
def sha256d_ranges(data: U8, starts: npt.NDArray[np.int64], lens: npt.NDArray[np.int64]) -> U8:
    """Double SHA-256 of ``data[starts[i] : starts[i] + lens[i]]``: an ``(n, 32)`` array."""
    n = len(starts)
    out = np.empty(n * 32, np.uint8)
    tmp = np.empty(32, np.uint8)
    for i in range(n):
        _sha256_into(data, starts[i], lens[i], tmp, 0)
        _sha256_into(tmp, 0, 32, out, 32 * i)
    return out.reshape((n, 32))


@njit(cache=True)
def merkle_root_of(hashes: U8) -> U8:
    """Bitcoin's merkle root of ``(n, 32)`` internal-order hashes (odd levels double the last)."""
    level = hashes.copy()
    pair = np.empty(64, np.uint8)
    while level.shape[0] > 1:
        n = level.shape[0]
        m = (n + 1) // 2
        nxt = np.empty((m, 32), np.uint8)
        for i in range(m):
            pair[:32] = level[2 * i]
            pair[32:] = level[min(2 * i + 1, n - 1)]
            nxt[i] = sha256d_ranges(pair, np.zeros(1, np.int64), np.full(1, 64, np.int64))[0]
        level = nxt
    root: U8 = level[0].copy()
    return root
