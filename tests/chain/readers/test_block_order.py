"""A file out of block order is copied in block order with every line kept, byte for byte,
each named by its original line; a file in order is read where it is.

Inputs: bitcoin-etl's real exports (../shared/data) and the simulator's classroom world
(ethereum-etl CSV), reordered as parallel export workers leave them. The helpers that
reorder files serve the readers' tests too.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from chainsleuth.chain.readers import _block_numbers, _block_order
from chainsleuth.chain.readers._block_order import (
    Layout,
    Order,
    block_order,
    csv_layout,
    in_block_order,
    json_layout,
)
from chainsleuth.simulate import simulate_world

ETH = "eth-ethereum-etl"
BTC = "btc-rpc-bitcoin-etl"


def batches_permuted(
    rows: list[str], block: Callable[[str], int], *, size: int = 10, seed: int = 1
) -> list[str]:
    """Rows as export workers write them: runs of ``size`` blocks, in order within a run,
    the runs in the (shuffled) order the workers finished them."""
    runs: dict[int, list[str]] = {}
    for row in rows:
        runs.setdefault(block(row) // size, []).append(row)
    order = sorted(runs)
    while len(order) > 1 and order == sorted(order):
        random.Random(seed).shuffle(order)
        seed += 1
    return [row for run in order for row in runs[run]]


def moves(rows: list[str], index: int, block: Callable[[str], int]) -> bool:
    """Whether row ``index`` takes another place in the copy in block order."""
    return sorted(range(len(rows)), key=lambda i: (block(rows[i]), i)).index(index) != index


def scattered(rows: list[str], *, seed: int = 1) -> list[str]:
    shuffled = list(rows)
    random.Random(seed).shuffle(shuffled)
    return shuffled


def csv_block(column: int) -> Callable[[str], int]:
    return lambda row: int(row.split(",")[column])


def json_block(row: str) -> int:
    record = json.loads(row)
    return int(record["number"] if "number" in record else record["block_number"])


def write(path: Path, rows: list[str], end: str = "\n") -> Path:
    path.write_text(end.join(rows) + end, newline="")
    return path


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world")
    simulate_world(out, preset="classroom", seed=5)
    return out / "eth"


def read_copy(path: Path, layout: Layout, tmp: Path) -> tuple[list[bytes], list[int]]:
    """The lines of the sorted copy and the original line of each, the copy then removed."""
    with in_block_order(path, layout, block_order(path, layout), tmp_dir=tmp) as src:
        assert src.path.parent.parent == tmp and src.path.name == path.name
        lines = src.path.read_bytes().splitlines(keepends=True)
        first = 2 if layout.csv else 1
        origin = src.lines(np.arange(first, len(lines) + 1, dtype=np.int64)).tolist()
        some = sorted({first, len(lines) // 2 + 1, len(lines)})
        assert [src.line(n) for n in some] == [origin[n - first] for n in some]
    assert list(tmp.iterdir()) == []
    return lines, origin


@pytest.mark.parametrize("reorder", ["batches", "scattered"])
def test_copy_holds_every_line_in_block_then_line_order(
    world: Path, tmp_path: Path, reorder: str
) -> None:
    header, *rows = (world / "transactions.csv").read_text().splitlines()
    shuffled = batches_permuted(rows, csv_block(3)) if reorder == "batches" else scattered(rows)
    path = write(tmp_path / "transactions.csv", [header, *shuffled])
    lines, origin = read_copy(path, csv_layout(3), tmp_path / "tmp")
    assert lines[0] == f"{header}\n".encode()
    original = path.read_bytes().splitlines(keepends=True)
    assert lines[1:] == [original[n - 1] for n in origin]  # each line as it was, named
    keys = [(csv_block(3)(line.decode()), n) for line, n in zip(lines[1:], origin, strict=True)]
    assert keys == sorted(keys) and sorted(origin) == list(range(2, len(rows) + 2))


def test_an_ordered_file_is_read_in_place(world: Path, tmp_path: Path) -> None:
    path, tmp = world / "transactions.csv", tmp_path / "tmp"
    order = block_order(path, csv_layout(3))
    with in_block_order(path, csv_layout(3), order, tmp_dir=tmp) as src:
        assert src.path == path
        assert src.line(17) == 17
    assert not tmp.exists()


def test_copy_is_removed_on_error(world: Path, tmp_path: Path) -> None:
    header, *rows = (world / "blocks.csv").read_text().splitlines()
    path = write(tmp_path / "blocks.csv", [header, *rows[::-1]])
    tmp, layout = tmp_path / "tmp", csv_layout(0)
    copy = in_block_order(path, layout, block_order(path, layout), tmp_dir=tmp)
    with pytest.raises(RuntimeError, match="stop"), copy:
        assert len(list(tmp.rglob("blocks.csv"))) == 1
        raise RuntimeError("stop")
    assert list(tmp.iterdir()) == []


def test_unreadable_block_numbers_go_first_blank_lines_go(data_dir: Path, tmp_path: Path) -> None:
    """Bad JSON, a missing key, a fraction: first in the copy, in their order; the order
    check passes over them. CRLF endings stay; the last line gains its newline."""
    src = data_dir / BTC / "stream_50001_50002/expected_transactions.json"
    rows = src.read_text().splitlines()  # blocks 50001 (3 transactions), 50002 (1)
    bad = ['{"hash": "ab", "block_number": 7', '{"hash": "cd"}', '{"block_number": 1.5}']
    mixed = [rows[3], bad[0], rows[0], "", bad[1], rows[1], "  ", rows[2], bad[2]]
    layout = json_layout("block_number")
    assert block_order(write(tmp_path / "in_order.json", [bad[0], *rows]), layout).ordered
    path = tmp_path / "txs.json"
    path.write_bytes("\r\n".join(mixed).encode())  # no newline at the end
    assert block_order(path, layout) == Order(False, 50001)
    lines, origin = read_copy(path, layout, tmp_path / "tmp")
    assert origin == [2, 5, 9, 3, 6, 8, 1]
    assert lines[-1] == rows[3].encode() + b"\r\n"
    assert lines[2] == bad[2].encode() + b"\n"  # was the last line


@pytest.mark.parametrize(
    "sizes",
    [(1, 1, 1), (64, 4096, 1000)],  # a line per piece, run and part; lines > pieces
)
def test_runs_and_parts_of_any_size_give_the_same_copy(
    world: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sizes: tuple[int, int, int]
) -> None:
    header, *rows = (world / "token_transfers.csv").read_text().splitlines()
    path = write(tmp_path / "tt.csv", [header, *scattered(rows)])
    layout = csv_layout(header.split(",").index("block_number"))
    whole = read_copy(path, layout, tmp_path / "whole")
    monkeypatch.setattr(_block_numbers, "SCAN_BYTES", sizes[0])
    monkeypatch.setattr(_block_order, "RUN_BYTES", sizes[1])
    monkeypatch.setattr(_block_order, "COPY_BYTES", sizes[2])
    assert read_copy(path, layout, tmp_path / "small") == whole


def test_sort_beyond_its_memory_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two million lines: DuckDB sorts their (block, line, offset, length) on disk."""
    blocks = np.random.default_rng(3).integers(0, 50_000, 2_000_000)
    path = tmp_path / "blocks.csv"
    path.write_text("number,x\n" + "".join(f"{b},{i % 7}\n" for i, b in enumerate(blocks)))
    monkeypatch.setattr(_block_order, "SORT_MEMORY", "64MB")  # < 2M x 4 int64 values
    lines, origin = read_copy(path, csv_layout(0), tmp_path / "tmp")
    want = np.lexsort((np.arange(len(blocks)), blocks))
    assert origin == (want + 2).tolist()
    assert lines[1:5] == [f"{blocks[i]},{i % 7}\n".encode() for i in want[:4]]
