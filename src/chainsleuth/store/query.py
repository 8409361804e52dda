"""Read models over the catalog views: blocks, transactions, addresses."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import duckdb
import numpy as np
from eth_utils.address import to_checksum_address

from chainsleuth.chain.address import MAINNET, NETWORKS, address_text, parse_address
from chainsleuth.chain.address_array import key_texts
from chainsleuth.chain.script import ScriptType
from chainsleuth.errors import Invalid, NotFound
from chainsleuth.store.account_history import address_edges, per_transaction, to_int, token_sums
from chainsleuth.store.history import address_history, spent_by
from chainsleuth.store.keys import NO_ID
from chainsleuth.store.lookup import Lookup
from chainsleuth.store.manifest import BatchRecord
from chainsleuth.store.models import (
    AccountTransactionInfo,
    AddressInfo,
    AddressTx,
    BlockInfo,
    TokenSum,
    TransactionInfo,
    Transfer,
    TxInput,
    TxOutput,
)
from chainsleuth.store.resolve import Resolution

Con = duckdb.DuckDBPyConnection


def _rows(con: Con, sql: str, params: list[Any] | dict[str, Any]) -> list[dict[str, Any]]:
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _hex(value: bytes | None) -> str | None:
    return None if value is None else value.hex()


def utxo_text(script_type: int, payload: bytes, network: str) -> str:
    """Display text of a UTXO address key; scripts without text show as ``type:hex``."""
    text = address_text(script_type, payload, NETWORKS.get(network, MAINNET))
    return text or f"{ScriptType(script_type).core_name}:{payload.hex()}"


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, Decimal):
        return int(value)
    return value


def _hash(text: str, what: str) -> bytes:
    try:
        raw = bytes.fromhex(text.removeprefix("0x"))
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise Invalid(f"{what} {text!r}: expected 64 hex digits")
    return raw


def block(con: Con, lk: Lookup, chain: str, family: str, ref: int | str) -> BlockInfo:
    num = "height" if family == "utxo" else "number"
    prev = "prev_hash" if family == "utxo" else "parent_hash"
    value: int | bytes
    if isinstance(ref, int):
        held = [x for x in lk.entry["batches"] if x["min_height"] <= ref <= x["max_height"]]
        where, value = f"{num} = $v", ref
    else:
        held, where, value = lk.entry["batches"], "hash = $v", _hash(ref, "block")
    sql = f"SELECT * FROM read_parquet($f) WHERE {where}"
    rows = _rows(con, sql, {"f": lk.files("blocks", held), "v": value}) if held else []
    if not rows:
        raise NotFound(f"chain {chain!r}: no block {ref}")
    b = rows[0]
    id_col, order = ("txid", "index") if family == "utxo" else ("hash", "transaction_index")
    height = int(b[num])
    held = [x for x in lk.entry["batches"] if x["min_height"] <= height <= x["max_height"]]
    tx_sql = f"SELECT {id_col} FROM read_parquet($f) WHERE block_hash = $h ORDER BY {order}"
    params = {"f": lk.files("transactions", held), "h": b["hash"]}
    txids = [r[0].hex() for r in con.execute(tx_sql, params).fetchall()] if held else []
    skip = {num, "hash", prev, "time"}
    header = {k: _plain(v) for k, v in b.items() if k not in skip}
    return BlockInfo(
        chain,
        int(b[num]),
        b["hash"].hex(),
        b[prev].hex() if b[prev] is not None else None,
        b["time"].isoformat(),
        len(txids),
        txids,
        header,
    )


def _tx_batch(lk: Lookup, chain: str, txid: str) -> tuple[int, BatchRecord]:
    tx_id = lk.tx_id(_hash(txid, "transaction"))
    if tx_id is None:
        raise NotFound(f"chain {chain!r}: transaction {txid} not stored")
    return tx_id, lk.batches_of("txs", np.array([tx_id]))[0]


def _of_tx(
    con: Con, lk: Lookup, table: str, batch: BatchRecord, tx_id: int, *, order: str
) -> list[dict[str, Any]]:
    """The rows of ``tx_id`` in ``table``, read from its batch's partition alone."""
    return _rows(
        con,
        f"SELECT * FROM read_parquet($f) WHERE tx_id = $t ORDER BY {order}",
        {"f": lk.files(table, [batch]), "t": tx_id},
    )


