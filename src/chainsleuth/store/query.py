"""Read models over the catalog views: blocks, transactions, addresses."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import duckdb
from eth_utils.address import to_checksum_address

from chainsleuth.chain.address import MAINNET, NETWORKS, address_text, parse_address
from chainsleuth.chain.script import ScriptType
from chainsleuth.errors import Invalid, NotFound
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


def _rows(con: Con, sql: str, params: list[Any]) -> list[dict[str, Any]]:
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


def block(con: Con, chain: str, family: str, ref: int | str) -> BlockInfo:
    num = "height" if family == "utxo" else "number"
    prev = "prev_hash" if family == "utxo" else "parent_hash"
    if isinstance(ref, int):
        rows = _rows(con, f"SELECT * FROM {chain}_blocks WHERE {num} = ?", [ref])
    else:
        rows = _rows(con, f"SELECT * FROM {chain}_blocks WHERE hash = ?", [_hash(ref, "block")])
    if not rows:
        raise NotFound(f"chain {chain!r}: no block {ref}")
    b = rows[0]
    id_col, order = ("txid", "index") if family == "utxo" else ("hash", "transaction_index")
    tx_sql = f"SELECT {id_col} FROM {chain}_transactions WHERE block_hash = ? ORDER BY {order}"
    txids = [r[0].hex() for r in con.execute(tx_sql, [b["hash"]]).fetchall()]
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


def transaction(con: Con, chain: str, network: str, txid: str) -> TransactionInfo:
    rows = _rows(
        con,
        f"SELECT * FROM {chain}_transactions WHERE txid = ? ORDER BY tx_id LIMIT 1",
        [_hash(txid, "transaction")],
    )
    if not rows:
        raise NotFound(f"chain {chain!r}: no transaction {txid}")
    t = rows[0]
    ins = _rows(
        con,
        f"""SELECT i.*, a.script_type AS a_type, a.payload AS a_payload
        FROM {chain}_inputs i LEFT JOIN {chain}_addresses a ON a.addr_id = i.addr_id
        WHERE i.tx_id = ? ORDER BY i.index""",
        [t["tx_id"]],
    )
    outs = _rows(
        con,
        f"""SELECT o.*, s.txid AS spent_by, a.script_type AS a_type,
            a.payload AS a_payload
        FROM {chain}_outputs o
        LEFT JOIN {chain}_addresses a ON a.addr_id = o.addr_id
        LEFT JOIN (SELECT i.prev_out, min(t.txid) AS txid FROM {chain}_inputs i
                   JOIN {chain}_transactions t ON t.tx_id = i.tx_id
                   WHERE i.prev_tx_id = ? GROUP BY i.prev_out) s ON s.prev_out = o.out_index
        WHERE o.tx_id = ? ORDER BY o.vout""",
        [t["tx_id"], t["tx_id"]],
    )

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


def account_transaction(con: Con, chain: str, txhash: str) -> AccountTransactionInfo:
    rows = _rows(
        con,
        f"SELECT * FROM {chain}_transactions WHERE hash = ? ORDER BY tx_id LIMIT 1",
        [_hash(txhash, "transaction")],
    )
    if not rows:
        raise NotFound(f"chain {chain!r}: no transaction {txhash}")
    t = rows[0]
    transfers = [
        Transfer("trace", _evm(r["from_address"]), _evm(r["to_address"]), int(r["value"]))
        for r in _rows(
            con,
            f"SELECT * FROM {chain}_traces WHERE tx_id = ? AND status = 1 ORDER BY trace_address",
            [t["tx_id"]],
        )
    ]
    transfers += [
        Transfer(
            "token",
            _evm(r["from_address"]),
            _evm(r["to_address"]),
            _amount(r["value"], r["value_overflow"]),
            _evm(r["token_address"]),
        )
        for r in _rows(
            con,
            f"SELECT * FROM {chain}_token_transfers WHERE tx_id = ? ORDER BY log_index",
            [t["tx_id"]],
        )
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


def utxo_address_id(con: Con, chain: str, network: str, ref: str | bytes) -> tuple[int, bytes]:
    """(addr_id, key) of address text or a raw address key."""
    if isinstance(ref, str):
        st, payload = parse_address(ref, NETWORKS.get(network, MAINNET))
        key = bytes([st]) + payload
    else:
        key = ref
    rows = con.execute(
        f"SELECT addr_id FROM {chain}_addresses WHERE script_type = ? AND payload = ?",
        [key[0], key[1:]],
    ).fetchall()
    if not rows:
        raise NotFound(f"chain {chain!r}: address {ref!r} not seen")
    return int(rows[0][0]), key


def utxo_address(
    con: Con, chain: str, network: str, ref: str | bytes, *, limit: int, offset: int
) -> AddressInfo:
    addr_id, key = utxo_address_id(con, chain, network, ref)
    per_tx = f"""WITH r AS (SELECT tx_id, sum(value) AS v FROM {chain}_outputs
                  WHERE addr_id = $a GROUP BY tx_id),
             s AS (SELECT tx_id, sum(value) AS v FROM {chain}_inputs
                  WHERE addr_id = $a AND resolution IN (1, 2) GROUP BY tx_id),
             m AS (SELECT coalesce(r.tx_id, s.tx_id) AS tx_id, coalesce(r.v, 0) AS recv,
                   coalesce(s.v, 0) AS sent FROM r FULL OUTER JOIN s ON r.tx_id = s.tx_id)
        SELECT m.*, t.txid, t.height FROM m JOIN {chain}_transactions t ON t.tx_id = m.tx_id"""
    totals = con.execute(
        f"SELECT sum(recv), sum(sent), count(*), min(height), max(height) FROM ({per_tx})",
        {"a": addr_id},
    ).fetchone()
    assert totals is not None
    rows = con.execute(
        f"{per_tx} ORDER BY t.height DESC, m.tx_id DESC LIMIT $l OFFSET $o",
        {"a": addr_id, "l": limit, "o": offset},
    ).fetchall()
    recv, sent = int(totals[0] or 0), int(totals[1] or 0)
    txs = [AddressTx(r[3].hex(), r[4], int(r[1]), int(r[2])) for r in rows]
    return AddressInfo(
        chain,
        utxo_text(key[0], key[1:], network),
        key.hex(),
        addr_id,
        recv,
        sent,
        recv - sent,
        int(totals[2]),
        totals[3],
        totals[4],
        txs,
    )


def account_address(
    con: Con, chain: str, ref: str | bytes, *, limit: int, offset: int
) -> AddressInfo:
    raw = ref if isinstance(ref, bytes) else bytes.fromhex(ref.removeprefix("0x"))
    rows = con.execute(f"SELECT addr_id FROM {chain}_addresses WHERE address = ?", [raw]).fetchall()
    if not rows:
        raise NotFound(f"chain {chain!r}: address {ref!r} not seen")
    a = int(rows[0][0])
    # ether moves by successful transactions and by internal/reward traces (a root trace
    # repeats its transaction, so it is left out)
    moves = f"""SELECT tx_id, block_number, from_id, to_id, value FROM {chain}_transactions
            WHERE receipt_status IS DISTINCT FROM 0 AND (from_id = $a OR to_id = $a)
        UNION ALL SELECT tx_id, block_number, from_id, to_id, value FROM {chain}_traces
            WHERE status = 1 AND (transaction_hash IS NULL OR trace_address <> '')
            AND (from_id = $a OR to_id = $a)"""
    per_tx = f"""WITH e AS ({moves}),
        tok AS (SELECT tx_id, block_number FROM {chain}_token_transfers
            WHERE from_id = $a OR to_id = $a),
        all_tx AS (SELECT tx_id, block_number FROM e UNION SELECT * FROM tok)
        SELECT x.tx_id, max(x.block_number) AS height,
            CAST(coalesce(sum(CASE WHEN e.to_id = $a THEN e.value END), 0) AS VARCHAR) AS recv,
            CAST(coalesce(sum(CASE WHEN e.from_id = $a THEN e.value END), 0) AS VARCHAR) AS sent
        FROM all_tx x LEFT JOIN e ON e.tx_id IS NOT DISTINCT FROM x.tx_id
        GROUP BY x.tx_id"""
    allrows = con.execute(
        f"SELECT p.*, t.hash FROM ({per_tx}) p LEFT JOIN {chain}_transactions t "
        "ON t.tx_id = p.tx_id ORDER BY height DESC, p.tx_id DESC",
        {"a": a},
    ).fetchall()
    recv = sum(int(r[2]) for r in allrows)
    sent = sum(int(r[3]) for r in allrows)
    txs = [
        AddressTx(r[4].hex() if r[4] else "", r[1], int(r[2]), int(r[3]))
        for r in allrows[offset : offset + limit]
    ]
    heights = [r[1] for r in allrows]
    return AddressInfo(
        chain,
        str(to_checksum_address(raw)),
        raw.hex(),
        a,
        recv,
        sent,
        recv - sent,
        len(allrows),
        min(heights, default=None),
        max(heights, default=None),
        txs,
        _token_sums(con, chain, a),
    )


def _token_sums(con: Con, chain: str, a: int) -> list[TokenSum]:
    sums: dict[bytes, list[int]] = {}
    rows = con.execute(
        f"SELECT token_address, from_id, to_id, value, value_overflow "
        f"FROM {chain}_token_transfers WHERE from_id = $a OR to_id = $a",
        {"a": a},
    ).fetchall()
    for token, src, dst, value, over in rows:
        amount = _amount(value, over) or 0
        acc = sums.setdefault(token, [0, 0])
        if dst == a:
            acc[0] += amount
        if src == a:
            acc[1] += amount
    return [TokenSum(str(to_checksum_address(t)), r, s) for t, (r, s) in sorted(sums.items())]


def address_labels(
    con: Con, chain: str, family: str, network: str, ids: list[int]
) -> dict[int, str]:
    """Display text per addr_id: base58/bech32 (``type:hex`` without text) or EIP-55 hex."""
    if not ids:
        return {}
    if family == "utxo":
        rows = con.execute(
            f"SELECT addr_id, script_type, payload FROM {chain}_addresses "
            "WHERE addr_id IN (SELECT unnest(?))",
            [ids],
        ).fetchall()
        return {int(a): utxo_text(st, p, network) for a, st, p in rows}
    rows = con.execute(
        f"SELECT addr_id, address FROM {chain}_addresses WHERE addr_id IN (SELECT unnest(?))",
        [ids],
    ).fetchall()
    return {int(a): str(to_checksum_address(raw)) for a, raw in rows}


def tx_hashes(con: Con, chain: str, family: str, ids: list[int]) -> dict[int, str]:
    """Transaction hash (hex) per tx_id."""
    if not ids:
        return {}
    column = "txid" if family == "utxo" else "hash"
    rows = con.execute(
        f"SELECT tx_id, {column} FROM {chain}_transactions WHERE tx_id IN (SELECT unnest(?))",
        [ids],
    ).fetchall()
    return {int(t): bytes(h).hex() for t, h in rows}


def tx_id_of(con: Con, chain: str, family: str, text: str) -> int:
    """The tx_id of a transaction hash (first occurrence, as for the BIP30 duplicates)."""
    column = "txid" if family == "utxo" else "hash"
    row = con.execute(
        f"SELECT min(tx_id) FROM {chain}_transactions WHERE {column} = ?",
        [_hash(text, "transaction")],
    ).fetchone()
    if row is None or row[0] is None:
        raise NotFound(f"chain {chain!r}: transaction {text} not stored")
    return int(row[0])
