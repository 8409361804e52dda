"""Address text at the edges: (script type, payload) <-> base58 / bech32 / bech32m.

Ingest never makes text; display, export and search input do, through here.
P2PK outputs are shown as the P2PKH address of their key, as bitcoind's old
``addresses`` field, bitcoin-etl and block explorers do.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import base58
import bech32m
from bech32m.codecs import DecodeError

from chainsleuth.chain.script import ScriptType
from chainsleuth.errors import Invalid


@dataclass(frozen=True)
class Network:
    """Address parameters of one Bitcoin network."""

    name: str
    p2pkh_version: int
    p2sh_version: int
    hrp: str


NETWORKS = {
    n.name: n
    for n in (
        Network("mainnet", 0x00, 0x05, "bc"),
        Network("testnet", 0x6F, 0xC4, "tb"),
        Network("signet", 0x6F, 0xC4, "tb"),
        Network("regtest", 0x6F, 0xC4, "bcrt"),
    )
}
MAINNET = NETWORKS["mainnet"]


def hash160(data: bytes) -> bytes:
    """RIPEMD-160 of SHA-256, the hash inside P2PKH and P2SH scripts."""
    return hashlib.new("ripemd160", hashlib.sha256(data).digest()).digest()


def address_key(script_type: ScriptType | int, payload: bytes) -> tuple[ScriptType, bytes] | None:
    """The address an output pays: P2PK folds into P2PKH; None for OP_RETURN outputs.

    Multisig and non-standard scripts have no address text but keep their script as key,
    so their coins can still be followed.
    """
    st = ScriptType(script_type)
    if st is ScriptType.NULLDATA:
        return None
    if st is ScriptType.P2PK:
        return ScriptType.P2PKH, hash160(payload)
    return st, payload


def _segwit(network: Network, version: int, program: bytes) -> str:
    text = bech32m.encode(network.hrp, version, list(program))
    if text is None:
        raise Invalid(f"cannot encode witness v{version} program of {len(program)} bytes")
    return str(text)


def address_text(
    script_type: ScriptType | int, payload: bytes, network: Network = MAINNET
) -> str | None:
    """The text of an address, or None for scripts without one (multisig, OP_RETURN...)."""
    st = ScriptType(script_type)
    if st in (ScriptType.P2PKH, ScriptType.P2PK):
        key_hash = hash160(payload) if st is ScriptType.P2PK else payload
        return str(base58.b58encode_check(bytes([network.p2pkh_version]) + key_hash).decode())
    if st is ScriptType.P2SH:
        return str(base58.b58encode_check(bytes([network.p2sh_version]) + payload).decode())
    if st in (ScriptType.P2WPKH, ScriptType.P2WSH):
        return _segwit(network, 0, payload)
    if st is ScriptType.P2TR:
        return _segwit(network, 1, payload)
    if st in (ScriptType.WITNESS_UNKNOWN, ScriptType.ANCHOR):
        return _segwit(network, payload[0] - 0x50, payload[2:])
    return None


def parse_address(text: str, network: Network = MAINNET) -> tuple[ScriptType, bytes]:
    """Turn address text into (script type, payload); raise Invalid naming the text.

    Base58 P2PKH text maps to P2PKH; the store also finds P2PK outputs of the same key.
    """
    text = text.strip()
    if text.lower().startswith(network.hrp + "1"):
        try:
            version, program = bech32m.decode(network.hrp, text)
        except DecodeError:
            version, program = None, None
        if version is None or program is None:
            raise Invalid(f"address {text!r}: bad bech32/bech32m checksum or length")
        prog = bytes(program)
        if version == 0:
            return (ScriptType.P2WPKH if len(prog) == 20 else ScriptType.P2WSH), prog
        if version == 1 and len(prog) == 32:
            return ScriptType.P2TR, prog
        script = bytes([0x50 + version, len(prog)]) + prog
        anchor = version == 1 and prog == b"\x4e\x73"
        return (ScriptType.ANCHOR if anchor else ScriptType.WITNESS_UNKNOWN), script
    try:
        raw = base58.b58decode_check(text)
    except ValueError as exc:
        raise Invalid(f"address {text!r}: not a valid base58check or bech32 address") from exc
    if len(raw) == 21 and raw[0] == network.p2pkh_version:
        return ScriptType.P2PKH, raw[1:]
    if len(raw) == 21 and raw[0] == network.p2sh_version:
        return ScriptType.P2SH, raw[1:]
    raise Invalid(f"address {text!r}: not a {network.name} P2PKH or P2SH address")
