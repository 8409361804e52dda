# ruff: noqa: PLR0917  (numba kernels take their arrays positionally)
"""Pass 1 of the raw-block reader as arrays: blk framing, header hashes, best branches.

:func:`frames` walks the ``[magic][uint32 LE size][block]`` records of a file;
:func:`headers` gathers the 80-byte headers and hashes them with the libcrypto SHA-256
of :mod:`chainsleuth.chain.readers._blockparse`; :func:`branches` links each header to
its parent by sorting the hashes and keeps the most-work branch of every tree. Work is
summed exactly, in 32-bit limbs: a block's work is below 2**256, so ten limbs hold the
chainwork of any chain.
"""

from __future__ import annotations

import numba
import numpy as np
import numpy.typing as npt

from chainsleuth.chain.readers import _blockparse
from chainsleuth.chain.readers._blockparse import HEADER, SCRATCH, _dsha, _kernel, block_work
from chainsleuth.numba_cache import drop_stale

drop_stale(__file__, _blockparse.__file__)

U8 = npt.NDArray[np.uint8]
I64 = npt.NDArray[np.int64]
U32 = npt.NDArray[np.uint32]
LIMBS = 10  # 32-bit limbs of a chainwork, most significant first
F_OK, F_MAGIC, F_SIZE = range(3)  # frames(): how the walk ended


@numba.njit(cache=True, inline="always")
def _lex(buf: U8, key: U8, pos: int, width: int) -> np.uint64:
    """Little-endian integer at ``pos`` of a file whose byte ``i`` is XORed with ``key[i % 8]``."""
    v = np.uint64(0)
    for k in range(width):
        v |= np.uint64(buf[pos + k] ^ key[(pos + k) & 7]) << np.uint64(8 * k)
    return v


@_kernel()
def _walk_frames(buf: U8, key: U8, magic: int, offsets: I64, sizes: I64, state: I64) -> int:
    """Fill ``offsets``/``sizes`` (as far as they go) with each record's block; return the
    record count. ``state`` gets how the walk ended and the byte offset of a bad record.

    A record without the magic ends the walk: quietly if only zeros are left (Core's
    preallocated tail), else as a magic error. ``key``: see :func:`frames`.
    """
    pos, end, n = 0, buf.shape[0], 0
    while pos < end:
        if pos + 4 > end or _lex(buf, key, pos, 4) != np.uint64(magic):
            for k in range(pos, end):
                if buf[k] ^ key[k & 7] != 0:
                    state[0], state[1] = F_MAGIC, pos
                    return n
            return n
        size = int(np.int64(_lex(buf, key, pos + 4, 4))) if pos + 8 <= end else 0
        if pos + 8 > end or pos + 8 + size > end:
            state[0], state[1] = F_SIZE, pos
            return n
        if n < offsets.shape[0]:
            offsets[n], sizes[n] = pos + 8, size
        n += 1
        pos += 8 + size
    return n


def frames(buf: U8, key: U8, magic: bytes) -> tuple[I64, I64, int, int]:
    """(offsets, sizes) of the blocks of a blk-framed buffer, then how the walk ended
    (``F_OK``, ``F_MAGIC`` or ``F_SIZE``) and the byte offset of the bad record.

    ``key`` (8 bytes) is the file's obfuscation key (Bitcoin Core 28+ ``xor.dat``): byte
    ``i`` of the file is XORed with ``key[i % 8]``; zeros for a plain file.
    """
    value = int.from_bytes(magic, "little")
    cap = len(buf) // (8 + HEADER) + 1  # enough unless blocks are shorter than a header
    while True:
        offsets, sizes = np.empty(cap, np.int64), np.empty(cap, np.int64)
        state = np.zeros(2, np.int64)
        n = _walk_frames(buf, key, value, offsets, sizes, state)
        if n <= cap:
            return offsets[:n], sizes[:n], int(state[0]), int(state[1])
        cap = n


@_kernel()
def header_rows(buf: U8, key: U8, starts: I64, out: U8) -> None:
    """The 80-byte rows ``buf[starts[i]:]`` into ``out`` (n, 80), XORed with ``key``."""
    for i in range(starts.shape[0]):
        src = np.uint64(starts[i])
        for k in range(np.uint64(HEADER)):
            out[i, k] = buf[src + k] ^ key[(src + k) & np.uint64(7)]


@_kernel()
def _hash_rows(rows: U8, heads: U8, scratch: U8) -> None:
    for b in range(rows.shape[0]):
        _dsha(scratch, ((rows.ctypes.data + HEADER * b, HEADER),), heads.ctypes.data + 32 * b)


def headers(rows: U8) -> U8:
    """Double SHA-256 (internal order) of each 80-byte header row of ``rows`` (n, 80)."""
    heads = np.empty((rows.shape[0], 32), np.uint8)
    _hash_rows(np.ascontiguousarray(rows), heads, np.empty(SCRATCH, np.uint8))
    return heads