def _with_keys(lk: Lookup, rows: list[dict[str, Any]]) -> None:
    """Give each row its address key (``a_type``, ``a_payload``), None where it has none."""
    ids = [r["addr_id"] for r in rows if r["addr_id"] is not None and r["addr_id"] != NO_ID]
    keys = dict(zip(ids, lk.addr_keys(np.array(ids, np.int64)), strict=True))
    for r in rows:
        key = keys.get(r["addr_id"])
        r["a_type"], r["a_payload"] = (key[0], key[1:]) if key else (None, None)


def transaction(con: Con, lk: Lookup, chain: str, network: str, txid: str) -> TransactionInfo:
    tx_id, batch = _tx_batch(lk, chain, txid)
    (t,) = _of_tx(con, lk, "transactions", batch, tx_id, order="tx_id")
    ins = _of_tx(con, lk, "inputs", batch, tx_id, order="index")
    outs = _of_tx(con, lk, "outputs", batch, tx_id, order="vout")
    _with_keys(lk, ins)
    _with_keys(lk, outs)
    spent = spent_by(con, lk, tx_id, [r["out_index"] for r in outs])
    spenders = dict(
        zip(spent.values(), lk.tx_keys(np.array(list(spent.values()), np.int64)), strict=True)
    )
    for r in outs:
        r["spent_by"] = spenders.get(spent.get(r["out_index"], -1))

    def addr(r: dict[str, Any]) -> tuple[str | None, str | None]:
        if r["a_type"] is None:
            return None, None
        return utxo_text(r["a_type"], r["a_payload"], network), bytes([r["a_type"]]).hex() + r[
            "a_payload"
        ].hex()

    inputs = [
        TxInput(
            r["index"],
            r["prev_txid"].hex(),
            r["prev_vout"],
            r["value"],
            *addr(r),
            Resolution(r["resolution"]).name.lower(),
        )
        for r in ins
    ]
    outputs = [
        TxOutput(
            r["vout"],
            r["value"],
            ScriptType(r["script_type"]).core_name,
            *addr(r),
            _hex(r["spent_by"]),
        )
        for r in outs
    ]
    return TransactionInfo(
        chain,
        t["txid"].hex(),
        t["height"],
        t["block_hash"].hex(),
        t["index"],
        t["is_coinbase"],
        t["size"],
        t["vsize"],
        t["input_value"],
        t["output_value"],
        t["fee"],
        inputs,
        outputs,
    )


def account_transaction(con: Con, lk: Lookup, chain: str, txhash: str) -> AccountTransactionInfo:
    tx_id, batch = _tx_batch(lk, chain, txhash)
    (t,) = _of_tx(con, lk, "transactions", batch, tx_id, order="tx_id")
    transfers = [
        Transfer("trace", _evm(r["from_address"]), _evm(r["to_address"]), int(r["value"]))
        for r in _of_tx(con, lk, "traces", batch, tx_id, order="trace_address")
        if r["status"] == 1
    ]
    transfers += [
        Transfer(
            "token",
            _evm(r["from_address"]),
            _evm(r["to_address"]),
            _amount(r["value"], r["value_overflow"]),
            _evm(r["token_address"]),
        )
        for r in _of_tx(con, lk, "token_transfers", batch, tx_id, order="log_index")
    ]
    return AccountTransactionInfo(
        chain,
        t["hash"].hex(),
        t["block_number"],
        t["transaction_index"],
        str(_evm(t["from_address"])),
        _evm(t["to_address"]),
        int(t["value"]),
        t["receipt_status"],
        transfers,
    )


def _evm(raw: bytes | None) -> str | None:
    return None if raw is None else str(to_checksum_address(raw))


def _amount(value: Decimal | None, overflow: bytes | None) -> int | None:
    if value is not None:
        return int(value)
    return None if overflow is None else int.from_bytes(overflow, "big")


def utxo_address_id(lk: Lookup, chain: str, network: str, ref: str | bytes) -> tuple[int, bytes]:
    """(addr_id, key) of address text or a raw address key."""
    if isinstance(ref, str):
        st, payload = parse_address(ref, NETWORKS.get(network, MAINNET))
        key = bytes([st]) + payload
    else:
        key = ref
    addr_id = lk.addr_id(key)
    if addr_id is None:
        raise NotFound(f"chain {chain!r}: address {ref!r} not seen")
    return addr_id, key


