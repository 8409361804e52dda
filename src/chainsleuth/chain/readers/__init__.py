"""Readers: one module per source format, each yielding canonical :class:`ChainBatch` es.

:data:`FORMATS` lists them; :func:`plan_sources` recognises files and folders.
"""

from chainsleuth.chain.readers.bitcoin_etl import read_bitcoin_etl
from chainsleuth.chain.readers.bitcoind_rpc import (
    BitcoindClient,
    BitcoindError,
    RpcError,
    read_bitcoind_rpc,
    read_getblock_files,
)
from chainsleuth.chain.readers.ethereum_etl import read_ethereum_etl
from chainsleuth.chain.readers.ethereum_rpc import (
    EthRpcClient,
    EthRpcError,
    read_eth_rpc,
    read_eth_rpc_files,
)
from chainsleuth.chain.readers.rawblock import (
    RawBlockScan,
    parse_block_bytes,
    read_raw_blocks,
    scan_raw_blocks,
)
from chainsleuth.chain.readers.registry import (
    FORMATS,
    SourceFormat,
    SourcePlan,
    detect_format,
    group_sources,
    plan_sources,
    read_live,
    read_plan,
)

__all__ = [
    "FORMATS",
    "BitcoindClient",
    "BitcoindError",
    "EthRpcClient",
    "EthRpcError",
    "RawBlockScan",
    "RpcError",
    "SourceFormat",
    "SourcePlan",
    "detect_format",
    "group_sources",
    "parse_block_bytes",
    "plan_sources",
    "read_bitcoin_etl",
    "read_bitcoind_rpc",
    "read_eth_rpc",
    "read_eth_rpc_files",
    "read_ethereum_etl",
    "read_getblock_files",
    "read_live",
    "read_plan",
    "read_raw_blocks",
    "scan_raw_blocks",
]
