"""Account-chain address histories: the same with a current, stale or missing graph index."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from builders import account_batch, evm, txid
from eth_utils import to_checksum_address

from chainsleuth.chain.batch import ChainBatch
from chainsleuth.store import ChainStore, open_store

HUGE = 2**200 + 12345  # beyond decimal128: kept as overflow bytes, and beyond the index's 128 bits
WEI = 10**30 + 1

TXS: list[dict[str, object]] = [
    {"name": "a", "block": 1, "from": evm(1), "to": evm(2), "value": WEI},
    {"name": "b", "block": 2, "from": evm(2), "to": evm(3), "value": 4},
    {"name": "c", "block": 2, "from": evm(2), "to": evm(3), "value": 99, "status": 0},
    {"name": "d", "block": 3, "from": evm(3), "to": evm(3), "value": 7},  # to itself
    {"name": "e", "block": 4, "from": evm(4), "to": evm(2), "value": 0},  # a call, no value
]
TRACES: list[dict[str, object]] = [
    {"block": 2, "tx": "b", "path": "", "from": evm(2), "to": evm(3), "value": 4},  # root
    {"block": 2, "tx": "b", "path": "0", "from": evm(3), "to": evm(2), "value": 3},
    {"block": 3, "tx": "d", "path": "0", "from": evm(3), "to": evm(5), "value": 0},  # no value
    {"block": 3, "from": evm(0), "to": evm(3), "value": 2 * 10**18},  # block reward
    {"block": 4, "from": evm(0), "to": evm(3), "value": 2 * 10**18},
]
TOKENS: list[dict[str, object]] = [
    {"block": 2, "tx": "b", "token": evm(9), "from": evm(1), "to": evm(2), "value": 10**20},
    {"block": 3, "tx": "d", "token": evm(8), "from": evm(3), "to": evm(2), "value": 5},
    {"block": 4, "tx": "e", "token": evm(9), "from": evm(2), "to": evm(6), "value": 6},
]


def _batch(blocks: list[int], tokens: list[dict[str, object]] = TOKENS) -> ChainBatch:
    pick = [t for t in TXS if t["block"] in blocks]
    return account_batch(
        blocks,
        pick,
        [t for t in TRACES if t["block"] in blocks],
        [t for t in tokens if t["block"] in blocks],
    )


def _store(path: Path, steps: list[list[ChainBatch] | str]) -> ChainStore:
    store = open_store(path)
    for step in steps:
        if step == "index":
            store.build_index("eth")
        else:
            store.ingest(step, chain="eth")
    return store


def _answers(store: ChainStore) -> dict[int, Any]:
    return {
        n: [store.address("eth", evm(n), limit=2, offset=o).to_json() for o in (0, 2)]
        for n in (0, 1, 2, 3, 4, 5, 6, 8, 9)  # evm(7) takes no part
    }


def test_same_history_with_current_stale_and_no_index(tmp_path: Path) -> None:
    early, late = [_batch([1]), _batch([2])], [_batch([3]), _batch([4])]
    plain = _answers(_store(tmp_path / "none", [early, late]))
    assert _answers(_store(tmp_path / "current", [early, late, "index"])) == plain
    assert _answers(_store(tmp_path / "stale", [early, "index", late])) == plain
    three = plain[3][0]
    # received: b 4, d 7 (to itself), rewards 2 ETH twice; sent: d 7, b's trace 3; c failed, the
    # zero-value trace of d and the root trace of b move nothing
    assert (int(three["received"]), int(three["sent"])) == (4 + 7 + 4 * 10**18, 7 + 3)
    assert three["tx_count"] == 4  # b, d, and the rewards of blocks 3 and 4
    assert [(t["txid"], t["height"]) for t in three["txs"]] == [("", 4), ("", 3)]
    assert [(t["txid"], t["height"]) for t in plain[3][1]["txs"]] == [
        (txid("d").hex(), 3),
        (txid("b").hex(), 2),
    ]
    two = plain[2][0]
    assert (int(two["received"]), int(two["sent"])) == (WEI + 3, 4)
    assert two["tx_count"] == 4  # a, b, d (a token) and e (a value-less call; a token out)
    tokens = {t["token"]: (int(t["received"]), int(t["sent"])) for t in two["tokens"]}
    assert tokens == {
        to_checksum_address(evm(9)): (10**20, 6),
        to_checksum_address(evm(8)): (5, 0),
    }


def test_token_amounts_beyond_128_bits(tmp_path: Path) -> None:
    """The index keeps 128 bits of a value: such an address is read from the partitions."""
    huge = [dict(TOKENS[0], value=HUGE), *TOKENS[1:]]
    batches = [_batch([1], huge), _batch([2, 3, 4], huge)]
    indexed = _answers(_store(tmp_path / "indexed", [batches, "index"]))
    assert indexed == _answers(_store(tmp_path / "plain", [batches]))
    (nine,) = [t for t in indexed[2][0]["tokens"] if t["token"] == to_checksum_address(evm(9))]
    assert int(nine["received"]) == HUGE
