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
import hashlib
import logging
import mmap
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from chainsleuth.chain.batch import ChainBatch
from chainsleuth.chain.readers._blockparse import HEADER, BlockFault, block_work, coinbase_script
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
_ZERO_HASH = bytes(32)

Data = bytes | mmap.mmap


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
def _open_sources(paths: Sequence[Path] | Path) -> Iterator[dict[Path, Data]]:
    files = [paths] if isinstance(paths, Path) else list(paths)
    with ExitStack() as stack:
        yield {Path(p): _load(Path(p), stack) for p in files}


def _frames(path: Path, data: Data, magic: bytes) -> list[tuple[int, int]]:
    """(offset, size) of each block in a file: blk framing, or one bare block."""
    if bytes(data[:4]) not in _NETWORK_OF:
        return [(0, len(data))]
    frames = []
    pos, end = 0, len(data)
    while pos < end:
        record = bytes(data[pos : pos + 8])
        if record[:4] != magic:
            if not bytes(data[pos:]).strip(b"\0"):
                break  # Core's preallocated, unused tail
            found = _NETWORK_OF.get(record[:4], "unknown")
            raise MalformedRecord(
                path=path, record=f"byte offset {pos}", field="magic",
                reason=f"expected network magic {magic.hex()}, found {record[:4].hex()} ({found})",
            )  # fmt: skip
        size = int.from_bytes(record[4:8], "little")
        if len(record) < 8 or pos + 8 + size > end:
            raise MalformedRecord(
                path=path, record=f"byte offset {pos}", field="size",
                reason=f"block size {size} runs past the end of the file ({end - pos - 8} left)",
            )  # fmt: skip
        frames.append((pos + 8, size))
        pos += 8 + size
    return frames


def _chainwork(parent: list[int], work: list[int]) -> tuple[list[int], list[int]]:
    """Cumulative work of each block and the root of its chain (parents may come later)."""
    total, root = [-1] * len(parent), [-1] * len(parent)
    for i in range(len(parent)):
        path, j = [], i
        while j >= 0 and total[j] < 0:
            path.append(j)
            j = parent[j]
        acc, top = (total[j], root[j]) if j >= 0 else (0, path[-1] if path else -1)
        for k in reversed(path):
            acc += work[k]
            total[k], root[k] = acc, top
    return total, root


def _branches(hashes: list[bytes], prevs: list[bytes], work: list[int]) -> list[list[int]]:
    """The most-work branch of every tree of linked blocks, root first, best tree first.

    Ties go to the block seen first, as in Core; a repeated hash leads nowhere.
    """
    first: dict[bytes, int] = {}
    for i, h in enumerate(hashes):
        first.setdefault(h, i)
    parent = [first.get(p, -1) for p in prevs]
    unique = [i for i, h in enumerate(hashes) if first[h] == i]
    for i in set(range(len(hashes))) - set(unique):
        parent[i] = -1
    total, root = _chainwork(parent, work)
    tips: dict[int, int] = {}
    for i in unique:
        best = tips.get(root[i])
        if best is None or total[i] > total[best]:
            tips[root[i]] = i
    branches = []
    for tip in sorted(tips.values(), key=lambda i: (-total[i], i)):
        branch, j = [], tip
        while j >= 0:
            branch.append(j)
            j = parent[j]
        branches.append(branch[::-1])
    return branches


def _bip34_height(script: bytes) -> int | None:
    """The height a coinbase scriptSig pushes first (BIP34), or None."""
    op = script[0] if script else 0xFF
    if 0x51 <= op <= 0x60:  # OP_1 .. OP_16
        return op - 0x50
    if not 1 <= op <= 8 or len(script) < 1 + op or script[op] & 0x80:
        return None
    return int.from_bytes(script[1 : 1 + op], "little")


def _root_height(loc: BlockLocation, prev: bytes, data: Data) -> int | None:
    """0 for genesis, else the BIP34 height in the coinbase, else None."""
    if prev == _ZERO_HASH:
        return 0
    raw = bytes(data[loc.offset : loc.offset + loc.size])
    if int.from_bytes(raw[:4], "little", signed=True) < 2:
        return None
    try:
        pos, length = coinbase_script(np.frombuffer(raw, np.uint8))
    except BlockFault as fault:
        raise _error(fault, loc.path, f"block {loc.hash.hex()}") from None
    return _bip34_height(raw[pos : pos + length])


