"""The compiled address text encoder against the maintained base58/bech32 libraries."""

from __future__ import annotations

import numpy as np
import pytest

from chainsleuth.chain.address import NETWORKS, address_text
from chainsleuth.chain.address_array import address_text_array, key_texts
from chainsleuth.chain.script import ScriptType

KINDS = [ScriptType.P2PKH, ScriptType.P2SH, ScriptType.P2WPKH, ScriptType.P2WSH, ScriptType.P2TR]
SHORT = {ScriptType.P2PKH, ScriptType.P2SH, ScriptType.P2WPKH}


@pytest.mark.parametrize("network", sorted(NETWORKS))
def test_every_kind_matches_the_libraries(network: str) -> None:
    rng = np.random.default_rng(7)
    types = np.repeat(np.array(KINDS, np.uint8), 60)
    payload = rng.integers(0, 256, (len(types), 32), dtype=np.uint8)
    payload[::7, :2] = 0  # leading zero bytes: base58 keeps them as '1's after the version
    payload[::11] = 0
    got = address_text_array(types, payload, NETWORKS[network]).to_pylist()
    want = [
        address_text(int(t), bytes(p[:20] if t in SHORT else p), NETWORKS[network])
        for t, p in zip(types, payload, strict=True)
    ]
    assert got == want


def test_known_mainnet_addresses() -> None:
    # BIP173's P2WPKH example and the P2PKH address of the genesis coinbase key's hash160
    wpkh = bytes.fromhex("751e76e8199196d454941c45d1b3a323f1433bd6")
    genesis = bytes.fromhex("62e907b15cbf27d5425399ebf6f0fb50ebb88f18")
    payload = np.zeros((2, 32), np.uint8)
    payload[0, :20], payload[1, :20] = list(wpkh), list(genesis)
    types = np.array([ScriptType.P2WPKH, ScriptType.P2PKH], np.uint8)
    assert address_text_array(types, payload, NETWORKS["mainnet"]).to_pylist() == [
        "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
        "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
    ]


def test_empty_and_unknown_types() -> None:
    regtest = NETWORKS["regtest"]
    assert len(address_text_array(np.zeros(0, np.uint8), np.zeros((0, 32), np.uint8), regtest)) == 0
    with pytest.raises(ValueError, match="without base58 or bech32"):
        address_text_array(np.array([ScriptType.MULTISIG], np.uint8), np.zeros((1, 32)), regtest)


def test_key_texts_match_the_libraries_and_leave_the_rest() -> None:
    rng = np.random.default_rng(3)
    keys = [bytes([t]) + rng.bytes(20 if t in SHORT else 32) for t in KINDS for _ in range(5)]
    net = NETWORKS["mainnet"]
    want = [address_text(k[0], k[1:], net) for k in keys]
    multisig = bytes([ScriptType.MULTISIG]) + rng.bytes(40)
    odd = bytes([ScriptType.P2PKH]) + rng.bytes(19)  # wrong length for its type
    assert key_texts([*keys, multisig, odd, b""], net) == [*want, None, None, None]
