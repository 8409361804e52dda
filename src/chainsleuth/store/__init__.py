"""The chain store: Parquet partitions + DuckDB catalog, dense ids, CSR graph arrays.

See ``docs/store.md`` for the on-disk layout and its guarantees.
"""

from chainsleuth.store.api import ChainStore, open_store
from chainsleuth.store.csr import Csr, CsrGraph
from chainsleuth.store.errors import BadBatch, ForkConflict, StoreLocked, UnknownChain
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
from chainsleuth.store.reports import ChainInfo, IngestProgress, IngestReport, Reorg, StoreStats

__all__ = [
    "AccountTransactionInfo",
    "AddressInfo",
    "AddressTx",
    "BadBatch",
    "BlockInfo",
    "ChainInfo",
    "ChainStore",
    "Csr",
    "CsrGraph",
    "ForkConflict",
    "IngestProgress",
    "IngestReport",
    "Reorg",
    "StoreLocked",
    "StoreStats",
    "TokenSum",
    "TransactionInfo",
    "Transfer",
    "TxInput",
    "TxOutput",
    "UnknownChain",
    "open_store",
]
