"""The account chain written as ethereum-etl exports: blocks.csv, transactions.csv,
token_transfers.csv, traces.csv (and tokens.csv), with ethereum-etl's exact columns and
text forms. traces.csv holds the genesis allocations of ether only, as ``export_traces
--genesis-traces`` writes them for block 0 (the chain has no internal value transfers, and
root call traces would repeat the transactions); without them the units every address
starts with would have no source in the data.

Hex fields are lowercase ``0x`` text, integers decimal, empty fields null (nothing between
the commas); ether values are wei. Hashes and trie roots are pseudo-random bytes from the
seed (no Keccak of an RLP encoding), ``logs_bloom`` is left all zeros and withdrawals are
empty. Columns are built as Arrow arrays and written in chunks of blocks: no per-row Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from chainsleuth.simulate.ethstate import SALT_BLOCK, SALT_ROOT, SALT_TX, EthState, salted
from chainsleuth.simulate.ethtraffic import EthTxs

I64 = npt.NDArray[np.int64]
U8 = npt.NDArray[np.uint8]
BLOCK_COLUMNS = (
    "number,hash,parent_hash,nonce,sha3_uncles,logs_bloom,transactions_root,state_root,"
    "receipts_root,miner,difficulty,total_difficulty,size,extra_data,gas_limit,gas_used,"
    "timestamp,transaction_count,base_fee_per_gas,withdrawals_root,withdrawals"
)
TX_COLUMNS = (
    "hash,nonce,block_hash,block_number,transaction_index,from_address,to_address,value,gas,"
    "gas_price,input,block_timestamp,max_fee_per_gas,max_priority_fee_per_gas,transaction_type"
)
TRANSFER_COLUMNS = (
    "token_address,from_address,to_address,value,transaction_hash,log_index,block_number"
)
TRACE_COLUMNS = (
    "block_number,transaction_hash,transaction_index,from_address,to_address,value,input,"
    "output,trace_type,call_type,reward_type,gas,gas_used,subtraces,trace_address,error,"
    "status,trace_id"
)
TOKEN_COLUMNS = "address,symbol,name,decimals,total_supply,block_number"
EMPTY_UNCLES = "0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347"
EMPTY_TRIE = "0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421"
TOTAL_DIFFICULTY = "58750003716598352816469"  # frozen at the Merge
GAS_LIMIT = 30_000_000
EXTRA = "0x" + b"chainsleuth-sim".hex()
TRANSFER_SELECTOR = bytes.fromhex("a9059cbb")  # transfer(address,uint256)
_HEX = np.frombuffer(b"0123456789abcdef", np.uint8)
_CHUNK_TXS = 200_000


def hex_text(raw: U8, prefix: str = "0x") -> pa.StringArray:
    """Lowercase hex of each row of ``raw`` (``(n, k)`` bytes) after ``prefix``."""
    n, k = raw.shape
    head = len(prefix)
    out = np.empty((n, head + 2 * k), np.uint8)
    out[:, :head] = np.frombuffer(prefix.encode(), np.uint8)
    out[:, head::2], out[:, head + 1 :: 2] = _HEX[raw >> 4], _HEX[raw & 15]
    offsets = np.arange(n + 1, dtype=np.int32) * (head + 2 * k)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(out.tobytes()))


def _dec(values: I64) -> pa.Array:
    return pc.cast(pa.array(values, pa.int64()), pa.string())


def _wei(gwei: I64) -> pa.Array:
    """Decimal wei text of gwei amounts (exact past 2**63 wei)."""
    text = _dec(gwei)
    return pc.if_else(pc.equal(pa.array(gwei), 0), "0", pc.binary_join_element_wise(
        text, pa.scalar("000000000"), ""))  # fmt: skip


def _word(values: I64) -> U8:
    """Big-endian 32-byte ABI words of non-negative int64 values."""
    out = np.zeros((len(values), 32), np.uint8)
    out[:, 24:] = values.astype(">u8").view(np.uint8).reshape(-1, 8)
    return out


@dataclass
class EthBlock:
    """One block's header fields and its transactions, priced and numbered."""

    number: int
    time: int
    base_fee: int  # wei
    builder: int  # address id of the fee recipient
    txs: EthTxs
    nonce: I64
    gas: I64
    gas_used: I64
    tip: I64  # wei


