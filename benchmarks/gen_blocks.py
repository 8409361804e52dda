"""Raw Bitcoin blocks of real shape for the chain benchmarks, deterministic per seed.

The chain is valid serialization, not valid consensus: txids, witness txids, merkle roots
and the coinbase witness commitment are correct (double SHA-256), every input spends an
earlier unspent output of the same generated chain (same-block spends included, as on
mainnet), but signatures are random bytes of the right shape, and the proof of work is
at regtest's minimum difficulty (bits ``207fffff``: about two header hashes per block),
so that readers which check it accept the blocks.

Shape, after mainnet statistics of recent years: about 2,000 transactions per block; input
counts heavy-tailed (62 % one input, 27 % two, a tail of consolidations up to 500); 1-3
outputs, mostly 2 (payment and change); outputs P2PKH/P2SH/P2WPKH/P2WSH/P2TR by weight;
~40 % of transactions SegWit (they spend SegWit outputs and carry witness stacks); keys
reused with a skewed popularity. Blocks are written in Bitcoin Core's ``blk*.dat`` framing
and, optionally, as bitcoin-etl JSON lines (:mod:`benchmarks.etl_export`).
"""

from __future__ import annotations

import hashlib
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from benchmarks.etl_export import EtlWriter, TxRecord
from chainsleuth.chain.address import hash160
from chainsleuth.simulate.blockcodec import BITS, compact_size, merkle_root, sha256d
from chainsleuth.simulate.blockcodec import mine_header as _mine

MAGIC = bytes.fromhex("f9beb4d9")
SUBSIDY = 625_000_000  # 6.25 BTC, the 2020-2024 era
START_HEIGHT = 700_000
START_TIME = 1_631_000_000
BLK_FILE_BYTES = 128 << 20  # Bitcoin Core rolls blk*.dat files at 128 MiB

# Output kinds, by index: legacy kinds first (spent without witness).
P2PKH, P2SH, P2WPKH, P2WSH, P2TR = range(5)
NULLDATA = 5  # the coinbase's witness commitment (records only, never spent)
KIND_WEIGHTS = (0.42, 0.18, 0.28, 0.04, 0.08)
N_LEGACY_KINDS = 2
# Virtual size of spending one output of each kind, for the fee.
_INPUT_VBYTES = (148, 297, 68, 105, 58)
_SIGS = 4096  # distinct random signatures to draw from
DUST = 546


@dataclass(frozen=True)
class Keys:
    """The key pool outputs pay to: per kind, the length-prefixed scriptPubKey of key k."""

    pubs: list[bytes]
    redeem: list[bytes]  # 2-of-3 multisig script of keys k, k+1, k+2 (P2SH and P2WSH)
    scripts: tuple[list[bytes], ...]
    sigs: list[bytes]  # DER-shaped ECDSA signatures with SIGHASH_ALL, 72 bytes
    schnorr: list[bytes]


def make_keys(rng: np.random.Generator, n: int) -> Keys:
    """A pool of ``n`` random compressed keys and the scripts of each kind paying them."""
    raw = rng.integers(0, 256, size=(n, 33), dtype=np.uint8)
    raw[:, 0] = 2 + (raw[:, 0] & 1)
    blob = raw.tobytes()
    pubs = [blob[i * 33 : i * 33 + 33] for i in range(n)]
    h160 = [hash160(p) for p in pubs]
    redeem = [
        b"\x52\x21"
        + pubs[i]
        + b"\x21"
        + pubs[(i + 1) % n]
        + b"\x21"
        + pubs[(i + 2) % n]
        + b"\x53\xae"
        for i in range(n)
    ]
    scripts = (
        [b"\x19\x76\xa9\x14" + h + b"\x88\xac" for h in h160],
        [b"\x17\xa9\x14" + hash160(r) + b"\x87" for r in redeem],
        [b"\x16\x00\x14" + h for h in h160],
        [b"\x22\x00\x20" + hashlib.sha256(r).digest() for r in redeem],
        [b"\x22\x51\x20" + p[1:] for p in pubs],
    )
    rs = rng.integers(0, 256, size=(_SIGS, 64), dtype=np.uint8)
    rs[:, 0] |= 0x80  # r needs the 0x00 pad, s is low-S: both as real DER signatures
    rs[:, 32] &= 0x7F
    sigs = [
        b"\x30\x45\x02\x21\x00" + bytes(r[:32]) + b"\x02\x20" + bytes(r[32:]) + b"\x01" for r in rs
    ]
    schnorr = [bytes(r) for r in rng.integers(0, 256, size=(_SIGS, 64), dtype=np.uint8)]
    return Keys(pubs, redeem, scripts, sigs, schnorr)


