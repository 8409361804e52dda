"""The canonical chain model: Arrow schemas, scripts and addresses, batches, amounts.

Readers live in :mod:`chainsleuth.chain.readers`.
"""

from chainsleuth.chain.address import (
    MAINNET,
    NETWORKS,
    Network,
    address_key,
    address_text,
    hash160,
    parse_address,
)
from chainsleuth.chain.amounts import amount_arrays, amount_value, decimal_array
from chainsleuth.chain.batch import ChainBatch, Family, empty_batch
from chainsleuth.chain.schema import ACCOUNT_TABLES, UTXO_TABLES
from chainsleuth.chain.script import ScriptType, classify_many, classify_scripts

__all__ = [
    "ACCOUNT_TABLES",
    "MAINNET",
    "NETWORKS",
    "UTXO_TABLES",
    "ChainBatch",
    "Family",
    "Network",
    "ScriptType",
    "address_key",
    "address_text",
    "amount_arrays",
    "amount_value",
    "classify_many",
    "classify_scripts",
    "decimal_array",
    "empty_batch",
    "hash160",
    "parse_address",
]
