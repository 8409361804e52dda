"""Blocks of the simulated chain: columnar transactions in, ``blk*.dat`` records out.

Each block is serialized by the compiled kernel, hashed in one call (txids, wtxids, merkle
roots), given a coinbase with the BIP34 height and the BIP141 witness commitment, mined at
regtest difficulty and framed with regtest's magic, so the real raw-block reader ingests it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import BinaryIO

import numpy as np
import numpy.typing as npt

from chainsleuth.chain._sha256 import merkle_root_of, sha256d_ranges
from chainsleuth.simulate._txwrite import serialize_outputs, serialize_txs
from chainsleuth.simulate.blockcodec import (
    BITS,
    REGTEST_MAGIC,
    compact_size,
    frame,
    mine_header,
    sha256d,
)
from chainsleuth.simulate.book import Book, payloads
from chainsleuth.simulate.pool import Pool

I64 = npt.NDArray[np.int64]
U8 = npt.NDArray[np.uint8]
BLK_FILE_BYTES = 128 << 20  # Bitcoin Core rolls blk*.dat files at 128 MiB
_SIGS = 4096


@dataclass
class TxCols:
    """Transactions as flat columns: per tx, per input (a pool row), per output."""

    nin: I64
    nout: I64
    in_rows: I64
    out_value: I64
    out_addr: I64
    out_coin: I64  # scenario coin handle of each output, -1 for none
    tag: I64  # index into the world's tag names (payment, sweep, ransomware/peel, ...)
    change_vout: I64  # -1 where the tx has no change output

    @classmethod
    def empty(cls) -> TxCols:
        return cls(*(np.zeros(0, np.int64) for _ in fields(cls)))

    @classmethod
    def concat(cls, parts: list[TxCols]) -> TxCols:
        return cls(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)))

    def __len__(self) -> int:
        return len(self.nin)


def _signatures(rng: np.random.Generator) -> U8:
    """DER-shaped ECDSA signatures (r padded, low s) with SIGHASH_ALL, 72 bytes each."""
    rs = rng.integers(0, 256, size=(_SIGS, 64), dtype=np.uint8)
    rs[:, 0] |= 0x80
    rs[:, 32] &= 0x7F
    sigs = np.zeros((_SIGS, 72), np.uint8)
    sigs[:, :5] = (0x30, 0x45, 0x02, 0x21, 0x00)
    sigs[:, 5:37] = rs[:, :32]
    sigs[:, 37:39] = (0x02, 0x20)
    sigs[:, 39:71] = rs[:, 32:]
    sigs[:, 71] = 0x01
    return sigs


@dataclass
class Written:
    """What one block added: the txids (coinbase first, internal byte order) and fees."""

    txids: U8
    fees: I64
    size: int


class BlockWriter:
    """Serializes, mines and frames blocks into ``blk*.dat`` files under ``out_dir``."""

    def __init__(self, out_dir: Path, book: Book, pool: Pool, rng: np.random.Generator) -> None:
        self.out_dir = out_dir
        self.book = book
        self.pool = pool
        self.sigs = _signatures(rng)
        self.prev = bytes(32)
        self.paths: list[Path] = []
        self._file: BinaryIO | None = None
        self._inputs_done = 0

    def _txs(self, txs: TxCols, locktime: int) -> tuple[bytes, U8, U8, I64]:
        pool, book = self.pool, self.book
        rows = txs.in_rows
        in_addr = pool.addr.view[rows]
        sig_at = (self._inputs_done + np.arange(len(rows))) % _SIGS
        self._inputs_done += len(rows)
        full, fs, fl, bare, bs, bl = serialize_txs(
            txs.nin,
            txs.nout,
            locktime,
            pool.txid[rows],
            pool.vout.view[rows],
            book.addr_kind.view[in_addr],
            payloads(book.seed, in_addr),
            self.sigs[sig_at],
            txs.out_value,
            book.addr_kind.view[txs.out_addr],
            payloads(book.seed, txs.out_addr),
        )
        txids = sha256d_ranges(bare, bs, bl)
        wtxids = sha256d_ranges(full, fs, fl)
        first_in = np.cumsum(txs.nin) - txs.nin
        spent = np.add.reduceat(pool.value.view[rows], first_in) if len(rows) else np.zeros(0)
        first_out = np.cumsum(txs.nout) - txs.nout
        paid = np.add.reduceat(txs.out_value, first_out) if len(txs) else np.zeros(0)
        return full.tobytes(), txids, wtxids, (spent - paid).astype(np.int64)

    def _coinbase(self, height: int, values: I64, addrs: I64, wtxids: U8) -> tuple[bytes, bytes]:
        """(serialization, txid) of the coinbase paying ``values`` to ``addrs``."""
        leaves = np.concatenate([np.zeros((1, 32), np.uint8), wtxids])
        commitment = sha256d(merkle_root_of(leaves).tobytes() + bytes(32))  # BIP141
        tag = b"\x03" + height.to_bytes(3, "little") + b"\x0fchainsleuth-sim"  # BIP34
        outs = serialize_outputs(
            values, self.book.addr_kind.view[addrs], payloads(self.book.seed, addrs)
        ).tobytes()
        nulldata = bytes(8) + b"\x26\x6a\x24\xaa\x21\xa9\xed" + commitment
        body = (
            b"\x01"
            + bytes(32)
            + b"\xff\xff\xff\xff"
            + compact_size(len(tag))
            + tag
            + b"\xff\xff\xff\xff"
            + compact_size(len(values) + 1)
            + outs
            + nulldata
        )
        stripped = b"\x01\x00\x00\x00" + body + bytes(4)
        raw = b"\x01\x00\x00\x00\x00\x01" + body + b"\x01\x20" + bytes(32) + bytes(4)
        return raw, sha256d(stripped)

    def write(self, height: int, time: int, txs: TxCols, cb_values: I64, cb_addrs: I64) -> Written:
        """Write one block; ``cb_values`` should already include the fees of ``txs``."""
        body, txids, wtxids, fees = self._txs(txs, max(height - 1, 0))
        cb_raw, cb_txid = self._coinbase(height, cb_values, cb_addrs, wtxids)
        all_ids = np.concatenate([np.frombuffer(cb_txid, np.uint8)[None, :], txids])
        header76 = (
            b"\x00\x00\x00\x20"
            + self.prev
            + merkle_root_of(all_ids).tobytes()
            + time.to_bytes(4, "little")
            + BITS.to_bytes(4, "little")
        )
        header, self.prev = mine_header(header76)
        block = header + compact_size(len(txs) + 1) + cb_raw + body
        self._frame(block)
        return Written(all_ids, fees, len(block))

    def _frame(self, block: bytes) -> None:
        if self._file is None or self._file.tell() + len(block) + 8 > BLK_FILE_BYTES:
            self.close()
            path = self.out_dir / f"blk{len(self.paths):05d}.dat"
            self.paths.append(path)
            self._file = path.open("wb")
        self._file.write(frame(REGTEST_MAGIC, block))

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