@dataclass
class _Draws:
    """Every random choice of the chain, drawn up front with numpy, as Python lists."""

    n_in: list[int]
    n_out: list[int]
    segwit: list[bool]
    kinds: list[int]  # per output slot
    keys: list[int]  # per output slot
    pays: list[int]  # per output slot: a payment amount, satoshi
    feerate: list[int]
    picks: list[int]  # per input slot


def _payments(rng: np.random.Generator, n: int) -> np.ndarray:
    """Payment amounts: lognormal around 0.002 BTC; a third rounded to 0.0001 BTC."""
    pays = rng.lognormal(np.log(200_000), 1.8, n).astype(np.int64) + DUST
    rounded = rng.random(n) < 0.33
    pays[rounded] = np.maximum(10_000, pays[rounded] // 10_000 * 10_000)
    return pays


def _draw(rng: np.random.Generator, txs: int, n_keys: int) -> _Draws:
    u = rng.random(txs)
    tail = np.minimum(500, (10 * (1 - rng.random(txs)) ** (-1 / 1.3)).astype(np.int64))
    n_in = np.where(
        u < 0.62, 1, np.where(u < 0.89, 2, np.where(u < 0.99, rng.integers(3, 10, txs), tail))
    )
    n_out = rng.choice([1, 2, 3], size=txs, p=[0.1, 0.7, 0.2])
    slots = int(n_out.sum())
    return _Draws(
        n_in=n_in.tolist(),
        n_out=n_out.tolist(),
        segwit=(rng.random(txs) < 0.4).tolist(),
        kinds=rng.choice(len(KIND_WEIGHTS), size=slots, p=KIND_WEIGHTS).tolist(),
        keys=(n_keys * rng.random(slots) ** 3).astype(np.int64).tolist(),  # skewed reuse
        pays=_payments(rng, slots).tolist(),
        feerate=np.ceil(rng.lognormal(2.0, 1.0, txs)).astype(np.int64).tolist(),
        picks=rng.integers(0, 1 << 62, size=int(n_in.sum())).tolist(),
    )


# An unspent output: (txid, vout, value, kind, key).
Utxo = tuple[bytes, int, int, int, int]


@dataclass
class _Spender:
    """Builds non-coinbase transactions from the draws, spending the two UTXO pools."""

    keys: Keys
    draws: _Draws
    pools: tuple[list[Utxo], list[Utxo]] = ([], [])  # legacy kinds, SegWit kinds
    tx_pos: int = 0
    out_pos: int = 0
    in_pos: int = 0

    def __post_init__(self) -> None:
        self.pools = ([], [])

    def _take(self, segwit: bool) -> Utxo:
        pool = self.pools[int(segwit)] or self.pools[int(not segwit)]
        j = self.draws.picks[self.in_pos] % len(pool)
        self.in_pos += 1
        utxo = pool[j]
        pool[j] = pool[-1]
        pool.pop()
        return utxo

    def _input(self, utxo: Utxo, seq: bytes) -> tuple[bytes, bytes, bytes]:
        """(serialized input, witness stack, scriptSig) spending ``utxo``."""
        txid, vout, _, kind, key = utxo
        k = self.keys
        sig, sig2 = k.sigs[self.in_pos % _SIGS], k.sigs[(self.in_pos * 7 + 1) % _SIGS]
        wit, ss = b"\x00", b""
        if kind == P2PKH:
            ss = b"\x48" + sig + b"\x21" + k.pubs[key]
        elif kind == P2SH:
            ss = b"\x00\x48" + sig + b"\x48" + sig2 + b"\x4c\x69" + k.redeem[key]
        elif kind == P2WPKH:
            wit = b"\x02\x48" + sig + b"\x21" + k.pubs[key]
        elif kind == P2WSH:
            wit = b"\x04\x00\x48" + sig + b"\x48" + sig2 + b"\x69" + k.redeem[key]
        else:
            wit = b"\x01\x40" + k.schnorr[self.in_pos % _SIGS]
        raw = txid + vout.to_bytes(4, "little") + compact_size(len(ss)) + ss + seq
        return raw, wit, ss

    def _values(self, total: int, vbytes: int, n_out: int) -> list[int]:
        """Payments of lognormal size (capped by the funds), the rest as change."""
        avail = total - min(self.draws.feerate[self.tx_pos] * vbytes, total // 2)
        if avail < 2 * DUST * n_out:
            n_out = 1
        values = []
        for j in range(n_out - 1):
            v = max(DUST, min(self.draws.pays[self.out_pos + j], avail * 9 // (10 * n_out)))
            values.append(v)
            avail -= v
        values.append(avail)
        return values

    def available(self) -> int:
        return len(self.pools[0]) + len(self.pools[1])

    def add(self, txid: bytes, outs: list[tuple[int, int, int]]) -> None:
        for vout, (kind, key, value) in enumerate(outs):
            self.pools[int(kind >= N_LEGACY_KINDS)].append((txid, vout, value, kind, key))

    def transaction(self, locktime: bytes) -> tuple[TxRecord, bytes, bytes, int]:
        """One transaction: (record, serialization, wtxid, fee); its outputs join the pools."""
        d, i = self.draws, self.tx_pos
        want_wit = d.segwit[i]
        seq = b"\xfd\xff\xff\xff" if want_wit else b"\xff\xff\xff\xff"
        spent = [self._take(want_wit) for _ in range(min(d.n_in[i], self.available()))]
        built = [self._input(u, seq) for u in spent]
        has_wit = any(u[3] >= N_LEGACY_KINDS for u in spent)
        n_out = d.n_out[i]
        vbytes = 11 + sum(_INPUT_VBYTES[u[3]] for u in spent) + 34 * n_out
        values = self._values(sum(u[2] for u in spent), vbytes, n_out)
        outs = [
            (d.kinds[self.out_pos + j], d.keys[self.out_pos + j], v) for j, v in enumerate(values)
        ]
        self.out_pos += n_out
        self.tx_pos += 1
        body = (
            compact_size(len(built))
            + b"".join(b[0] for b in built)
            + compact_size(len(outs))
            + b"".join(v.to_bytes(8, "little") + self.keys.scripts[kd][ky] for kd, ky, v in outs)
        )
        stripped = b"\x02\x00\x00\x00" + body + locktime
        txid = sha256d(stripped)
        raw, wtxid = stripped, txid
        if has_wit:
            raw = b"\x02\x00\x00\x00\x00\x01" + body + b"".join(b[1] for b in built) + locktime
            wtxid = sha256d(raw)
        self.add(txid, outs)
        inputs = [
            (u[0], u[1], b[2], seq, u[3], u[4], u[2]) for u, b in zip(spent, built, strict=True)
        ]
        rec = TxRecord(
            txid, len(stripped), len(raw), int.from_bytes(locktime, "little"), inputs, outs
        )
        fee = sum(u[2] for u in spent) - sum(values)
        return rec, raw, wtxid, fee


@dataclass
class GeneratedChain:
    """What :func:`generate_chain` wrote."""

    blk_paths: list[Path] = field(default_factory=list)
    blocks: int = 0
    txs: int = 0  # coinbases included
    inputs: int = 0  # coinbase inputs included
    outputs: int = 0
    raw_bytes: int = 0  # block bytes, framing excluded
    value: int = 0  # sum of all output values, satoshi
    etl_blocks: Path | None = None
    etl_transactions: Path | None = None

    @property
    def etl_paths(self) -> list[Path]:
        """``[blocks.json, transactions.json]``, or ``[]`` when not exported."""
        return [p for p in (self.etl_blocks, self.etl_transactions) if p is not None]

    @property
    def etl_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.etl_paths)


@dataclass
class _BlockMaker:
    """Assembles blocks: transactions from the spender, then the coinbase that pays their fees."""

    keys: Keys
    spender: _Spender
    rng: np.random.Generator
    prev: bytes = bytes(32)

    def _coinbase(self, height: int, fees: int, wtxids: list[bytes]) -> tuple[TxRecord, bytes]:
        tag = b"\x03" + height.to_bytes(3, "little") + b"\x08" + self.rng.bytes(8)  # BIP34
        commitment = sha256d(merkle_root([bytes(32), *wtxids]) + bytes(32))  # BIP141
        nulldata = b"\x26\x6a\x24\xaa\x21\xa9\xed" + commitment
        key = height % len(self.keys.pubs)
        outs = [(P2WPKH, key, SUBSIDY + fees), (NULLDATA, 0, 0)]
        body = (
            b"\x01"
            + bytes(32)
            + b"\xff\xff\xff\xff"
            + compact_size(len(tag))
            + tag
            + b"\xff\xff\xff\xff\x02"
            + (SUBSIDY + fees).to_bytes(8, "little")
            + self.keys.scripts[P2WPKH][key]
            + bytes(8)
            + nulldata
        )
        stripped = b"\x01\x00\x00\x00" + body + bytes(4)
        raw = b"\x01\x00\x00\x00\x00\x01" + body + b"\x01\x20" + bytes(32) + bytes(4)
        txid = sha256d(stripped)
        self.spender.add(txid, outs[:1])
        rec = TxRecord(txid, len(stripped), len(raw), 0, [], outs, nulldata=nulldata[1:], tag=tag)
        return rec, raw

    def block(self, height: int, max_txs: int) -> tuple[bytes, list[TxRecord]]:
        """One serialized block of at most ``max_txs`` + 1 transactions, and its records."""
        locktime = (height - 1).to_bytes(4, "little")
        recs: list[TxRecord] = []
        raws: list[bytes] = []
        wtxids: list[bytes] = []
        fees = 0
        while len(recs) < max_txs and self.spender.available():
            rec, raw, wtxid, fee = self.spender.transaction(locktime)
            recs.append(rec)
            raws.append(raw)
            wtxids.append(wtxid)
            fees += fee
        cb, cb_raw = self._coinbase(height, fees, wtxids)
        recs.insert(0, cb)
        header = (
            b"\x00\x00\x00\x20"
            + self.prev
            + merkle_root([r.txid for r in recs])
            + (START_TIME + 600 * (height - START_HEIGHT)).to_bytes(4, "little")
            + BITS.to_bytes(4, "little")
        )
        header, self.prev = _mine(header)
        return header + compact_size(len(recs)) + cb_raw + b"".join(raws), recs


def read_blk_file(path: Path) -> Iterator[bytes]:
    """The blocks of one ``blk*.dat`` file (magic, uint32 LE size, block), in file order."""
    data = path.read_bytes()
    pos = 0
    while pos + 8 <= len(data) and data[pos : pos + 4] == MAGIC:
        size = int.from_bytes(data[pos + 4 : pos + 8], "little")
        yield data[pos + 8 : pos + 8 + size]
        pos += 8 + size


def generate_chain(
    out_dir: Path, *, txs: int, seed: int = 7, txs_per_block: int = 2_000, etl: bool = True
) -> GeneratedChain:
    """Write a chain of about ``txs`` non-coinbase transactions to ``out_dir``.

    Blocks go to ``blk00000.dat``… (128 MiB each); with ``etl`` the same chain also goes to
    ``blocks.json`` and ``transactions.json`` in bitcoin-etl's export format (enriched inputs).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    keys = make_keys(rng, max(256, txs // 8))
    maker = _BlockMaker(keys, _Spender(keys, _draw(rng, txs, len(keys.pubs))), rng)
    chain = GeneratedChain()
    writer = EtlWriter(out_dir, keys) if etl else None
    blk, height, left = None, START_HEIGHT, txs
    try:
        while left > 0 or chain.blocks == 0:
            raw, recs = maker.block(height, min(left, txs_per_block))
            if blk is None or blk.tell() + len(raw) + 8 > BLK_FILE_BYTES:
                blk = _next_blk(chain, out_dir, blk)
            blk.write(MAGIC + len(raw).to_bytes(4, "little") + raw)
            if writer is not None:
                writer.write_block(raw[:80], height, len(raw), recs)
            chain.blocks += 1
            chain.txs += len(recs)
            chain.inputs += 1 + sum(len(r.inputs) for r in recs)
            chain.outputs += sum(len(r.outputs) for r in recs)
            chain.raw_bytes += len(raw)
            chain.value += sum(o[2] for r in recs for o in r.outputs)
            left -= len(recs) - 1
            height += 1
    finally:
        if blk is not None:
            blk.close()
        if writer is not None:
            writer.close()
            chain.etl_blocks, chain.etl_transactions = writer.paths
    return chain


def _next_blk(
    chain: GeneratedChain, out_dir: Path, current: typing.BinaryIO | None
) -> typing.BinaryIO:
    if current is not None:
        current.close()
    path = out_dir / f"blk{len(chain.blk_paths):05d}.dat"
    chain.blk_paths.append(path)
    return path.open("wb")