def _place(
    branches: list[list[int]],
    heights: list[int | None],
    start_height: int | None,
    locations: list[BlockLocation],
) -> list[tuple[int, list[int]]]:
    """Give each branch its first height and keep those that do not overlap a better one.

    ``start_height`` goes to the most-work branch that cannot tell its height, and the
    other such branches are left out (listed as skipped); without it such a branch is an
    error, so no block is dropped unnoticed.
    """
    placed: list[tuple[int, list[int]]] = []
    given = start_height is not None
    for branch, known in zip(branches, heights, strict=True):  # best first
        height = known
        if height is None and start_height is not None:
            height, start_height = start_height, None
        elif height is None and given:
            continue
        if height is None:
            loc = locations[branch[0]]
            raise MalformedRecord(
                path=loc.path, record=f"block {loc.hash.hex()}", field="height",
                reason="the blocks from here do not link to genesis and the first has no "
                "BIP34 height; pass start_height",
            )  # fmt: skip
        end = height + len(branch)
        if all(end <= h or height >= h + len(b) for h, b in placed):
            placed.append((height, branch))
    return sorted(placed)


def _scan(sources: dict[Path, Data], magic: bytes, start_height: int | None) -> RawBlockScan:
    locations, prevs, work = [], [], []
    for path, data in sources.items():
        for offset, size in _frames(path, data, magic):
            header = bytes(data[offset : offset + HEADER])
            if size < HEADER:
                raise MalformedRecord(
                    path=path, record=f"byte offset {offset}", field="header",
                    reason=f"block of {size} bytes is shorter than a header (truncated)",
                )  # fmt: skip
            digest = hashlib.sha256(hashlib.sha256(header).digest()).digest()
            locations.append(BlockLocation(path, offset, size, digest[::-1]))
            prevs.append(header[35:3:-1])
            work.append(block_work(int.from_bytes(header[72:76], "little")))
    branches = _branches([loc.hash for loc in locations], prevs, work)
    roots = [locations[b[0]] for b in branches]
    heights = [
        _root_height(loc, prevs[b[0]], sources[loc.path])
        for loc, b in zip(roots, branches, strict=True)
    ]
    placed = _place(branches, heights, start_height, locations)
    kept = {i for _, branch in placed for i in branch}
    skipped = tuple(loc.hash for i, loc in enumerate(locations) if i not in kept)
    segments = tuple(ChainSegment(h, tuple(locations[i] for i in branch)) for h, branch in placed)
    return RawBlockScan(segments, skipped)


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
        return _scan(sources, magic, start_height)


def _parse_batch(
    sources: dict[Path, Data], locations: Sequence[BlockLocation], heights: npt.NDArray[np.int32]
) -> ChainBatch:
    sizes = np.array([loc.size for loc in locations], np.int64)
    paths = {loc.path for loc in locations}
    if len(paths) == 1:  # parse in place: no copy of the blocks
        buf = np.frombuffer(sources[paths.pop()], np.uint8)
        starts = np.array([loc.offset for loc in locations], np.int64)
    else:
        raw = b"".join(sources[loc.path][loc.offset : loc.offset + loc.size] for loc in locations)
        buf = np.frombuffer(raw, np.uint8)
        starts = np.cumsum(sizes) - sizes
    error: MalformedRecord | None = None
    try:
        tables = parse_blocks(buf, starts, sizes, heights)
    except BlockFault as fault:
        loc = locations[fault.block]
        record = f"block {loc.hash.hex()} (height {heights[fault.block]}, offset {loc.offset})"
        error = _error(fault, loc.path, record)
    if error is not None:
        # raised outside the handler: the fault's frames, which view the memory-mapped
        # file, must be gone before the file is closed
        del buf
        raise error
    source = ", ".join(dict.fromkeys(str(loc.path) for loc in locations))
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
        scan = _scan(sources, magic, start_height)
        if scan.skipped:
            logger.info("skipped %d blocks off the best chain", len(scan.skipped))
            logger.debug("skipped blocks: %s", ", ".join(h.hex() for h in scan.skipped))
        # batches run across segments: scattered single blocks parse together
        heights = np.concatenate(
            [np.arange(g.start_height, g.start_height + len(g.blocks)) for g in scan.segments]
            or [np.zeros(0, np.int64)]
        ).astype(np.int32)
        blocks = scan.chain
        sizes = np.fromiter((loc.size for loc in blocks), np.int64, len(blocks))
        for first, end in _batch_bounds(sizes, batch_blocks, batch_bytes):
            yield _parse_batch(sources, blocks[first:end], heights[first:end])


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
