"""Script classification against Bitcoin Core's templates, edge cases included."""

from __future__ import annotations

import pytest

from chainsleuth.chain.script import ScriptType, classify_many

H20 = "751e76e8199196d454941c45d1b3a323f1433bd6"
H32 = "1863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262"
KEY33 = "02" + "11" * 32
KEY65 = "04" + "22" * 64

CASES = [
    ("76a914" + H20 + "88ac", ScriptType.P2PKH, H20),
    ("a914" + H20 + "87", ScriptType.P2SH, H20),
    ("0014" + H20, ScriptType.P2WPKH, H20),
    ("0020" + H32, ScriptType.P2WSH, H32),
    ("5120" + H32, ScriptType.P2TR, H32),
    ("21" + KEY33 + "ac", ScriptType.P2PK, KEY33),
    ("41" + KEY65 + "ac", ScriptType.P2PK, KEY65),
    ("6a", ScriptType.NULLDATA, "6a"),
    ("6a0401020304", ScriptType.NULLDATA, "6a0401020304"),
    ("6a4c0201ff", ScriptType.NULLDATA, "6a4c0201ff"),
    ("51024e73", ScriptType.ANCHOR, "51024e73"),
    ("5210" + H20[:32], ScriptType.WITNESS_UNKNOWN, "5210" + H20[:32]),
    ("6002751e", ScriptType.WITNESS_UNKNOWN, "6002751e"),
]


@pytest.mark.parametrize(("script", "kind", "payload"), CASES)
def test_standard_templates(script: str, kind: ScriptType, payload: str) -> None:
    types, payloads = classify_many([bytes.fromhex(script)])
    assert types == [kind]
    assert payloads[0].hex() == payload


def test_bare_multisig_keeps_the_whole_script() -> None:
    script = "51" + "21" + KEY33 + "41" + KEY65 + "52ae"  # 1-of-2
    types, payloads = classify_many([bytes.fromhex(script)])
    assert types == [ScriptType.MULTISIG]
    assert payloads[0].hex() == script


@pytest.mark.parametrize(
    "script",
    [
        "",  # empty
        "0015" + H20 + "00",  # v0 program of 21 bytes is not a valid witness output
        "6a4c05ffff",  # OP_RETURN with a truncated PUSHDATA1
        "6aac",  # OP_RETURN followed by a non-push opcode
        "21" + "05" + "11" * 32 + "ac",  # P2PK with an invalid key prefix
        "52" + "21" + KEY33 + "51ae",  # multisig with m > n
        "51" + "21" + KEY33 + "52ae",  # multisig claiming 2 keys, holding 1
        "76a914" + H20 + "88ad",  # P2PKH with the wrong final opcode
        "0001ff",  # witness program too short
    ],
)
def test_non_standard(script: str) -> None:
    types, payloads = classify_many([bytes.fromhex(script)])
    assert types == [ScriptType.NONSTANDARD]
    assert payloads[0].hex() == script


def test_batch_keeps_order_and_core_names() -> None:
    scripts = [bytes.fromhex(s) for s, _, _ in CASES]
    types, _ = classify_many(scripts)
    assert types == [k for _, k, _ in CASES]
    assert ScriptType.P2WPKH.core_name == "witness_v0_keyhash"
    assert ScriptType.from_core_name("pubkey") is ScriptType.P2PK
    assert classify_many([]) == ([], [])
