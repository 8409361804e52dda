"""Read Bitcoin raw blocks: Core's ``blk*.dat`` files and bare serialized blocks.

Each file is recognised by its content. bzip2 and gzip are decompressed first. A file
that starts with a network magic is blk-framed: ``[magic][uint32 LE size][block]``
repeated, with zero padding allowed at the end (Core preallocates its files). Any other
file is one bare serialized block.

Pass 1 (:func:`scan_raw_blocks`) reads only the framing and the 80-byte headers and links
each header to its parent. Every tree of linked blocks keeps its branch with the most
work, as Core's chainwork does (``2**256 // (target + 1)`` per block); trees that do not
link (scattered blocks, part of a blk folder) become separate segments at their own
heights, unless they overlap a segment with more work. Stale, orphan and duplicate
blocks are skipped and listed.
Pass 2 parses the chain in height order, in batches, with the kernels of
:mod:`chainsleuth.chain.readers._blockparse`; Core writes blocks out of order
(headers-first sync), so blocks are read by file offset.

Heights: a segment from genesis starts at 0; otherwise at the BIP34 height in its first
block's coinbase (block version 2 or more). ``start_height`` places the most-work segment
that has neither (others without a height are then skipped); without it such a segment
is an error, so no block is dropped unnoticed.
"""

from __future__ import annotations

import bz2
import contextlib
import gc
import gzip
import logging
import mmap
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from chainsleuth.chain.batch import ChainBatch
from chainsleuth.chain.readers._blockparse import HEADER, BlockFault, coinbase_script
from chainsleuth.chain.readers._blockscan import (
    F_MAGIC,
    F_SIZE,
    branches,
    copy_blocks,
    frames,
    header_rows,
    headers,
)
from chainsleuth.chain.readers._blocktables import parse_blocks
from chainsleuth.errors import Invalid, MalformedRecord

logger = logging.getLogger(__name__)

MAGICS = {
    "mainnet": bytes.fromhex("f9beb4d9"),
    "testnet": bytes.fromhex("0b110907"),
    "testnet3": bytes.fromhex("0b110907"),
    "testnet4": bytes.fromhex("1c163f28"),
    "signet": bytes.fromhex("0a03cf40"),
    "regtest": bytes.fromhex("fabfb5da"),
}
_NETWORK_OF = {magic: name for name, magic in reversed(MAGICS.items())}

Data = bytes | mmap.mmap
XOR_FILE = "xor.dat"  # Bitcoin Core 28+: the obfuscation key of the blk files beside it


@dataclass(frozen=True)
class _File:
    """A source file's bytes (decompressed or memory-mapped) and its XOR key (8 bytes)."""

    data: Data
    key: npt.NDArray[np.uint8]

    @property
    def keyed(self) -> bool:
        return bool(self.key.any())

    def plain(self, start: int, end: int) -> npt.NDArray[np.uint8]:
        """Bytes ``start:end`` with the key undone: a view of a plain file, else a copy."""
        raw = np.frombuffer(self.data, np.uint8)[start:end]
        if not self.keyed:
            return raw
        return raw ^ self.key[np.arange(start, start + len(raw)) % 8]


def xor_key(path: Path) -> npt.NDArray[np.uint8]:
    """The key Bitcoin Core (28 and later) XORs its blk files with, from ``xor.dat`` in the
    same folder: byte ``i`` of a file is stored XORed with ``key[i % 8]``. Zeros (no
    obfuscation) when there is no such file, as for nodes set up before 28.
    """
    key_path = path.parent / XOR_FILE
    if not key_path.is_file():
        return np.zeros(8, np.uint8)
    raw = key_path.read_bytes()
    if len(raw) != 8:
        raise MalformedRecord(
            path=key_path, record="file", field="key", reason=f"expected 8 bytes, found {len(raw)}"
        )
    return np.frombuffer(raw, np.uint8).copy()


I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class BlockLocation:
    """Where a block's bytes are: file, offset of its header, size; hash in display order."""

    path: Path
    offset: int
    size: int
    hash: bytes


@dataclass(frozen=True)
class ChainSegment:
    """Linked blocks from ``start_height`` up, in height order."""

    start_height: int
    blocks: tuple[BlockLocation, ...]


