"""Classify output scripts into the standard types and pull out their payload.

The rules follow Bitcoin Core's ``Solver`` (``script/solver.cpp``): the templates of
P2PK, P2PKH, P2SH, bare multisig, null data (OP_RETURN followed by pushes only), the
witness programs (v0 key/script hash, v1 taproot, P2A anchor, other versions) and
everything else as non-standard. The payload is the hash or key inside the script; for
scripts without an address (multisig, null data, non-standard) it is the whole script, so
nothing is lost.

The kernel works on one contiguous byte buffer with offsets, so a block parser can call
it on the scripts it has already located and a JSON reader on all scripts of a batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum

import numba
import numpy as np
import numpy.typing as npt


class ScriptType(IntEnum):
    """Output script types; values are what the store keeps (uint8)."""

    NONSTANDARD = 0
    P2PK = 1
    P2PKH = 2
    P2SH = 3
    MULTISIG = 4
    NULLDATA = 5
    P2WPKH = 6
    P2WSH = 7
    P2TR = 8
    WITNESS_UNKNOWN = 9
    ANCHOR = 10

    @property
    def core_name(self) -> str:
        """The name bitcoind (and bitcoin-etl, BigQuery) print for this type."""
        return _CORE_NAMES[self]

    @classmethod
    def from_core_name(cls, name: str) -> ScriptType:
        return _FROM_CORE[name]


_CORE_NAMES = {
    ScriptType.NONSTANDARD: "nonstandard",
    ScriptType.P2PK: "pubkey",
    ScriptType.P2PKH: "pubkeyhash",
    ScriptType.P2SH: "scripthash",
    ScriptType.MULTISIG: "multisig",
    ScriptType.NULLDATA: "nulldata",
    ScriptType.P2WPKH: "witness_v0_keyhash",
    ScriptType.P2WSH: "witness_v0_scripthash",
    ScriptType.P2TR: "witness_v1_taproot",
    ScriptType.WITNESS_UNKNOWN: "witness_unknown",
    ScriptType.ANCHOR: "anchor",
}
_FROM_CORE = {v: k for k, v in _CORE_NAMES.items()}

# Types whose payload names an address a person can type in.
ADDRESS_TYPES = frozenset(
    {
        ScriptType.P2PK,
        ScriptType.P2PKH,
        ScriptType.P2SH,
        ScriptType.P2WPKH,
        ScriptType.P2WSH,
        ScriptType.P2TR,
        ScriptType.WITNESS_UNKNOWN,
        ScriptType.ANCHOR,
    }
)

_OP_0 = 0x00
_OP_PUSHDATA1 = 0x4C
_OP_PUSHDATA2 = 0x4D
_OP_PUSHDATA4 = 0x4E
_OP_1 = 0x51
_OP_16 = 0x60
_OP_RETURN = 0x6A
_OP_DUP = 0x76
_OP_EQUAL = 0x87
_OP_EQUALVERIFY = 0x88
_OP_HASH160 = 0xA9
_OP_CHECKSIG = 0xAC
_OP_CHECKMULTISIG = 0xAE


@numba.njit(cache=True)
def _byte(buf: npt.NDArray[np.uint8], i: int) -> int:
    """buf[i] as a signed 64-bit int, so arithmetic never mixes unsigned and signed."""
    return int(np.int64(buf[i]))


@numba.njit(cache=True)
def _pubkey_size_ok(buf: npt.NDArray[np.uint8], start: int, size: int) -> bool:
    """CPubKey::ValidSize: the header byte fixes the length (33 compressed, 65 full)."""
    h = _byte(buf, start)
    if size == 33:
        return h in (2, 3)
    if size == 65:
        return h in (4, 6, 7)
    return False


@numba.njit(cache=True)
def _push_only(buf: npt.NDArray[np.uint8], pos: int, end: int) -> bool:
    """True if buf[pos:end] parses as data pushes and small numbers only."""
    while pos < end:
        op = _byte(buf, pos)
        pos += 1
        if op > _OP_16:
            return False
        n = 0
        if op < _OP_PUSHDATA1:
            n = op
        elif op == _OP_PUSHDATA1:
            if pos + 1 > end:
                return False
            n = _byte(buf, pos)
            pos += 1
        elif op == _OP_PUSHDATA2:
            if pos + 2 > end:
                return False
            n = _byte(buf, pos) | (_byte(buf, pos + 1) << 8)
            pos += 2
        elif op == _OP_PUSHDATA4:
            if pos + 4 > end:
                return False
            n = (
                _byte(buf, pos)
                | (_byte(buf, pos + 1) << 8)
                | (_byte(buf, pos + 2) << 16)
                | (_byte(buf, pos + 3) << 24)
            )
            pos += 4
        if pos + n > end:
            return False
        pos += n
    return True


@numba.njit(cache=True)
def _multisig(buf: npt.NDArray[np.uint8], s: int, n: int) -> bool:
    """OP_m <key>... OP_n OP_CHECKMULTISIG with 1 <= m <= n <= 16 and n valid keys."""
    if n < 3 + 34 or buf[s + n - 1] != _OP_CHECKMULTISIG:
        return False
    m_op = _byte(buf, s)
    n_op = _byte(buf, s + n - 2)
    if m_op < _OP_1 or m_op > _OP_16 or n_op < _OP_1 or n_op > _OP_16 or m_op > n_op:
        return False
    pos = s + 1
    end = s + n - 2
    keys = 0
    while pos < end:
        size = _byte(buf, pos)
        if pos + 1 + size > end or not _pubkey_size_ok(buf, pos + 1, size):
            return False
        pos += 1 + size
        keys += 1
    return keys == n_op - _OP_1 + 1


@numba.njit(cache=True)
def classify_one(buf: npt.NDArray[np.uint8], s: int, n: int) -> tuple[int, int, int]:
    """Classify the script ``buf[s:s+n]``; return (type, payload start, payload length)."""
    if n == 25 and (
        buf[s] == _OP_DUP
        and buf[s + 1] == _OP_HASH160
        and buf[s + 2] == 20
        and buf[s + 23] == _OP_EQUALVERIFY
        and buf[s + 24] == _OP_CHECKSIG
    ):
        return 2, s + 3, 20
    if n == 23 and buf[s] == _OP_HASH160 and buf[s + 1] == 20 and buf[s + 22] == _OP_EQUAL:
        return 3, s + 2, 20
    if 4 <= n <= 42:
        v = buf[s]
        if (v == _OP_0 or _OP_1 <= v <= _OP_16) and buf[s + 1] == n - 2:
            plen = n - 2
            if v == _OP_0:
                if plen == 20:
                    return 6, s + 2, 20
                if plen == 32:
                    return 7, s + 2, 32
                return 0, s, n
            if v == _OP_1 and plen == 32:
                return 8, s + 2, 32
            if v == _OP_1 and plen == 2 and buf[s + 2] == 0x4E and buf[s + 3] == 0x73:
                return 10, s, n
            return 9, s, n
    if n >= 1 and buf[s] == _OP_RETURN and _push_only(buf, s + 1, s + n):
        return 5, s, n
    if (
        n in (35, 67)
        and buf[s] == n - 2
        and buf[s + n - 1] == _OP_CHECKSIG
        and _pubkey_size_ok(buf, s + 1, n - 2)
    ):
        return 1, s + 1, n - 2
    if _multisig(buf, s, n):
        return 4, s, n
    return 0, s, n


@numba.njit(cache=True)
def classify_scripts(
    buf: npt.NDArray[np.uint8], offsets: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Classify scripts ``buf[offsets[i]:offsets[i+1]]``.

    Returns the type of each script and the start and length of its payload in ``buf``.
    """
    count = offsets.shape[0] - 1
    types = np.empty(count, np.uint8)
    starts = np.empty(count, np.int64)
    lengths = np.empty(count, np.int64)
    for i in range(count):
        t, ps, pl = classify_one(buf, offsets[i], offsets[i + 1] - offsets[i])
        types[i] = t
        starts[i] = ps
        lengths[i] = pl
    return types, starts, lengths


def classify_many(scripts: Sequence[bytes]) -> tuple[list[ScriptType], list[bytes]]:
    """Classify a batch of scripts held as Python bytes (JSON readers, tests)."""
    lengths = np.fromiter((len(s) for s in scripts), np.int64, len(scripts))
    offsets = np.zeros(len(scripts) + 1, np.int64)
    np.cumsum(lengths, out=offsets[1:])
    raw = b"".join(scripts)
    buf = np.frombuffer(raw, np.uint8) if raw else np.zeros(1, np.uint8)
    types, starts, plens = classify_scripts(buf, offsets)
    return (
        [ScriptType(int(t)) for t in types],
        [raw[s : s + n] for s, n in zip(starts.tolist(), plens.tolist(), strict=True)],
    )
