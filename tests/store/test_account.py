from __future__ import annotations

from pathlib import Path

from builders import account_batch, evm, txid
from eth_utils import to_checksum_address

from chainsleuth.store import open_store

HUGE = 2**200 + 12345


def test_account_ingest_tokens_and_overflow(store_dir: Path) -> None:
    store = open_store(store_dir)
    wei = 10**30 + 1  # beyond 2**53 and beyond int64
    txs = [
        {"name": "e1", "block": 1, "from": evm(1), "to": evm(2), "value": wei},
        {"name": "e2", "block": 2, "from": evm(2), "to": evm(3), "value": 4},
        {"name": "e3", "block": 2, "from": evm(2), "to": evm(3), "value": 99, "status": 0},
    ]
    traces = [
        {"block": 2, "tx": "e2", "path": "0", "from": evm(3), "to": evm(2), "value": 3},
        {"block": 2, "tx": "e2", "path": "", "from": evm(2), "to": evm(3), "value": 4},
    ]
    tokens = [
        {"block": 2, "tx": "e2", "token": evm(9), "from": evm(1), "to": evm(2), "value": HUGE},
        {"block": 2, "tx": "e2", "token": evm(9), "from": evm(2), "to": evm(3), "value": 5},
    ]
    report = store.ingest(
        [account_batch([1], txs[:1]), account_batch([2], txs[1:], traces, tokens)], chain="eth"
    )
    assert (report.blocks_added, report.txs_added, report.addresses_added) == (2, 3, 4)
    a2 = store.address("eth", "0x" + evm(2).hex())
    assert a2.address == to_checksum_address(evm(2))
    assert (a2.received, a2.sent, a2.balance) == (wei + 3, 4, wei - 1)
    assert a2.tx_count == 2 and (a2.first_seen, a2.last_seen) == (1, 2)
    assert [(t.token, t.received, t.sent) for t in a2.tokens] == [
        (to_checksum_address(evm(9)), HUGE, 5)
    ]
    js = a2.to_json()
    assert js["received"] == str(wei + 3) and js["tokens"][0]["received"] == str(HUGE)
    tx = store.transaction("eth", txid("e2").hex())
    assert [t.kind for t in tx.transfers] == ["trace", "trace", "token", "token"]
    assert tx.transfers[2].value == HUGE
    assert store.block("eth", 2).txids == [txid("e2").hex(), txid("e3").hex()]
    with store.connect() as con:
        rows = con.execute(
            "SELECT token_id, from_id, to_id, value IS NULL, tx_id "
            "FROM eth_token_transfers ORDER BY log_index"
        ).fetchall()
    assert rows == [(3, 0, 1, True, 1), (3, 1, 2, False, 1)]
    again = store.ingest([account_batch([1, 2], txs, traces, tokens)], chain="eth")
    assert again.blocks_skipped == 2 and again.blocks_added == 0