@dataclass(frozen=True)
class RawBlockScan:
    """Pass 1: the chain segments found, in height order, and the blocks left out.

    Blocks that link form a tree; its most-work branch is a segment. Segments that do not
    link to each other (scattered blocks, part of a blk folder) each keep their own
    heights. ``skipped`` holds the display-order hashes of stale, orphan and duplicate
    blocks.
    """

    segments: tuple[ChainSegment, ...]
    skipped: tuple[bytes, ...]

    @property
    def chain(self) -> tuple[BlockLocation, ...]:
        """Every kept block, in height order."""
        return tuple(loc for seg in self.segments for loc in seg.blocks)


def _load(path: Path, stack: ExitStack) -> Data:
    """The file's bytes: decompressed, or memory-mapped so pass 1 touches only headers."""
    with path.open("rb") as fh:
        head = fh.read(3)
        if head[:3] != b"BZh" and head[:2] != b"\x1f\x8b":
            if not head:
                return b""
            mapped = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
            stack.callback(_close_map, mapped)
            return mapped
    opener = bz2.open if head == b"BZh" else gzip.open
    try:
        with opener(path, "rb") as stream:
            return stream.read()
    except (OSError, EOFError) as exc:
        raise MalformedRecord(
            path=path, record="file", field="compression", reason=f"cannot decompress: {exc}"
        ) from None


def _close_map(mapped: mmap.mmap) -> None:
    """Unmap now if no array still views the file, else when the last view goes.

    numba's first compile of a kernel can keep its arguments alive until the next garbage
    collection; a mapping closed under such a view raises BufferError.
    """
    try:
        mapped.close()
    except BufferError:
        gc.collect()
        with contextlib.suppress(BufferError):
            mapped.close()


@contextmanager
def _open_sources(paths: Sequence[Path] | Path) -> Iterator[dict[Path, _File]]:
    files = [paths] if isinstance(paths, Path) else list(paths)
    with ExitStack() as stack:
        yield {Path(p): _File(_load(Path(p), stack), xor_key(Path(p))) for p in files}


def _frames(path: Path, file: _File, magic: bytes) -> tuple[I64, I64]:
    """Offsets and sizes of the blocks in a file: blk framing, or one bare block."""
    data = file.data
    if file.plain(0, 4).tobytes() not in _NETWORK_OF:
        return np.zeros(1, np.int64), np.array([len(data)], np.int64)
    offsets, sizes, how, pos = frames(np.frombuffer(data, np.uint8), file.key, magic)
    if how == F_MAGIC:
        seen = file.plain(pos, pos + 4).tobytes()
        raise MalformedRecord(
            path=path, record=f"byte offset {pos}", field="magic",
            reason=f"expected network magic {magic.hex()}, found {seen.hex()} "
            f"({_NETWORK_OF.get(seen, 'unknown')})",
        )  # fmt: skip
    if how == F_SIZE:
        size = int.from_bytes(file.plain(pos + 4, pos + 8).tobytes(), "little")
        raise MalformedRecord(
            path=path, record=f"byte offset {pos}", field="size",
            reason=f"block size {size} runs past the end of the file ({len(data) - pos - 8} left)",
        )  # fmt: skip
    return offsets, sizes


@dataclass(frozen=True)
class _Blocks:
    """Pass 1 as arrays: each block's file (index into ``paths``), offset, size and hash
    (display order, rows of 32 bytes)."""

    paths: list[Path]
    file: I64
    offsets: I64
    sizes: I64
    hashes: npt.NDArray[np.uint8]

    def location(self, i: int) -> BlockLocation:
        return BlockLocation(
            self.paths[self.file[i]], int(self.offsets[i]), int(self.sizes[i]),
            self.hashes[i].tobytes(),
        )  # fmt: skip


def _bip34_height(script: bytes) -> int | None:
    """The height a coinbase scriptSig pushes first (BIP34), or None."""
    op = script[0] if script else 0xFF
    if 0x51 <= op <= 0x60:  # OP_1 .. OP_16
        return op - 0x50
    if not 1 <= op <= 8 or len(script) < 1 + op or script[op] & 0x80:
        return None
    return int.from_bytes(script[1 : 1 + op], "little")


def _root_height(loc: BlockLocation, genesis: bool, file: _File) -> int | None:
    """0 for genesis, else the BIP34 height in the coinbase, else None."""
    if genesis:
        return 0
    block = file.plain(loc.offset, loc.offset + loc.size)  # a view of a plain file
    if int.from_bytes(block[:4].tobytes(), "little", signed=True) < 2:
        return None
    try:
        pos, length = coinbase_script(block)
    except BlockFault as fault:
        error = _error(fault, loc.path, f"block {loc.hash.hex()}")
    else:
        return _bip34_height(block[pos : pos + length].tobytes())
    del block  # no view of a memory-mapped file may outlive it (see _parse_batch)
    raise error


