"""The one list of source formats, and how a file or folder is recognised as one of them.

Detection looks at names first (recorded RPC replies follow fixed naming), then at
content: the magic of a blk file, the keys of the first JSON line, the CSV header.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from chainsleuth.chain.batch import ChainBatch, Family
from chainsleuth.chain.readers.bitcoin_etl import read_bitcoin_etl
from chainsleuth.chain.readers.bitcoind_rpc import (
    BitcoindClient,
    read_bitcoind_rpc,
    read_getblock_files,
)
from chainsleuth.chain.readers.ethereum_etl import read_ethereum_etl
from chainsleuth.chain.readers.ethereum_rpc import EthRpcClient, read_eth_rpc, read_eth_rpc_files
from chainsleuth.chain.readers.rawblock import XOR_FILE, read_raw_blocks, xor_key
from chainsleuth.errors import Invalid

Reader = Callable[..., Iterator[ChainBatch]]


@dataclass(frozen=True)
class SourceFormat:
    """A format chainsleuth reads: its chain family, default chain name and reader."""

    name: str
    family: Family
    default_chain: str
    read: Reader
    description: str


FORMATS: dict[str, SourceFormat] = {
    f.name: f
    for f in (
        SourceFormat(
            "raw-blocks",
            "utxo",
            "btc",
            read_raw_blocks,
            "Bitcoin blk*.dat files or bare serialized blocks (.bz2/.gz too)",
        ),
        SourceFormat(
            "bitcoind-rpc",
            "utxo",
            "btc",
            read_getblock_files,
            "bitcoind getblock verbosity 2/3 replies saved as JSON",
        ),
        SourceFormat(
            "bitcoin-etl",
            "utxo",
            "btc",
            read_bitcoin_etl,
            "bitcoin-etl / BigQuery crypto_bitcoin exports (JSON lines, CSV)",
        ),
        SourceFormat(
            "ethereum-etl",
            "account",
            "eth",
            read_ethereum_etl,
            "ethereum-etl / BigQuery crypto_ethereum exports (CSV, JSON lines)",
        ),
        SourceFormat(
            "eth-rpc",
            "account",
            "eth",
            read_eth_rpc_files,
            "Ethereum JSON-RPC replies saved as JSON (blocks, receipts, traces, logs)",
        ),
    )
}

# Files that sit beside chain data but are not chain data.
# xor.dat is the key of Bitcoin Core's blk files, not data; rev*.dat (undo data, framed as
# blk files are) are told apart by content too, but need not be read to skip them
_IGNORED_NAMES = {"SOURCE.md", "SHA256SUMS", "README.md", "LICENSE", XOR_FILE}
_UNDO_FILE = re.compile(r"rev\d+\.dat")
_IGNORED_RPC = (
    "getblockhash",
    "getrawtransaction",
    "getblockcount",
    "eth_call",
    "eth_getCode",
    "eth_chainId",
    "eth_newFilter",
    "eth_uninstallFilter",
    "getLatest",
)
_ETH_RPC_METHODS = (
    "eth_getBlockByNumber",
    "eth_getTransactionReceipt",
    "trace_block",
    "debug_traceBlockByNumber",
    "eth_getFilterLogs",
    "eth_getLogs",
    "eth_getBlockReceipts",
)
_BLK_MAGICS = {
    bytes.fromhex(m) for m in ("f9beb4d9", "0b110907", "1c163f28", "0a03cf40", "fabfb5da")
}
_ETH_KEYS = {
    "from_address",
    "token_address",
    "trace_type",
    "gas_limit",
    "log_index",
    "transaction_index",
    "gas_used",
    "topics",
}
_BTC_ETL_KEYS = {
    "coinbase_param",
    "inputs",
    "outputs",
    "spent_transaction_hash",
    "stripped_size",
    "input_count",
    "script_hex",
    "required_signatures",
}


def _head(path: Path, size: int = 4096) -> bytes:
    if path.suffix == ".bz2":
        with bz2.open(path, "rb") as fh:
            return fh.read(size)
    if path.suffix == ".gz":
        with gzip.open(path, "rb") as fh:
            return fh.read(size)
    with path.open("rb") as fh:
        return fh.read(size)


_GENESIS_TIME = 1231006505
_LATEST_TIME = 4102444800  # 2100-01-01


def _looks_like_block_header(head: bytes) -> bool:
    """A bare serialized block: not text, a plausible time, and its header meets its target.

    Proof of work is what tells a header from other binary data (undo files, UTXO dumps).
    """
    if len(head) < 81 or _is_text(head):
        return False
    time = int.from_bytes(head[68:72], "little")
    bits = int.from_bytes(head[72:76], "little")
    exponent, mantissa = bits >> 24, bits & 0x007FFFFF
    if not _GENESIS_TIME <= time < _LATEST_TIME or not 3 <= exponent <= 0x22 or not mantissa:
        return False
    target = mantissa << (8 * (exponent - 3))
    digest = hashlib.sha256(hashlib.sha256(head[:80]).digest()).digest()
    return int.from_bytes(digest, "little") <= target


def _raw_blocks(head: bytes) -> bool:
    """blk framing around a block header, or a bare block."""
    framed = head[:4] in _BLK_MAGICS and _looks_like_block_header(head[8:])
    return framed or _looks_like_block_header(head)


def _unxor(head: bytes, key: npt.NDArray[np.uint8]) -> bytes:
    raw = np.frombuffer(head, np.uint8)
    return (raw ^ key[np.arange(len(raw)) % 8]).tobytes()


def _is_text(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _keys_of(head: bytes, path: Path) -> set[str]:
    text = head.decode("utf-8", errors="replace")
    first = text.splitlines()[0] if text else ""
    if path.suffix == ".csv" or not first.lstrip().startswith(("{", "[")):
        return {k.strip().strip('"') for k in first.split(",")}
    try:
        obj: Any = json.loads(first)
    except json.JSONDecodeError:
        try:
            obj = json.loads(path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError):
            return set()
    if isinstance(obj, dict) and isinstance(obj.get("result"), dict | list):
        obj = obj["result"]
    if isinstance(obj, list):
        obj = obj[0] if obj else {}
    return set(obj) if isinstance(obj, dict) else set()


def detect_format(path: Path) -> str | None:
    """The format name of one file, or None when the file is not chain data."""
    name = path.name
    if name in _IGNORED_NAMES or name.endswith(".md") or path.stat().st_size == 0:
        return None
    if _UNDO_FILE.fullmatch(name):
        return None
    if any(m in name for m in _IGNORED_RPC) or "_latest_" in name or "_pending_" in name:
        return None  # not chain data, or a chain-tip probe rather than a fixed block
    if "getblock_" in name:
        return "bitcoind-rpc"
    if any(m in name for m in _ETH_RPC_METHODS):
        return "eth-rpc"
    head = _head(path)
    if _raw_blocks(head) or _raw_blocks(_unxor(head, xor_key(path))):
        return "raw-blocks"
    keys = _keys_of(head, path)
    if keys & _BTC_ETL_KEYS:
        return "bitcoin-etl"
    if keys & _ETH_KEYS:
        return "ethereum-etl"
    if {"tx", "merkleroot"} <= keys:
        return "bitcoind-rpc"
    if {"transactions", "parentHash"} <= keys:
        return "eth-rpc"
    return None


def group_sources(paths: Sequence[Path], *, fmt: str | None = None) -> dict[str, list[Path]]:
    """Expand folders and sort files by format; unknown files in a folder are skipped.

    A file named directly must be recognised (or ``fmt`` given), else :class:`Invalid`.
    """
    if fmt is not None and fmt not in FORMATS:
        raise Invalid(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")
    groups: dict[str, list[Path]] = {}
    for path in paths:
        if not path.exists():
            raise Invalid(f"{path}: no such file or folder")
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            found = fmt or detect_format(file)
            if found is None and not path.is_dir():
                raise Invalid(f"{file}: not a chain data format chainsleuth reads (try --format)")
            if found is not None:
                groups.setdefault(found, []).append(file)
    return groups


@dataclass(frozen=True)
class SourcePlan:
    """What one ingest run reads: the chain it feeds and the files per format."""

    chain: str
    family: Family
    groups: dict[str, list[Path]]


def plan_sources(paths: Sequence[Path], *, fmt: str | None, chain: str | None) -> SourcePlan:
    """Group ``paths`` by format and check they all belong to one chain family."""
    groups = group_sources(paths, fmt=fmt)
    if not groups:
        raise Invalid(f"no chain data found in {', '.join(str(p) for p in paths)}")
    families = {FORMATS[name].family for name in groups}
    if len(families) > 1:
        raise Invalid(
            "sources mix UTXO and account chains ("
            + ", ".join(f"{n}: {len(f)} files" for n, f in groups.items())
            + "); ingest them separately"
        )
    first = FORMATS[next(iter(groups))]
    return SourcePlan(chain or first.default_chain, first.family, groups)


def read_plan(
    plan: SourcePlan, *, batch_blocks: int, network: str, start_height: int | None
) -> Iterator[ChainBatch]:
    """Read every group of ``plan`` in turn."""
    if start_height is not None and set(plan.groups) != {"raw-blocks"}:
        raise Invalid("--height applies to raw block files only")
    for name, files in plan.groups.items():
        extra: dict[str, Any] = {}
        if name == "raw-blocks":
            extra = {"network": network, "start_height": start_height}
        yield from FORMATS[name].read(files, batch_blocks=batch_blocks, **extra)


def read_live(
    fmt: str, url: str, *, start: int, end: int | None, batch_blocks: int
) -> Iterator[ChainBatch]:
    """Read blocks ``start..end`` from a running node (``end`` None: up to its tip)."""
    if fmt == "bitcoind-rpc":
        with BitcoindClient(url) as client:
            yield from read_bitcoind_rpc(client, start=start, end=end, batch_blocks=batch_blocks)
    elif fmt == "eth-rpc":
        with EthRpcClient(url) as eth:
            yield from read_eth_rpc(eth, start=start, end=end, batch_blocks=batch_blocks)
    else:
        raise Invalid(f"--rpc-url needs --format bitcoind-rpc or eth-rpc, not {fmt!r}")
