"""Bitcoin block framing shared by the simulator and the benchmark generator.

Double SHA-256, CompactSize integers, merkle roots, regtest proof of work and the
``blk*.dat`` record framing (``[magic][uint32 LE size][block]``), after the Bitcoin Core
serialization described in the developer reference.
"""

from __future__ import annotations

import hashlib

BITS = 0x207FFFFF  # regtest's proof-of-work limit: about two header hashes per block
TARGET = (BITS & 0xFFFFFF) << (8 * ((BITS >> 24) - 3))
REGTEST_MAGIC = bytes.fromhex("fabfb5da")


def sha256d(data: bytes) -> bytes:
    """Bitcoin's double SHA-256."""
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def compact_size(n: int) -> bytes:
    """Bitcoin's variable-length integer."""
    if n < 0xFD:
        return bytes((n,))
    if n <= 0xFFFF:
        return b"\xfd" + n.to_bytes(2, "little")
    return b"\xfe" + n.to_bytes(4, "little")


def merkle_root(hashes: list[bytes]) -> bytes:
    """Merkle root of txids (internal byte order), last one doubled on odd levels."""
    level = list(hashes)
    while len(level) > 1:
        if len(level) % 2:
            level.append(level[-1])
        level = [sha256d(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


def mine_header(header76: bytes) -> tuple[bytes, bytes]:
    """The header with the first nonce whose hash meets :data:`TARGET`, and that hash."""
    nonce = 0
    while True:
        header = header76 + nonce.to_bytes(4, "little")
        block_hash = sha256d(header)
        if int.from_bytes(block_hash, "little") <= TARGET:
            return header, block_hash
        nonce += 1


def frame(magic: bytes, block: bytes) -> bytes:
    """One ``blk*.dat`` record: network magic, little-endian size, the block."""
    return magic + len(block).to_bytes(4, "little") + block