def _place(
    branches: list[I64], heights: list[int | None], start_height: int | None, blocks: _Blocks
) -> list[tuple[int, I64]]:
    """Give each branch its first height and keep those that do not overlap a better one.

    ``start_height`` goes to the most-work branch that cannot tell its height, and the
    other such branches are left out (listed as skipped); without it such a branch is an
    error, so no block is dropped unnoticed.
    """
    placed: list[tuple[int, I64]] = []
    given = start_height is not None
    for branch, known in zip(branches, heights, strict=True):  # best first
        height = known
        if height is None and start_height is not None:
            height, start_height = start_height, None
        elif height is None and given:
            continue
        if height is None:
            loc = blocks.location(int(branch[0]))
            raise MalformedRecord(
                path=loc.path, record=f"block {loc.hash.hex()}", field="height",
                reason="the blocks from here do not link to genesis and the first has no "
                "BIP34 height; pass start_height",
            )  # fmt: skip
        end = height + len(branch)
        if all(end <= h or height >= h + len(b) for h, b in placed):
            placed.append((height, branch))
    return sorted(placed, key=lambda p: p[0])


def _joined(parts: list[I64]) -> I64:
    return np.concatenate(parts) if parts else np.zeros(0, np.int64)


def _scan(
    sources: dict[Path, _File], magic: bytes, start_height: int | None
) -> tuple[_Blocks, list[tuple[int, I64]]]:
    """Pass 1: the blocks and the placed branches (first height, block indices)."""
    files, offsets, sizes, rows = [], [], [], []
    for k, (path, file) in enumerate(sources.items()):
        offs, lens = _frames(path, file, magic)
        short = np.flatnonzero(lens < HEADER)
        if short.size:
            b = int(short[0])
            raise MalformedRecord(
                path=path, record=f"byte offset {offs[b]}", field="header",
                reason=f"block of {lens[b]} bytes is shorter than a header (truncated)",
            )  # fmt: skip
        head = np.empty((len(offs), HEADER), np.uint8)
        header_rows(np.frombuffer(file.data, np.uint8), file.key, offs, head)
        files.append(np.full(len(offs), k, np.int64))
        offsets.append(offs)
        sizes.append(lens)
        rows.append(head)
    head = np.concatenate(rows) if rows else np.zeros((0, HEADER), np.uint8)
    heads = headers(head)
    blocks = _Blocks(
        list(sources), _joined(files), _joined(offsets), _joined(sizes), heads[:, ::-1]
    )
    prevs = head[:, 4:36]
    found = branches(heads, prevs, np.ascontiguousarray(head[:, 72:76]).view("<u4").ravel())
    heights = []
    for branch in found:
        loc = blocks.location(int(branch[0]))
        heights.append(_root_height(loc, not prevs[branch[0]].any(), sources[loc.path]))
    return blocks, _place(found, heights, start_height, blocks)


def _magic(network: str) -> bytes:
    if network not in MAGICS:
        raise Invalid(f"unknown network {network!r}; known: {', '.join(MAGICS)}")
    return MAGICS[network]


def _error(fault: BlockFault, path: str | Path, record: str) -> MalformedRecord:
    return MalformedRecord(
        path=path, record=record, field=fault.field,
        reason=f"{fault.reason} (byte {fault.offset} of the block)",
    )  # fmt: skip


def scan_raw_blocks(
    paths: Sequence[Path] | Path, *, network: str = "mainnet", start_height: int | None = None
) -> RawBlockScan:
    """Pass 1 alone: the chain segments, from which heights, and what is left out."""
    magic = _magic(network)
    with _open_sources(paths) as sources:
        blocks, placed = _scan(sources, magic, start_height)
    kept = np.zeros(len(blocks.sizes), bool)
    for _, branch in placed:
        kept[branch] = True
    segments = tuple(
        ChainSegment(height, tuple(blocks.location(i) for i in branch.tolist()))
        for height, branch in placed
    )
    return RawBlockScan(segments, tuple(h.tobytes() for h in blocks.hashes[~kept]))


