"""Read models the store returns: frozen dataclasses of plain fields.

Hashes are hex strings in display order, amounts ints (``to_json`` turns ints beyond
2**53 into exact strings), times ISO-8601 UTC text, addresses display text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chainsleuth.store.reports import JsonModel


@dataclass(frozen=True)
class BlockInfo(JsonModel):
    chain: str
    height: int
    hash: str
    prev_hash: str | None  # None: the source did not say (bitcoin-etl exports)
    time: str
    tx_count: int
    txids: list[str]
    header: dict[str, Any] = field(default_factory=dict)  # the family's other header fields


@dataclass(frozen=True)
class TxInput(JsonModel):
    index: int
    prev_txid: str
    prev_vout: int
    value: int | None
    address: str | None
    address_key: str | None  # hex of script-type byte + payload
    resolution: str  # unresolved, store, source, coinbase


@dataclass(frozen=True)
class TxOutput(JsonModel):
    vout: int
    value: int
    script_type: str
    address: str | None
    address_key: str | None
    spent_by: str | None  # txid of the spending transaction, when stored


@dataclass(frozen=True)
class TransactionInfo(JsonModel):
    chain: str
    txid: str
    height: int
    block_hash: str
    index: int
    is_coinbase: bool
    size: int
    vsize: int
    input_value: int | None
    output_value: int
    fee: int | None
    inputs: list[TxInput]
    outputs: list[TxOutput]


@dataclass(frozen=True)
class Transfer(JsonModel):
    kind: str  # transaction, trace, token
    from_address: str | None
    to_address: str | None
    value: int | None
    token: str | None = None


@dataclass(frozen=True)
class AccountTransactionInfo(JsonModel):
    chain: str
    hash: str
    block_number: int
    index: int
    from_address: str
    to_address: str | None
    value: int
    status: int | None
    transfers: list[Transfer]


@dataclass(frozen=True)
class AddressTx(JsonModel):
    txid: str
    height: int
    received: int
    sent: int


@dataclass(frozen=True)
class TokenSum(JsonModel):
    token: str
    received: int
    sent: int


@dataclass(frozen=True)
class AddressInfo(JsonModel):
    chain: str
    address: str
    address_key: str
    addr_id: int
    received: int
    sent: int
    balance: int
    tx_count: int
    first_seen: int | None
    last_seen: int | None
    txs: list[AddressTx]
    tokens: list[TokenSum] = field(default_factory=list)
