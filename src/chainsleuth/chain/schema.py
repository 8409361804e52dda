"""Canonical Arrow schemas every reader emits and the store keeps.

Conventions (docs/formats.md says the same for users):

- Hashes (block hash, txid) are 32 raw bytes in *display* order, the order RPC replies and
  explorers print, so ``h.hex()`` is the familiar text.
- UTXO money is int64 satoshi. Account-chain money is an :data:`AMOUNT` column,
  ``decimal128(38, 0)``, exact for every native-coin value (all ether ever issued is
  < 10**27 wei); token values that do not fit 38 digits keep ``NULL`` there and their exact
  big-endian bytes in the sibling ``<name>_overflow`` column.
- An output keeps ``(script_type, payload)``: the hash or key inside the script, as BlockSci
  does (the whole script for multisig, OP_RETURN and non-standard scripts). Its *address
  key* folds P2PK into P2PKH of the key's hash160, so one key is one address, as
  explorers and bitcoin-etl show it (:func:`chainsleuth.chain.address.address_key`).
  Text (base58/bech32/hex) is made only at the edges.
- Times are UTC timestamps with second resolution.
"""

from __future__ import annotations

import pyarrow as pa

HASH = pa.binary(32)
EVM_ADDRESS = pa.binary(20)
TIME = pa.timestamp("s", tz="UTC")
AMOUNT = pa.decimal128(38, 0)
AMOUNT_OVERFLOW = pa.binary()

UTXO_BLOCKS = pa.schema(
    [
        pa.field("height", pa.int32(), nullable=False),
        pa.field("hash", HASH, nullable=False),
        # null when the source does not say (bitcoin-etl exports carry no parent hash)
        pa.field("prev_hash", HASH, nullable=True),
        pa.field("merkle_root", HASH, nullable=False),
        pa.field("time", TIME, nullable=False),
        pa.field("version", pa.int32(), nullable=False),
        pa.field("bits", pa.uint32(), nullable=False),
        pa.field("nonce", pa.uint32(), nullable=False),
        pa.field("size", pa.int32(), nullable=False),
        pa.field("weight", pa.int32(), nullable=False),
        pa.field("tx_count", pa.int32(), nullable=False),
        pa.field("coinbase_script", pa.binary(), nullable=False),
    ]
)

UTXO_TRANSACTIONS = pa.schema(
    [
        pa.field("txid", HASH, nullable=False),
        pa.field("height", pa.int32(), nullable=False),
        pa.field("block_hash", HASH, nullable=False),
        pa.field("index", pa.int32(), nullable=False),  # position in the block
        pa.field("version", pa.int32(), nullable=False),
        pa.field("locktime", pa.uint32(), nullable=False),
        pa.field("size", pa.int32(), nullable=False),
        pa.field("vsize", pa.int32(), nullable=False),
        pa.field("is_coinbase", pa.bool_(), nullable=False),
        pa.field("has_witness", pa.bool_(), nullable=False),
        pa.field("input_count", pa.int32(), nullable=False),
        pa.field("output_count", pa.int32(), nullable=False),
        pa.field("output_value", pa.int64(), nullable=False),
    ]
)

# One row per input, coinbase inputs included (prev_txid all zero, prev_vout 0xffffffff).
# The prev_* columns describe the spent output when the *source* carries it (bitcoin-etl
# enriched exports, getblock verbosity 3); otherwise they are null and the store resolves
# them from outputs it holds, or leaves the input unresolved. prev_address_* is the
# address key of the spent output (see chainsleuth.chain.address.address_key), null when
# the source does not say or the output has no address.
UTXO_INPUTS = pa.schema(
    [
        pa.field("txid", HASH, nullable=False),
        pa.field("height", pa.int32(), nullable=False),
        pa.field("index", pa.int32(), nullable=False),
        pa.field("prev_txid", HASH, nullable=False),
        pa.field("prev_vout", pa.uint32(), nullable=False),
        pa.field("sequence", pa.uint32(), nullable=False),
        pa.field("prev_value", pa.int64(), nullable=True),
        pa.field("prev_address_type", pa.uint8(), nullable=True),
        pa.field("prev_address", pa.binary(), nullable=True),
    ]
)

UTXO_OUTPUTS = pa.schema(
    [
        pa.field("txid", HASH, nullable=False),
        pa.field("height", pa.int32(), nullable=False),
        pa.field("vout", pa.uint32(), nullable=False),
        pa.field("value", pa.int64(), nullable=False),
        pa.field("script_type", pa.uint8(), nullable=False),
        pa.field("payload", pa.binary(), nullable=False),
    ]
)

