"""Address and transaction keys as flat byte buffers: build, hash, compare (vectorised).

A UTXO address key is one script-type byte followed by the payload (P2PK folded into
P2PKH, :func:`chainsleuth.chain.address.address_key`); an account address key is its 20
bytes; a transaction key is its 32-byte hash.
"""

from __future__ import annotations

import numba
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from chainsleuth.chain.address import hash160
from chainsleuth.chain.script import ScriptType

U8 = npt.NDArray[np.uint8]
I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]
NO_ID = np.uint32(0xFFFFFFFF)
_PREFIX = pa.array([bytes([t]) for t in range(256)], pa.binary())


def flat(keys: pa.Array | pa.ChunkedArray) -> tuple[U8, I64]:
    """(data, offsets) of a binary array without nulls; offsets has len(keys) + 1 entries."""
    arr = keys.combine_chunks() if isinstance(keys, pa.ChunkedArray) else keys
    arr = arr.cast(pa.large_binary())
    _, off_buf, data_buf = arr.buffers()
    offsets = np.frombuffer(off_buf, np.int64)[arr.offset : arr.offset + len(arr) + 1]
    data = np.frombuffer(data_buf, np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
    return data[offsets[0] : offsets[-1]], offsets - offsets[0]


def unflat(data: U8, offsets: I64) -> pa.Array:
    """The binary array behind (data, offsets)."""
    return pa.Array.from_buffers(
        pa.large_binary(),
        len(offsets) - 1,
        [None, pa.py_buffer(offsets.astype(np.int64)), pa.py_buffer(data)],
    ).cast(pa.binary())


def utxo_address_keys(script_type: pa.Array, payload: pa.Array) -> pa.Array:
    """Address keys of outputs; null for OP_RETURN. P2PK folds into P2PKH of hash160(key)."""
    types = np.asarray(script_type.to_numpy(zero_copy_only=False), np.uint8)
    p2pk = np.flatnonzero(types == ScriptType.P2PK)
    if len(p2pk):
        # P2PK outputs are rare (early coinbases), so hashing them one by one is fine.
        folded = [hash160(payload[int(i)].as_py()) for i in p2pk]
        mask = np.zeros(len(types), bool)
        mask[p2pk] = True
        payload = pc.replace_with_mask(payload, pa.array(mask), pa.array(folded, pa.binary()))
        types = np.where(types == ScriptType.P2PK, np.uint8(ScriptType.P2PKH), types)
    keys = pc.binary_join_element_wise(_PREFIX.take(pa.array(types)), payload, b"")
    return pc.if_else(
        pa.array(types == ScriptType.NULLDATA), pa.nulls(len(types), pa.binary()), keys
    )


def source_address_keys(address_type: pa.Array, address: pa.Array) -> pa.Array:
    """Address keys from a source's prev_address_type / prev_address (null stays null)."""
    types = pc.fill_null(address_type, 0)
    return pc.binary_join_element_wise(_PREFIX.take(types), address, b"")


@numba.njit(cache=True)
def _fnv1a(data: U8, offsets: I64) -> U64:
    out = np.empty(len(offsets) - 1, np.uint64)
    for i in range(len(offsets) - 1):
        h = np.uint64(0xCBF29CE484222325)
        for j in range(offsets[i], offsets[i + 1]):
            h = (h ^ np.uint64(data[j])) * np.uint64(0x100000001B3)
        out[i] = h
    return out


def key_hashes(data: U8, offsets: I64) -> U64:
    """64-bit FNV-1a of each key (collisions are resolved by comparing full keys)."""
    result: U64 = _fnv1a(data, offsets)
    return result


@numba.njit(cache=True)
def _equal(  # noqa: PLR0917 (a numba kernel takes arrays positionally)
    qdata: U8, qoff: I64, qidx: I64, sdata: U8, soff: I64, sidx: I64
) -> npt.NDArray[np.bool_]:
    out = np.zeros(len(qidx), np.bool_)
    for k in range(len(qidx)):
        a0, a1 = qoff[qidx[k]], qoff[qidx[k] + 1]
        b0, b1 = soff[sidx[k]], soff[sidx[k] + 1]
        if a1 - a0 != b1 - b0:
            continue
        same = True
        for j in range(a1 - a0):
            if qdata[a0 + j] != sdata[b0 + j]:
                same = False
                break
        out[k] = same
    return out


def keys_equal(
    query: tuple[U8, I64], qidx: I64, stored: tuple[U8, I64], sidx: I64
) -> npt.NDArray[np.bool_]:
    """For each k: is query key ``qidx[k]`` equal to stored key ``sidx[k]``?"""
    result: npt.NDArray[np.bool_] = _equal(query[0], query[1], qidx, stored[0], stored[1], sidx)
    return result
