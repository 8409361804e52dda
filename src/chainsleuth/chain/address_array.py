"""Address text for many addresses at once: base58check (P2PKH, P2SH) and bech32/bech32m
(P2WPKH, P2WSH, P2TR), compiled.

The formats are BIP173 (bech32), BIP350 (bech32m for witness v1+) and base58check; the
checksum of base58check is double SHA-256 (:mod:`chainsleuth.chain._sha256`). Tests
compare every kind with :func:`chainsleuth.chain.address.address_text`, which uses the
maintained libraries; this module exists because ground truth, records, clusters and
trace exports name hundreds of thousands of addresses, and the libraries take about
100 µs each.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from numba import njit

from chainsleuth.chain._sha256 import sha256d_ranges
from chainsleuth.chain.address import Network
from chainsleuth.chain.script import ScriptType

U8 = npt.NDArray[np.uint8]
_BECH32 = np.frombuffer(b"qpzry9x8gf2tvdw0s3jn54khce6mua7l", np.uint8)
_BASE58 = np.frombuffer(b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz", np.uint8)
_GEN = np.array([0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3], np.int64)
_BECH32M_CONST = 0x2BC830A3
# Per script type: 0 base58 (version byte from the network), 1 segwit; witness version;
# payload length.
_FORMS = {
    ScriptType.P2PKH: (0, 0, 20),
    ScriptType.P2SH: (0, 0, 20),
    ScriptType.P2WPKH: (1, 0, 20),
    ScriptType.P2WSH: (1, 0, 32),
    ScriptType.P2TR: (1, 1, 32),
}
_MAX_TEXT = 90  # a bech32 string is at most 90 characters; base58 of 25 bytes is 35


@njit(cache=True)
def _polymod_step(chk: int, value: int) -> int:
    top = chk >> 25
    chk = ((chk & 0x1FFFFFF) << 5) ^ value
    for i in range(5):
        if (top >> i) & 1:
            chk ^= _GEN[i]
    return chk


@njit(cache=True)
def _bech32(out: U8, pos: int, hrp: U8, version: int, program: U8) -> int:
    """Write ``hrp 1 data checksum`` at ``pos``; the position after it."""
    data = np.empty(1 + (8 * len(program) + 4) // 5, np.int64)
    data[0] = version
    acc, bits, k = 0, 0, 1
    for b in program:  # 8-bit groups to 5-bit groups, zero-padded at the end
        acc = (acc << 8) | b
        bits += 8
        while bits >= 5:
            bits -= 5
            data[k] = (acc >> bits) & 31
            k += 1
    if bits:
        data[k] = (acc << (5 - bits)) & 31
    chk = 1
    for c in hrp:
        chk = _polymod_step(chk, c >> 5)
    chk = _polymod_step(chk, 0)
    for c in hrp:
        chk = _polymod_step(chk, c & 31)
    for d in data:
        chk = _polymod_step(chk, int(d))
    for _ in range(6):
        chk = _polymod_step(chk, 0)
    chk ^= 1 if version == 0 else _BECH32M_CONST
    out[pos : pos + len(hrp)] = hrp
    pos += len(hrp)
    out[pos] = ord("1")
    pos += 1
    for d in data:
        out[pos] = _BECH32[d]
        pos += 1
    for i in range(6):
        out[pos] = _BECH32[(chk >> (5 * (5 - i))) & 31]
        pos += 1
    return pos


@njit(cache=True)
def _base58(out: U8, pos: int, raw: U8) -> int:
    """Write the base58 text of ``raw`` at ``pos`` (a leading zero byte is a '1')."""
    digits = np.zeros(2 * len(raw), np.int64)  # little-endian base-58 digits
    n = 0
    for b in raw:
        carry = np.int64(b)
        for j in range(n):
            carry += digits[j] << 8
            digits[j] = carry % 58
            carry //= 58
        while carry:
            digits[n] = carry % 58
            carry //= 58
            n += 1
    zeros = 0
    while zeros < len(raw) and raw[zeros] == 0:
        out[pos + zeros] = _BASE58[0]
        zeros += 1
    pos += zeros
    for j in range(n - 1, -1, -1):
        out[pos] = _BASE58[digits[j]]
        pos += 1
    return pos


@njit(cache=True)
def _encode(  # noqa: PLR0917 (a numba kernel takes its arrays positionally)
    segwit: U8, version: U8, length: U8, payload: U8, checked: U8, hrp: U8
) -> tuple[U8, npt.NDArray[np.int32]]:
    """Text bytes and offsets; ``checked`` holds base58 rows' 25 bytes (version, hash, check)."""
    n = len(segwit)
    out = np.empty(n * _MAX_TEXT, np.uint8)
    offsets = np.zeros(n + 1, np.int32)
    pos = 0
    for i in range(n):
        if segwit[i]:
            pos = _bech32(out, pos, hrp, version[i], payload[i, : length[i]])
        else:
            pos = _base58(out, pos, checked[i])
        offsets[i + 1] = pos
    return out[:pos], offsets


def address_text_array(script_type: U8, payload: U8, network: Network) -> pa.StringArray:
    """Text of each (script type, payload) row; ``payload`` is ``(n, >=20)`` bytes, each
    row's payload at its start. Raises ``ValueError`` for a type without a fixed form."""
    types = np.asarray(script_type, np.uint8)
    forms = np.zeros((256, 3), np.uint8)
    known = np.zeros(256, np.bool_)
    for st, form in _FORMS.items():
        forms[st], known[st] = form, True
    if not known[types].all():
        raise ValueError("address_text_array: a script type without base58 or bech32 text")
    segwit, version, length = forms[types].T
    base = np.flatnonzero(segwit == 0)
    checked = np.zeros((len(types), 25), np.uint8)
    checked[base, 0] = np.where(
        types[base] == ScriptType.P2PKH, network.p2pkh_version, network.p2sh_version
    )
    checked[base, 1:21] = payload[base, :20]
    starts = np.arange(len(base), dtype=np.int64) * 25
    check = sha256d_ranges(checked[base].ravel(), starts, np.full(len(base), 21, np.int64))
    checked[base, 21:] = check[:, :4]
    hrp = np.frombuffer(network.hrp.encode(), np.uint8)
    text, offsets = _encode(segwit, version, length, np.ascontiguousarray(payload), checked, hrp)
    return pa.StringArray.from_buffers(
        len(types), pa.py_buffer(offsets.tobytes()), pa.py_buffer(text.tobytes())
    )


def key_texts(keys: Sequence[bytes], network: Network) -> list[str | None]:
    """Text of each address key (script type byte, then payload); None for a type without
    base58/bech32 text (bare multisig, non-standard) or a payload of the wrong length."""
    types = np.array([k[0] if k else 0 for k in keys], np.uint8)
    ok = np.array(
        [bool(k) and len(k) - 1 == _FORMS.get(ScriptType(k[0]), (0, 0, -1))[2] for k in keys],
        bool,
    )
    rows = np.flatnonzero(ok)
    payload = np.zeros((len(rows), 32), np.uint8)
    for r, i in enumerate(rows.tolist()):
        payload[r, : len(keys[i]) - 1] = np.frombuffer(keys[i], np.uint8, offset=1)
    texts: list[str | None] = [None] * len(keys)
    for i, text in zip(
        rows.tolist(), address_text_array(types[rows], payload, network).to_pylist(), strict=True
    ):
        texts[i] = text
    return texts