@_kernel()
def copy_blocks(buf: U8, key: U8, starts: I64, sizes: I64, dst: I64, out: U8) -> None:
    """Copy ``buf[starts[i]:starts[i]+sizes[i]]`` to ``out[dst[i]:]``, XORed with ``key``
    (see :func:`frames`; unsigned indices: no wraparound checks)."""
    seven = np.uint64(7)
    for i in range(starts.shape[0]):
        src, at = np.uint64(starts[i]), np.uint64(dst[i])
        for k in range(np.uint64(sizes[i])):
            out[at + k] = buf[src + k] ^ key[(src + k) & seven]


def _parents(hashes: U8, prevs: U8) -> tuple[I64, npt.NDArray[np.bool_]]:
    """Index of each block's parent (its first copy), -1 if absent or a repeated hash;
    and which blocks are the first copy of their hash."""
    n = hashes.shape[0]
    keys = np.ascontiguousarray(hashes).view("S32").ravel()
    order = np.argsort(keys, kind="stable")  # copies of a hash: lowest index first
    ordered = keys[order]
    # fixed-width keys: numpy's trailing-NUL stripping cannot make two hashes equal
    new = np.ones(n, bool)
    new[1:] = ordered[1:] != ordered[:-1]
    unique, firsts = ordered[new], order[new]
    first = np.empty(n, np.int64)
    first[order] = firsts[np.cumsum(new) - 1]
    wanted = np.ascontiguousarray(prevs).view("S32").ravel()
    at = np.minimum(np.searchsorted(unique, wanted), max(len(unique) - 1, 0))
    found = unique[at] == wanted if n else np.zeros(0, bool)
    parent = np.where(found, firsts[at] if n else at, -1)
    is_first = first == np.arange(n)
    parent[~is_first] = -1
    return parent.astype(np.int64), is_first


@_kernel()
def _chainwork(parent: I64, work: I64, total: I64, root: I64, depth: I64, path: I64) -> None:
    """Cumulative work (limbs), root and depth of each block; parents may come later.

    ``root`` comes filled with -1 (not yet done); ``path`` is scratch of one per block.
    """
    for i in range(parent.shape[0]):
        n, j = 0, i
        while j >= 0 and root[j] < 0:
            path[n] = j
            n += 1
            j = parent[j]
        top = root[j] if j >= 0 else path[n - 1] if n else -1
        for m in range(n - 1, -1, -1):
            k, carry = path[m], 0
            for limb in range(LIMBS - 1, -1, -1):
                below = total[j, limb] if j >= 0 else 0
                s = below + work[k, limb] + carry
                total[k, limb], carry = s & 0xFFFFFFFF, s >> 32
            root[k], depth[k] = top, depth[j] + 1 if j >= 0 else 0
            j = k


@_kernel()
def _best(total: I64, root: I64, is_first: npt.NDArray[np.bool_], best: I64) -> None:
    """``best[r]``: the block of tree ``r`` with the most work, ties to the lowest index;
    ``best`` comes filled with -1. Repeated hashes are no candidates."""
    for i in range(root.shape[0]):
        b = best[root[i]]
        if not is_first[i]:
            continue
        if b < 0:
            best[root[i]] = i
            continue
        for limb in range(LIMBS):
            if total[i, limb] != total[b, limb]:
                if total[i, limb] > total[b, limb]:
                    best[root[i]] = i
                break


@_kernel()
def _trace(parent: I64, tips: I64, starts: I64, out: I64) -> None:
    """Each tip's branch, root first, into ``out[starts[t]:starts[t+1]]``."""
    for t in range(tips.shape[0]):
        j = tips[t]
        for m in range(starts[t + 1] - 1, starts[t] - 1, -1):
            out[m] = j
            j = parent[j]


def _work_limbs(bits: U32) -> I64:
    """Each block's work (Core's ``GetBlockProof``) as limbs, computed once per ``bits``."""
    values = np.unique(bits)
    works = b"".join(block_work(int(v)).to_bytes(4 * LIMBS, "big") for v in values)
    table = np.frombuffer(works, ">u4").reshape(-1, LIMBS).astype(np.int64)
    return table[np.searchsorted(values, bits)]


def branches(hashes: U8, prevs: U8, bits: U32) -> list[I64]:
    """The most-work branch of every tree of linked blocks, root first, best tree first.

    Ties go to the block seen first, as in Core; a repeated hash leads nowhere.
    """
    n = hashes.shape[0]
    parent, is_first = _parents(hashes, prevs)
    total, root = np.zeros((n, LIMBS), np.int64), np.full(n, -1, np.int64)
    depth = np.zeros(n, np.int64)
    _chainwork(parent, _work_limbs(bits), total, root, depth, np.empty(n, np.int64))
    best = np.full(n, -1, np.int64)
    _best(total, root, is_first, best)
    tips = best[best >= 0]
    # most work first (limbs most significant first, the last key sorts first), then index
    if len(tips) > 1:
        tips = tips[np.lexsort((tips, *(-total[tips, k] for k in range(LIMBS - 1, -1, -1))))]
    starts = np.zeros(len(tips) + 1, np.int64)
    np.cumsum(depth[tips] + 1, out=starts[1:])
    out = np.empty(int(starts[-1]), np.int64)
    _trace(parent, tips.astype(np.int64), starts, out)
    return [out[starts[t] : starts[t + 1]] for t in range(len(tips))]