class _Csv:
    """One export file: ethereum-etl's bare header, then chunks of rows without quotes."""

    def __init__(self, path: Path, header: str) -> None:
        self.path, self.columns = path, header.split(",")
        self.file: BinaryIO = path.open("wb")
        self.file.write(header.encode() + b"\n")

    def write(self, columns: dict[str, pa.Array]) -> None:
        table = pa.table([columns[c] for c in self.columns], names=self.columns)
        options = pacsv.WriteOptions(include_header=False, quoting_style="none")
        pacsv.write_csv(table, self.file, options)

    def close(self) -> None:
        self.file.close()


class EthWriter:
    """Collects blocks and writes them as ethereum-etl CSV, plus the per-tx ground truth."""

    def __init__(
        self, out_dir: Path, truth_dir: Path, state: EthState, token: int, tags: list[str]
    ) -> None:
        self.state, self.token, self.tags, self.seed = state, token, tags, state.book.seed
        self.blocks = _Csv(out_dir / "blocks.csv", BLOCK_COLUMNS)
        self.txs = _Csv(out_dir / "transactions.csv", TX_COLUMNS)
        self.transfers = _Csv(out_dir / "token_transfers.csv", TRANSFER_COLUMNS)
        self.traces = _Csv(out_dir / "traces.csv", TRACE_COLUMNS)
        self.truth_path = truth_dir / "eth_transactions.parquet"
        self.truth: pq.ParquetWriter | None = None
        self.pending: list[EthBlock] = []
        self.n_pending = 0
        self.tx_count = 0
        self.paths = [self.blocks.path, self.txs.path, self.transfers.path, self.traces.path]

    def genesis(self, addrs: I64, gwei: I64) -> None:
        """Ether allocated at genesis as ethereum-etl's genesis traces: block 0, no
        transaction and no sender, ``trace_type`` genesis, status 1; ids ``genesis_0_<i>``
        numbered, as ethereum-etl numbers block-level traces, by receiving address."""
        text = hex_text(self.state.raw(addrs))
        order = pc.sort_indices(text)
        n = len(addrs)
        none = pa.nulls(n, pa.string())

        def const(value: str) -> pa.Array:
            return pa.array([value] * n, pa.string())

        ids = pc.binary_join_element_wise(const("genesis_0"), _dec(np.arange(n)), "_")
        self.traces.write({
            "block_number": const("0"), "transaction_hash": none, "transaction_index": none,
            "from_address": none, "to_address": text.take(order),
            "value": _wei(gwei).take(order), "input": none, "output": none,
            "trace_type": const("genesis"), "call_type": none, "reward_type": none, "gas": none,
            "gas_used": none, "subtraces": const("0"), "trace_address": none, "error": none,
            "status": const("1"), "trace_id": ids,
        })  # fmt: skip

    def write(self, block: EthBlock) -> None:
        self.pending.append(block)
        self.n_pending += len(block.txs)
        if self.n_pending >= _CHUNK_TXS:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        blocks, self.pending, self.n_pending = self.pending, [], 0
        numbers = np.array([b.number for b in blocks], np.int64)
        hashes = salted(self.seed, SALT_BLOCK, numbers)
        parents = salted(self.seed, SALT_BLOCK, numbers - 1)
        parents[numbers == 0] = 0
        self._blocks(blocks, numbers, hashes, parents)
        self._transactions(blocks, numbers, hashes)

    def _blocks(self, blocks: list[EthBlock], numbers: I64, hashes: U8, parents: U8) -> None:
        n = len(blocks)
        count = np.array([len(b.txs) for b in blocks], np.int64)
        tokens = np.array([int(b.txs.token.sum()) for b in blocks], np.int64)
        ids = np.repeat(numbers * 3, 3) + np.tile(np.arange(3), n)
        roots = salted(self.seed, SALT_ROOT, ids).reshape(n, 3, 32)

        def const(value: str | None) -> pa.Array:
            return pa.array([value] * n, pa.string())

        self.blocks.write({
            "number": _dec(numbers), "hash": hex_text(hashes), "parent_hash": hex_text(parents),
            "nonce": const("0x0000000000000000"), "sha3_uncles": const(EMPTY_UNCLES),
            "logs_bloom": const("0x" + "00" * 256),
            "transactions_root": hex_text(roots[:, 0]), "state_root": hex_text(roots[:, 1]),
            "receipts_root": hex_text(roots[:, 2]),
            "miner": hex_text(self.state.raw(np.array([b.builder for b in blocks]))),
            "difficulty": const("0"), "total_difficulty": const(TOTAL_DIFFICULTY),
            "size": _dec(620 + 112 * count + 68 * tokens), "extra_data": const(EXTRA),
            "gas_limit": const(str(GAS_LIMIT)),
            "gas_used": _dec(np.array([int(b.gas_used.sum()) for b in blocks], np.int64)),
            "timestamp": _dec(np.array([b.time for b in blocks], np.int64)),
            "transaction_count": _dec(count),
            "base_fee_per_gas": _dec(np.array([b.base_fee for b in blocks], np.int64)),
            "withdrawals_root": const(EMPTY_TRIE), "withdrawals": const(None),
        })  # fmt: skip

    def _transactions(self, blocks: list[EthBlock], numbers: I64, hashes: U8) -> None:
        txs = EthTxs.concat([b.txs for b in blocks])
        n = len(txs)
        count = np.array([len(b.txs) for b in blocks], np.int64)
        block_of = np.repeat(np.arange(len(blocks)), count)
        index = np.arange(n) - np.repeat(np.cumsum(count) - count, count)
        tx_hash = hex_text(salted(self.seed, SALT_TX, self.tx_count + np.arange(n)))
        self.tx_count += n
        base = np.array([b.base_fee for b in blocks], np.int64)[block_of]
        tip = np.concatenate([b.tip for b in blocks])
        token = txs.token == 1
        contract = np.full(n, self.token, np.int64)
        to = np.where(token, contract, txs.to)
        raw_to = self.state.raw(txs.to)
        data = np.zeros((n, 68), np.uint8)
        data[:, :4] = np.frombuffer(TRANSFER_SELECTOR, np.uint8)
        data[:, 16:36] = raw_to
        data[:, 36:] = _word(txs.units)
        call = hex_text(data)
        number = _dec(numbers[block_of])
        block_hash = hex_text(hashes)
        block_hash_tx = block_hash.take(pa.array(block_of))
        frm = hex_text(self.state.raw(txs.frm))
        self.txs.write({
            "hash": tx_hash, "nonce": _dec(np.concatenate([b.nonce for b in blocks])),
            "block_hash": block_hash_tx, "block_number": number, "transaction_index": _dec(index),
            "from_address": frm, "to_address": hex_text(self.state.raw(to)),
            "value": _wei(txs.gwei), "gas": _dec(np.concatenate([b.gas for b in blocks])),
            "gas_price": _dec(base + tip), "input": pc.if_else(pa.array(token), call, "0x"),
            "block_timestamp": _dec(np.array([b.time for b in blocks], np.int64)[block_of]),
            "max_fee_per_gas": _dec(2 * base + tip), "max_priority_fee_per_gas": _dec(tip),
            "transaction_type": pa.array(["2"] * n, pa.string()),
        })  # fmt: skip
        self._transfers(txs, token, tx_hash=tx_hash, number=number, frm=frm, block_of=block_of)
        self._truth(tx_hash, numbers[block_of], txs.tag)

    def _transfers(
        self, txs: EthTxs, token: npt.NDArray[np.bool_], *, tx_hash: pa.Array, number: pa.Array,
        frm: pa.Array, block_of: I64,
    ) -> None:  # fmt: skip
        at = np.flatnonzero(token)
        per_block = np.bincount(block_of[at], minlength=block_of.max() + 1 if len(at) else 0)
        log_index = np.arange(len(at)) - np.repeat(np.cumsum(per_block) - per_block, per_block)
        take = pa.array(at)
        self.transfers.write({
            "token_address": hex_text(self.state.raw(np.full(len(at), self.token, np.int64))),
            "from_address": frm.take(take), "to_address": hex_text(self.state.raw(txs.to[at])),
            "value": _dec(txs.units[at]), "transaction_hash": tx_hash.take(take),
            "log_index": _dec(log_index), "block_number": number.take(take),
        })  # fmt: skip

    def _truth(self, tx_hash: pa.Array, numbers: I64, tag: I64) -> None:
        names = pa.DictionaryArray.from_arrays(pa.array(tag, pa.int32()), pa.array(self.tags))
        table = pa.table({
            "hash": tx_hash, "block_number": pa.array(numbers, pa.int64()),
            "tag": names.cast(pa.string()),
        })  # fmt: skip
        if self.truth is None:
            self.truth = pq.ParquetWriter(self.truth_path, table.schema, compression="zstd")
        self.truth.write_table(table)

    def close(self) -> None:
        self.flush()
        for f in (self.blocks, self.txs, self.transfers, self.traces):
            f.close()
        if self.truth is not None:
            self.truth.close()