def utxo_address(
    con: Con, lk: Lookup, chain: str, network: str, ref: str | bytes, *, limit: int, offset: int
) -> AddressInfo:
    addr_id, key = utxo_address_id(lk, chain, network, ref)
    h = address_history(con, lk, addr_id)
    page = slice(offset, offset + limit)
    txids = lk.tx_keys(h.tx_id[page])
    txs = [
        AddressTx(t.hex(), int(height), int(r), int(s))
        for t, height, r, s in zip(
            txids, h.height[page], h.received[page], h.sent[page], strict=True
        )
    ]
    recv, sent = int(h.received.sum()), int(h.sent.sum())
    return AddressInfo(
        chain,
        utxo_text(key[0], key[1:], network),
        key.hex(),
        addr_id,
        recv,
        sent,
        recv - sent,
        len(h.tx_id),
        int(h.height.min()) if len(h.height) else None,
        int(h.height.max()) if len(h.height) else None,
        txs,
    )


def account_address(
    con: Con, lk: Lookup, chain: str, ref: str | bytes, *, limit: int, offset: int
) -> AddressInfo:
    raw = ref if isinstance(ref, bytes) else bytes.fromhex(ref.removeprefix("0x"))
    a = lk.addr_id(raw)
    if a is None:
        raise NotFound(f"chain {chain!r}: address {ref!r} not seen")
    edges = address_edges(con, lk, a)
    rows = per_transaction(edges)
    page = slice(offset, offset + limit)
    shown = rows.tx[page]
    hashes = dict(zip(shown[shown >= 0].tolist(), lk.tx_keys(shown[shown >= 0]), strict=True))
    txs = [
        AddressTx(hashes[t].hex() if t >= 0 else "", h, to_int(r), to_int(s))
        for t, h, r, s in zip(
            shown.tolist(), rows.height[page].tolist(), rows.received[page], rows.sent[page],
            strict=True,
        )
    ]  # fmt: skip
    recv, sent = to_int(rows.received.sum(axis=0)), to_int(rows.sent.sum(axis=0))
    tokens = token_sums(edges)
    ids = np.array(list(tokens), np.int64)
    by_key = sorted(zip(lk.addr_keys(ids), ids.tolist(), strict=True))  # by contract address
    return AddressInfo(
        chain,
        str(to_checksum_address(raw)),
        raw.hex(),
        a,
        recv,
        sent,
        recv - sent,
        len(rows.tx),
        int(rows.height.min()) if len(rows.height) else None,
        int(rows.height.max()) if len(rows.height) else None,
        txs,
        [TokenSum(str(to_checksum_address(k)), *tokens[t]) for k, t in by_key],
    )


def _known(ids: list[int], count: int) -> np.typing.NDArray[np.int64]:
    arr = np.unique(np.asarray(ids, np.int64))
    return arr[(arr >= 0) & (arr < count)]


def address_labels(lk: Lookup, family: str, network: str, ids: list[int]) -> dict[int, str]:
    """Display text per addr_id: base58/bech32 (``type:hex`` without text) or EIP-55 hex."""
    known = _known(ids, lk.entry["counts"]["addresses"])
    keys = lk.addr_keys(known)
    if family == "utxo":
        texts = key_texts(keys, NETWORKS.get(network, MAINNET))
        return {
            int(a): t or f"{ScriptType(k[0]).core_name}:{k[1:].hex()}"
            for a, k, t in zip(known, keys, texts, strict=True)
        }
    return {int(a): str(to_checksum_address(k)) for a, k in zip(known, keys, strict=True)}


def tx_hashes(lk: Lookup, ids: list[int]) -> dict[int, str]:
    """Transaction hash (hex) per tx_id."""
    known = _known(ids, lk.entry["counts"]["txs"])
    return {int(t): h.hex() for t, h in zip(known, lk.tx_keys(known), strict=True)}


def tx_id_of(lk: Lookup, chain: str, text: str) -> int:
    """The tx_id of a transaction hash (first occurrence, as for the BIP30 duplicates)."""
    return _tx_batch(lk, chain, text)[0]
