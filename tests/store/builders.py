"""Small canonical ChainBatches from compact descriptions, for the store tests.

A UTXO transaction is ``T(name, ins, outs)``: ``ins`` lists ``(tx name, vout)`` outpoints
(empty: coinbase), ``outs`` lists ``(value, (script_type, payload))``. Txids and block
hashes are SHA-256 of their names, so every test sees the same ids.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

import pyarrow as pa

from chainsleuth.chain.address import hash160
from chainsleuth.chain.amounts import MAX_DECIMAL
from chainsleuth.chain.batch import ChainBatch
from chainsleuth.chain.schema import ACCOUNT_TABLES, UTXO_TABLES

Script = tuple[int, bytes]


def sha(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def txid(name: str) -> bytes:
    return sha("tx:" + name)


def block_hash(height: int, fork: str = "a") -> bytes:
    return sha(f"block:{fork}:{height}")


def pubkey(n: int) -> bytes:
    return b"\x02" + sha(f"key{n}")


def p2pk(n: int) -> Script:
    return (1, pubkey(n))


def p2pkh(n: int) -> Script:
    """The P2PKH address of key ``n`` (the same address as ``p2pk(n)``)."""
    return (2, hash160(pubkey(n)))


def p2sh(n: int) -> Script:
    return (3, sha(f"sh{n}")[:20])


def op_return(data: bytes = b"hello") -> Script:
    return (5, b"\x6a" + bytes([len(data)]) + data)


@dataclass
class T:
    name: str
    ins: list[tuple[str, int]]
    outs: list[tuple[int, Script]]
    # index -> (prev_value, prev address key (type, payload)) the source supplies
    source: dict[int, tuple[int, Script | None]] = field(default_factory=dict)


def utxo_batch(
    blocks: list[tuple[int, list[T]]], fork: str = "a", forks_below: dict[int, str] | None = None
) -> ChainBatch:
    """Blocks ``(height, txs)``; block hashes from ``fork``; parents from ``forks_below``."""
    parents = forks_below or {}
    rows: dict[str, list[dict[str, object]]] = {k: [] for k in UTXO_TABLES}
    for height, txs in blocks:
        h = block_hash(height, fork)
        rows["blocks"].append(
            {
                "height": height,
                "hash": h,
                "prev_hash": block_hash(height - 1, parents.get(height - 1, fork)),
                "merkle_root": sha(f"merkle{height}{fork}"),
                "time": datetime(2020, 1, 1, tzinfo=UTC),
                "version": 1,
                "bits": 0,
                "nonce": 0,
                "size": 100,
                "weight": 400,
                "tx_count": len(txs),
                "coinbase_script": b"\x01",
            }
        )
        for i, t in enumerate(txs):
            _tx_rows(rows, height, h, i, t)
    tables = {k: pa.Table.from_pylist(v, schema=UTXO_TABLES[k]) for k, v in rows.items()}
    return ChainBatch("utxo", tables, "builders")


def _tx_rows(
    rows: dict[str, list[dict[str, object]]], height: int, bh: bytes, i: int, t: T
) -> None:
    tid = txid(t.name)
    coinbase = not t.ins
    rows["transactions"].append(
        {
            "txid": tid,
            "height": height,
            "block_hash": bh,
            "index": i,
            "version": 1,
            "locktime": 0,
            "size": 200,
            "vsize": 200,
            "is_coinbase": coinbase,
            "has_witness": False,
            "input_count": max(len(t.ins), 1),
            "output_count": len(t.outs),
            "output_value": sum(v for v, _ in t.outs),
        }
    )
    ins = t.ins or [("", 0xFFFFFFFF)]
    for j, (prev, vout) in enumerate(ins):
        value, key = t.source.get(j, (None, None))
        rows["inputs"].append(
            {
                "txid": tid,
                "height": height,
                "index": j,
                "prev_txid": txid(prev) if prev else b"\x00" * 32,
                "prev_vout": vout,
                "sequence": 0xFFFFFFFF,
                "prev_value": value,
                "prev_address_type": key[0] if key else None,
                "prev_address": key[1] if key else None,
            }
        )
    for vout, (value, (st, payload)) in enumerate(t.outs):
        rows["outputs"].append(
            {
                "txid": tid,
                "height": height,
                "vout": vout,
                "value": value,
                "script_type": st,
                "payload": payload,
            }
        )


def coinbase(name: str, value: int, script: Script) -> T:
    return T(name, [], [(value, script)])


def evm(n: int) -> bytes:
    return sha(f"evm{n}")[:20]


def account_batch(
    blocks: list[int],
    txs: list[dict[str, object]],
    traces: list[dict[str, object]] | None = None,
    tokens: list[dict[str, object]] | None = None,
    fork: str = "a",
) -> ChainBatch:
    """Account blocks by number; ``txs`` rows give hash name, block, from, to, value."""
    per_block = {n: [t for t in txs if t["block"] == n] for n in blocks}
    brows = [
        {
            "number": n,
            "hash": block_hash(n, fork),
            "parent_hash": block_hash(n - 1, fork),
            "time": datetime(2021, 1, 1, tzinfo=UTC),
            "miner": evm(0),
            "size": 1,
            "gas_limit": 1,
            "gas_used": 1,
            "base_fee_per_gas": None,
            "transaction_count": len(per_block[n]),
        }
        for n in blocks
    ]
    trows = []
    for n in blocks:
        for i, t in enumerate(per_block[n]):
            trows.append(
                {
                    "hash": txid(str(t["name"])),
                    "block_number": n,
                    "block_hash": block_hash(n, fork),
                    "transaction_index": i,
                    "time": datetime(2021, 1, 1, tzinfo=UTC),
                    "from_address": t["from"],
                    "to_address": t["to"],
                    "value": Decimal(int(t["value"])),
                    "nonce": 0,
                    "gas": 21000,
                    "gas_price": None,
                    "method_id": b"",
                    "transaction_type": 2,
                    "receipt_status": t.get("status", 1),
                    "receipt_gas_used": 21000,
                    "receipt_contract_address": None,
                }
            )
    tx_table = pa.Table.from_pylist(trows, schema=ACCOUNT_TABLES["transactions"])
    tr = pa.Table.from_pylist(
        [
            {
                "block_number": r["block"],
                "transaction_hash": txid(str(r["tx"])) if r.get("tx") else None,
                "transaction_index": 0,
                "trace_address": r.get("path", "0"),
                "from_address": r["from"],
                "to_address": r["to"],
                "value": Decimal(int(r["value"])),
                "trace_type": "call",
                "call_type": "call",
                "reward_type": None,
                "status": 1,
                "error": None,
            }
            for r in traces or []
        ],
        schema=ACCOUNT_TABLES["traces"],
    )
    tok = pa.Table.from_pylist(
        [
            {
                "token_address": r["token"],
                "from_address": r["from"],
                "to_address": r["to"],
                "value": _dec(int(r["value"])),
                "value_overflow": _over(int(r["value"])),
                "transaction_hash": txid(str(r["tx"])),
                "log_index": i,
                "block_number": r["block"],
            }
            for i, r in enumerate(tokens or [])
        ],
        schema=ACCOUNT_TABLES["token_transfers"],
    )
    tables = {
        "blocks": pa.Table.from_pylist(brows, schema=ACCOUNT_TABLES["blocks"]),
        "transactions": tx_table,
        "traces": tr,
        "token_transfers": tok,
    }
    return ChainBatch("account", tables, "builders")


def _dec(v: int) -> Decimal | None:
    return Decimal(v) if v <= MAX_DECIMAL else None


def _over(v: int) -> bytes | None:
    return None if v <= MAX_DECIMAL else v.to_bytes(32, "big")