ACCOUNT_BLOCKS = pa.schema(
    [
        pa.field("number", pa.int64(), nullable=False),
        pa.field("hash", HASH, nullable=False),
        pa.field("parent_hash", HASH, nullable=False),
        pa.field("time", TIME, nullable=False),
        pa.field("miner", EVM_ADDRESS, nullable=False),
        pa.field("size", pa.int64(), nullable=True),
        pa.field("gas_limit", pa.int64(), nullable=False),
        pa.field("gas_used", pa.int64(), nullable=False),
        pa.field("base_fee_per_gas", AMOUNT, nullable=True),
        pa.field("transaction_count", pa.int32(), nullable=False),
    ]
)

ACCOUNT_TRANSACTIONS = pa.schema(
    [
        pa.field("hash", HASH, nullable=False),
        pa.field("block_number", pa.int64(), nullable=False),
        pa.field("block_hash", HASH, nullable=False),
        pa.field("transaction_index", pa.int32(), nullable=False),
        pa.field("time", TIME, nullable=False),
        pa.field("from_address", EVM_ADDRESS, nullable=False),
        pa.field("to_address", EVM_ADDRESS, nullable=True),  # null: contract creation
        pa.field("value", AMOUNT, nullable=False),
        pa.field("nonce", pa.int64(), nullable=False),
        pa.field("gas", pa.int64(), nullable=False),
        pa.field("gas_price", AMOUNT, nullable=True),
        pa.field("method_id", pa.binary(), nullable=False),  # first 4 input bytes, b"" if none
        pa.field("transaction_type", pa.int8(), nullable=True),
        # receipt fields, null when the source has no receipts
        pa.field("receipt_status", pa.int8(), nullable=True),
        pa.field("receipt_gas_used", pa.int64(), nullable=True),
        pa.field("receipt_contract_address", EVM_ADDRESS, nullable=True),
    ]
)

# Internal value transfers from call traces (Parity trace_block / geth callTracer),
# block and uncle rewards included (transaction_hash null).
ACCOUNT_TRACES = pa.schema(
    [
        pa.field("block_number", pa.int64(), nullable=False),
        pa.field("transaction_hash", HASH, nullable=True),
        pa.field("transaction_index", pa.int32(), nullable=True),
        pa.field("trace_address", pa.string(), nullable=False),  # "0,1" path; "" for the root
        pa.field("from_address", EVM_ADDRESS, nullable=True),
        pa.field("to_address", EVM_ADDRESS, nullable=True),
        # null when the source does not say (old geth callTracer SELFDESTRUCT frames)
        pa.field("value", AMOUNT, nullable=True),
        pa.field("trace_type", pa.string(), nullable=False),  # call, create, suicide, reward
        pa.field("call_type", pa.string(), nullable=True),
        pa.field("reward_type", pa.string(), nullable=True),
        pa.field("status", pa.int8(), nullable=False),  # 1 ok, 0 failed
        pa.field("error", pa.string(), nullable=True),
    ]
)

TOKEN_TRANSFERS = pa.schema(
    [
        pa.field("token_address", EVM_ADDRESS, nullable=False),
        pa.field("from_address", EVM_ADDRESS, nullable=False),
        pa.field("to_address", EVM_ADDRESS, nullable=False),
        pa.field("value", AMOUNT, nullable=True),
        pa.field("value_overflow", AMOUNT_OVERFLOW, nullable=True),
        pa.field("transaction_hash", HASH, nullable=False),
        pa.field("log_index", pa.int32(), nullable=False),
        pa.field("block_number", pa.int64(), nullable=False),
    ]
)

UTXO_TABLES: dict[str, pa.Schema] = {
    "blocks": UTXO_BLOCKS,
    "transactions": UTXO_TRANSACTIONS,
    "inputs": UTXO_INPUTS,
    "outputs": UTXO_OUTPUTS,
}
ACCOUNT_TABLES: dict[str, pa.Schema] = {
    "blocks": ACCOUNT_BLOCKS,
    "transactions": ACCOUNT_TRANSACTIONS,
    "traces": ACCOUNT_TRACES,
    "token_transfers": TOKEN_TRANSFERS,
}


def empty_table(schema: pa.Schema) -> pa.Table:
    """A table of ``schema`` with no rows (``Schema.empty_table`` imports pandas: ~0.25 s)."""
    return pa.Table.from_batches([], schema=schema)
