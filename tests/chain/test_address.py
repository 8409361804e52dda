"""Address text: BIP173/BIP350 vectors, base58check, P2PK folding, bad input."""

from __future__ import annotations

import pytest

from chainsleuth.chain.address import (
    NETWORKS,
    address_key,
    address_text,
    hash160,
    parse_address,
)
from chainsleuth.chain.script import ScriptType, classify_many
from chainsleuth.errors import Invalid

GENESIS_KEY = bytes.fromhex(
    "04678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb6"
    "49f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5f"
)

# (script hex, address) from BIP173 / BIP350 and the genesis block
VECTORS = [
    ("0014751e76e8199196d454941c45d1b3a323f1433bd6", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"),
    (
        "00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262",
        "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3",
    ),
    (
        "512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798",
        "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
    ),
    ("6002751e", "bc1sw50qgdz25j"),
    ("5210751e76e8199196d454941c45d1b3a323", "bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs"),
    ("76a91462e907b15cbf27d5425399ebf6f0fb50ebb88f1888ac", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"),
]


@pytest.mark.parametrize(("script", "text"), VECTORS)
def test_text_round_trip(script: str, text: str) -> None:
    (kind,), (payload,) = classify_many([bytes.fromhex(script)])
    assert address_text(kind, payload) == text
    assert parse_address(text) == (kind, payload)
    assert parse_address(text.upper() if text.startswith("bc1") else text) == (kind, payload)


def test_p2pk_shows_and_folds_as_p2pkh_of_its_key() -> None:
    assert address_text(ScriptType.P2PK, GENESIS_KEY) == "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"
    assert address_key(ScriptType.P2PK, GENESIS_KEY) == (ScriptType.P2PKH, hash160(GENESIS_KEY))
    assert address_key(ScriptType.NULLDATA, b"\x6a") is None
    assert address_key(ScriptType.MULTISIG, b"\x51") == (ScriptType.MULTISIG, b"\x51")


def test_p2sh_and_testnet_versions() -> None:
    h = bytes(range(20))
    main = address_text(ScriptType.P2SH, h)
    assert main is not None and main.startswith("3")
    assert parse_address(main) == (ScriptType.P2SH, h)
    testnet = NETWORKS["testnet"]
    tb = address_text(ScriptType.P2WPKH, h, testnet)
    assert tb is not None and tb.startswith("tb1q")
    assert parse_address(tb, testnet) == (ScriptType.P2WPKH, h)


def test_no_text_for_scripts_without_address() -> None:
    assert address_text(ScriptType.MULTISIG, b"\x51\xae") is None
    assert address_text(ScriptType.NONSTANDARD, b"\x00") is None


@pytest.mark.parametrize(
    "bad",
    [
        "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb",  # checksum broken
        "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5",  # bech32 checksum broken
        "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd",  # bech32 used for v1
        "hello",
    ],
)
def test_bad_text_names_the_address(bad: str) -> None:
    with pytest.raises(Invalid, match=bad[:10]):
        parse_address(bad)
