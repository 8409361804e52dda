"""Bitcoin Core 28+ blocks folders: blk files XORed with the key in xor.dat, rev files beside."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from tests.conftest import DATA

from chainsleuth.chain.readers.rawblock import read_raw_blocks, scan_raw_blocks
from chainsleuth.chain.readers.registry import group_sources
from chainsleuth.errors import MalformedRecord

HADOOP = DATA / "btc-blocks-hadoopcryptoledger"
FIRST = HADOOP / "firstblocks.blk"
B176149 = HADOOP / "block176149.blk"
UNDO = DATA / "btc-blocks-bcoin" / "block300025-undo.raw"
MAINNET = bytes.fromhex("f9beb4d9")


def _xor(data: bytes, key: bytes) -> bytes:
    raw = np.frombuffer(data, np.uint8)
    return (raw ^ np.frombuffer(key, np.uint8)[np.arange(len(raw)) % 8]).tobytes()


def _blocks_dir(tmp: Path, key: bytes, sources: list[Path]) -> list[Path]:
    """A Core-like blocks folder: blk files (stored XORed), a rev file and xor.dat."""
    folder = tmp / "blocks"
    folder.mkdir()
    (folder / "xor.dat").write_bytes(key)
    blks = []
    for n, src in enumerate(sources):
        blk = folder / f"blk{n:05d}.dat"
        # Core preallocates: a zero tail, stored XORed like the rest
        blk.write_bytes(_xor(src.read_bytes() + bytes(4096), key))
        blks.append(blk)
    undo = UNDO.read_bytes()
    record = MAINNET + len(undo).to_bytes(4, "little") + undo + bytes(32)  # + checksum
    (folder / "rev00000.dat").write_bytes(_xor(record, key))
    return blks


def _same(got: list[object], want: list[object]) -> None:
    assert len(got) == len(want)
    for a, b in zip(got, want, strict=True):
        for name in ("blocks", "transactions", "inputs", "outputs"):
            assert a[name].equals(b[name]), name  # type: ignore[index]


def test_xored_files_read_as_the_plain_ones(tmp_path: Path) -> None:
    key = os.urandom(8)
    blks = _blocks_dir(tmp_path, key, [FIRST, B176149])
    _same(list(read_raw_blocks(blks[0])), list(read_raw_blocks(FIRST)))
    # two files in one batch: the blocks are copied out of each file with its key undone
    got = list(read_raw_blocks(blks, start_height=176149))
    _same(got, list(read_raw_blocks([FIRST, B176149], start_height=176149)))
    assert sum(b["transactions"].num_rows for b in got) > 100


def test_blocks_folder_finds_the_blk_files_only(tmp_path: Path) -> None:
    blks = _blocks_dir(tmp_path, os.urandom(8), [FIRST])
    assert group_sources([tmp_path / "blocks"]) == {"raw-blocks": blks}
    # an undo file under another name is told apart by content, XORed or not
    (tmp_path / "blocks" / "undo-copy.dat").write_bytes(
        (tmp_path / "blocks" / "rev00000.dat").read_bytes()
    )
    assert group_sources([tmp_path / "blocks"]) == {"raw-blocks": blks}


def test_zero_key_is_no_obfuscation(tmp_path: Path) -> None:
    (blk,) = _blocks_dir(tmp_path, bytes(8), [FIRST])
    assert blk.read_bytes()[:4] == MAINNET
    _same(list(read_raw_blocks(blk)), list(read_raw_blocks(FIRST)))


def test_bad_key_file_is_named(tmp_path: Path) -> None:
    (blk,) = _blocks_dir(tmp_path, os.urandom(8), [FIRST])
    (tmp_path / "blocks" / "xor.dat").write_bytes(b"\x01" * 7)
    with pytest.raises(MalformedRecord, match=r"xor\.dat.*expected 8 bytes, found 7"):
        scan_raw_blocks(blk)


def test_wrong_key_is_a_magic_error(tmp_path: Path) -> None:
    """A blk file read with another key than its own: an error naming it, not a guess."""
    (blk,) = _blocks_dir(tmp_path, bytes.fromhex("0102030405060708"), [FIRST])
    (tmp_path / "blocks" / "xor.dat").write_bytes(bytes.fromhex("0102030405060709"))
    with pytest.raises(MalformedRecord, match=r"blk00000\.dat: record byte offset 0"):
        list(read_raw_blocks(blk))