def _parse_batch(
    sources: dict[Path, _File], blocks: _Blocks, chain: I64, heights: npt.NDArray[np.int32]
) -> ChainBatch:
    """Parse the blocks ``chain`` (indices into ``blocks``) at ``heights``."""
    sizes, files = blocks.sizes[chain], blocks.file[chain]
    first = sources[blocks.paths[files[0]]]
    if (files == files[0]).all() and not first.keyed:  # parse in place: no copy of the blocks
        buf = np.frombuffer(first.data, np.uint8)
        starts = blocks.offsets[chain]
    else:
        starts = np.cumsum(sizes) - sizes
        buf = np.empty(int(sizes.sum()), np.uint8)
        offsets = blocks.offsets[chain]
        for f in np.unique(files).tolist():  # the batch's blocks, file by file
            mine = files == f
            file = sources[blocks.paths[f]]
            data = np.frombuffer(file.data, np.uint8)
            copy_blocks(data, file.key, offsets[mine], sizes[mine], starts[mine], buf)
            del data  # no view of a memory-mapped file may outlive it
    error: MalformedRecord | None = None
    try:
        tables = parse_blocks(buf, starts, sizes, heights)
    except BlockFault as fault:
        loc = blocks.location(int(chain[fault.block]))
        record = f"block {loc.hash.hex()} (height {heights[fault.block]}, offset {loc.offset})"
        error = _error(fault, loc.path, record)
    if error is not None:
        # raised outside the handler: the fault's frames, which view the memory-mapped
        # file, must be gone before the file is closed
        del buf
        raise error
    used = np.unique(files, return_index=True)[1]
    source = ", ".join(str(blocks.paths[f]) for f in files[np.sort(used)])
    return ChainBatch("utxo", tables, source)


def _batch_bounds(
    sizes: npt.NDArray[np.int64], most: int, budget: int
) -> Iterator[tuple[int, int]]:
    """(first, end) of each batch: at most ``most`` blocks, cut once ``budget`` bytes are in."""
    first = 0
    while first < len(sizes):
        within = np.cumsum(sizes[first : first + most]) <= budget
        end = first + max(1, int(within.sum()))
        yield first, end
        first = end


def read_raw_blocks(
    paths: Sequence[Path] | Path,
    *,
    batch_blocks: int = 10_000,
    batch_bytes: int = 128 << 20,
    network: str = "mainnet",
    start_height: int | None = None,
) -> Iterator[ChainBatch]:
    """Yield the chain segments in the files, in height order, as UTXO batches of up to
    ``batch_blocks`` blocks and about ``batch_bytes`` of block data: the byte cap keeps
    memory bounded whatever the block size, the block cap lets the tiny early blocks
    batch up (a batch may hold blocks of several segments).

    Raises :class:`MalformedRecord` naming the file and block (hash, height, offset).
    """
    if batch_blocks < 1:
        raise Invalid(f"batch_blocks must be at least 1, not {batch_blocks}")
    magic = _magic(network)
    with _open_sources(paths) as sources:
        blocks, placed = _scan(sources, magic, start_height)
        chain = _joined([branch for _, branch in placed])
        if skipped := len(blocks.sizes) - len(chain):
            logger.info("skipped %d blocks off the best chain", skipped)
            if logger.isEnabledFor(logging.DEBUG):
                kept = np.zeros(len(blocks.sizes), bool)
                kept[chain] = True
                hashes = ", ".join(h.tobytes().hex() for h in blocks.hashes[~kept])
                logger.debug("skipped blocks: %s", hashes)
        # batches run across segments: scattered single blocks parse together
        heights = _joined(
            [np.arange(height, height + len(branch)) for height, branch in placed]
        ).astype(np.int32)
        sizes = blocks.sizes[chain]
        for first, end in _batch_bounds(sizes, batch_blocks, batch_bytes):
            yield _parse_batch(sources, blocks, chain[first:end], heights[first:end])


def parse_block_bytes(raw: bytes, *, height: int, source: str = "") -> ChainBatch:
    """Parse one bare serialized block (header, tx count, transactions) at ``height``."""
    buf = np.frombuffer(raw, np.uint8)
    try:
        tables = parse_blocks(
            buf, np.zeros(1, np.int64), np.array([len(raw)], np.int64), np.array([height], np.int32)
        )
    except BlockFault as fault:
        raise _error(fault, source or "<bytes>", f"block at height {height}") from None
    return ChainBatch("utxo", tables, source)
