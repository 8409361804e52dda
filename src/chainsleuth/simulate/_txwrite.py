"""Compiled serializer: columnar transactions -> Bitcoin wire bytes, with and without witness.

Every spend uses one fixed template per script kind (the shapes of real single-key wallets),
so that a block's transactions serialize in one loop. Keys and signatures are random bytes of
the right length: the chain is valid serialization, not valid consensus.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit

from chainsleuth.chain.script import ScriptType

U8 = npt.NDArray[np.uint8]
I64 = npt.NDArray[np.int64]

# Our script kinds, the wallets of the simulated world use one each.
P2PKH, P2SH_P2WPKH, P2WPKH, P2TR = 0, 1, 2, 3
KIND_TO_SCRIPT_TYPE = (ScriptType.P2PKH, ScriptType.P2SH, ScriptType.P2WPKH, ScriptType.P2TR)
PAYLOAD_LEN = np.array([20, 20, 20, 32], np.int64)
OUTPUT_VBYTES = np.array([34, 32, 31, 43], np.int64)
INPUT_VBYTES = np.array([148, 91, 68, 58], np.int64)
MAX_INPUT_BYTES = 41 + 107 + 110
MAX_OUTPUT_BYTES = 9 + 35


@njit(cache=True)
def _varint(buf: U8, pos: int, n: int) -> int:
    if n < 0xFD:
        buf[pos] = n
        return pos + 1
    buf[pos] = 0xFD
    buf[pos + 1] = n & 0xFF
    buf[pos + 2] = (n >> 8) & 0xFF
    return pos + 3


@njit(cache=True)
def _put(buf: U8, pos: int, src: U8) -> int:
    buf[pos : pos + len(src)] = src
    return pos + len(src)


@njit(cache=True)
def _le(buf: U8, pos: int, value: int, width: int) -> int:
    for i in range(width):
        buf[pos + i] = (value >> (8 * i)) & 0xFF
    return pos + width


@njit(cache=True)
def _script_sig(buf: U8, pos: int, kind: int, payload: U8, sig: U8) -> int:
    if kind == P2PKH:  # <sig> <pubkey>
        buf[pos] = 107
        buf[pos + 1] = 72
        pos = _put(buf, pos + 2, sig)
        buf[pos] = 33
        buf[pos + 1] = 2
        return _put(buf, pos + 2, payload)
    if kind == P2SH_P2WPKH:  # push of the witness program 0014<hash>
        buf[pos] = 23
        buf[pos + 1] = 22
        buf[pos + 2] = 0
        buf[pos + 3] = 20
        return _put(buf, pos + 4, payload[:20])
    buf[pos] = 0
    return pos + 1


@njit(cache=True)
def _witness(buf: U8, pos: int, kind: int, payload: U8, sig: U8) -> int:
    if kind == P2PKH:
        buf[pos] = 0
        return pos + 1
    if kind == P2TR:  # one Schnorr signature
        buf[pos] = 1
        buf[pos + 1] = 64
        return _put(buf, pos + 2, sig[8:])
    buf[pos] = 2
    buf[pos + 1] = 72
    pos = _put(buf, pos + 2, sig)
    buf[pos] = 33
    buf[pos + 1] = 3
    return _put(buf, pos + 2, payload)


@njit(cache=True)
def _output(buf: U8, pos: int, value: int, kind: int, payload: U8) -> int:
    pos = _le(buf, pos, value, 8)
    if kind == P2PKH:
        buf[pos : pos + 4] = np.array([25, 0x76, 0xA9, 20], np.uint8)
        pos = _put(buf, pos + 4, payload[:20])
        buf[pos] = 0x88
        buf[pos + 1] = 0xAC
        return pos + 2
    if kind == P2SH_P2WPKH:
        buf[pos : pos + 3] = np.array([23, 0xA9, 20], np.uint8)
        pos = _put(buf, pos + 3, payload[:20])
        buf[pos] = 0x87
        return pos + 1
    if kind == P2WPKH:
        buf[pos : pos + 3] = np.array([22, 0, 20], np.uint8)
        return _put(buf, pos + 3, payload[:20])
    buf[pos : pos + 3] = np.array([34, 0x51, 32], np.uint8)
    return _put(buf, pos + 3, payload)


@njit(cache=True)
def serialize_txs(  # noqa: PLR0917 (a numba kernel takes its arrays positionally)
    tx_nin: I64,
    tx_nout: I64,
    locktime: int,
    in_txid: U8,
    in_vout: I64,
    in_kind: U8,
    in_payload: U8,
    sigs: U8,
    out_value: I64,
    out_kind: U8,
    out_payload: U8,
) -> tuple[U8, I64, I64, U8, I64, I64]:
    """(full bytes, starts, lengths, stripped bytes, starts, lengths) of each transaction.

    ``in_*`` and ``out_*`` are flat, in transaction order; ``in_payload``/``out_payload`` are
    ``(n, 32)`` key material (hash160 in the first 20 bytes); ``sigs`` is ``(n_in, 72)``.
    """
    n = len(tx_nin)
    cap = 64 * n + MAX_INPUT_BYTES * len(in_vout) + MAX_OUTPUT_BYTES * len(out_value)
    full = np.empty(cap, np.uint8)
    bare = np.empty(cap, np.uint8)
    f_start, f_len = np.empty(n, np.int64), np.empty(n, np.int64)
    b_start, b_len = np.empty(n, np.int64), np.empty(n, np.int64)
    fp, bp, i0, o0 = 0, 0, 0, 0
    for t in range(n):
        segwit = False
        for i in range(i0, i0 + tx_nin[t]):
            segwit = segwit or in_kind[i] != P2PKH
        f_start[t], b_start[t] = fp, bp
        body = bp + 4
        bp = _le(bare, bp, 2, 4)
        bp = _varint(bare, bp, tx_nin[t])
        for i in range(i0, i0 + tx_nin[t]):
            bp = _put(bare, bp, in_txid[i])
            bp = _le(bare, bp, in_vout[i], 4)
            bp = _script_sig(bare, bp, in_kind[i], in_payload[i], sigs[i])
            bp = _le(bare, bp, 0xFFFFFFFD, 4)
        bp = _varint(bare, bp, tx_nout[t])
        for o in range(o0, o0 + tx_nout[t]):
            bp = _output(bare, bp, out_value[o], out_kind[o], out_payload[o])
        body_end = bp
        bp = _le(bare, bp, locktime, 4)
        b_len[t] = bp - b_start[t]
        fp = _le(full, fp, 2, 4)
        if segwit:
            full[fp] = 0
            full[fp + 1] = 1
            fp += 2
        fp = _put(full, fp, bare[body:body_end])
        if segwit:
            for i in range(i0, i0 + tx_nin[t]):
                fp = _witness(full, fp, in_kind[i], in_payload[i], sigs[i])
        fp = _le(full, fp, locktime, 4)
        f_len[t] = fp - f_start[t]
        i0 += tx_nin[t]
        o0 += tx_nout[t]
    return full[:fp], f_start, f_len, bare[:bp], b_start, b_len


@njit(cache=True)
def serialize_outputs(value: I64, kind: U8, payload: U8) -> U8:
    """The output list (without its count) of ``value``/``kind``/``payload`` rows."""
    buf = np.empty(MAX_OUTPUT_BYTES * len(value), np.uint8)
    pos = 0
    for o in range(len(value)):
        pos = _output(buf, pos, value[o], kind[o], payload[o])
    return buf[:pos]
