"""Block order of export files: the scan finds the block number where each format keeps it,
and a file out of order is copied in block order with every line kept, byte for byte.

Inputs: ethereum-etl's and bitcoin-etl's real exports (../shared/data) and the simulator's
classroom world (ethereum-etl CSV), reordered as parallel export workers leave them.
"""

from __future__ import annotations

import csv
import io
import json
import random
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from chainsleuth.chain.readers import _block_order
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


@pytest.mark.parametrize(
    ("path", "layout", "first"),
    [
        (
            f"{ETH}/test_export_blocks_job/blocks_with_transactions_and_withdrawals/"
            "expected_transactions.csv",
            csv_layout(3),
            17173049,
        ),
        (
            f"{ETH}/test_export_receipts_job/receipts_with_logs/expected_logs.csv",
            csv_layout(4),
            483920,
        ),
        (
            f"{ETH}/test_stream/blocks_17173049_17173050/expected_logs.json",
            json_layout("block_number"),
            17173049,
        ),
        (
            f"{ETH}/test_export_blocks_job/blocks_with_transactions_and_withdrawals/"
            "expected_blocks.json",  # block numbers after nested withdrawals objects
            json_layout("number"),
            17173049,
        ),
        (f"{BTC}/stream_50001_50002/expected_blocks.json", json_layout("number"), 50001),
        (
            f"{BTC}/stream_50001_50002/expected_transactions.json",
            json_layout("number", "block_number"),
            50001,
        ),
    ],
)
def test_real_exports_are_in_block_order(
    data_dir: Path, path: str, layout: Layout, first: int
) -> None:
    assert block_order(data_dir / path, layout) == Order(True, first)


def test_batches_finished_out_of_order_are_found(world: Path, tmp_path: Path) -> None:
    header, *rows = (world / "transactions.csv").read_text().splitlines()
    assert block_order(world / "transactions.csv", csv_layout(3)) == Order(True, 1)
    late = write(tmp_path / "transactions.csv", [header, *batches_permuted(rows, csv_block(3))])
    assert block_order(late, csv_layout(3)) == Order(False, 1)


def test_csv_block_column_after_quoted_commas(data_dir: Path, tmp_path: Path) -> None:
    """BigQuery puts ``topics`` (quoted, commas inside) before ``block_number``."""
    src = data_dir / ETH / "test_export_receipts_job/receipts_with_logs/expected_logs.csv"
    header, *rows = list(csv.reader(src.read_text().splitlines()))
    order = [header.index("topics"), *(i for i, name in enumerate(header) if name != "topics")]
    text = io.StringIO()
    out = csv.writer(text, lineterminator="\n")
    out.writerow([header[i] for i in order])
    for number, row in zip((9, 7), rows, strict=True):  # blocks 9 then 7: out of order
        out.writerow([str(number) if header[i] == "block_number" else row[i] for i in order])
    path = tmp_path / "logs.csv"
    path.write_text(text.getvalue())
    assert '"0xddf252ad' in path.read_text().splitlines()[1].split(",")[0]
    layout = csv_layout(order.index(header.index("block_number")))
    assert block_order(path, layout) == Order(False, 7)


def test_json_key_is_the_top_level_one(tmp_path: Path) -> None:
    """Not a key of a nested object, nor the key's text inside a string value."""
    decoys = '{"type": "x", "inner": {"block_number": 1}, "s": "\\"block_number\\": 2, ", '
    rows = [decoys + f'"list": [{{"block_number": 3}}], "block_number": {n}}}' for n in (8, 5)]
    path = write(tmp_path / "rows.json", rows)
    assert [json_block(r) for r in rows] == [8, 5]
    assert block_order(path, json_layout("block_number")) == Order(False, 5)
    quoted = write(tmp_path / "quoted.json", ['{"block_number": "12"}', '{"block_number":"13"}'])
    assert block_order(quoted, json_layout("block_number")) == Order(True, 12)


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


@pytest.mark.parametrize("size", [1, 64])  # 1: a line per piece; 64: lines longer than it
def test_pieces_of_any_size_give_the_same_copy(
    world: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: int
) -> None:
    header, *rows = (world / "token_transfers.csv").read_text().splitlines()
    path = write(tmp_path / "tt.csv", [header, *scattered(rows)])
    layout = csv_layout(header.split(",").index("block_number"))
    whole = read_copy(path, layout, tmp_path / "whole")
    order = block_order(path, layout)
    monkeypatch.setattr(_block_order, "SCAN_BYTES", size)
    monkeypatch.setattr(_block_order, "COPY_BYTES", size)
    assert block_order(path, layout) == order
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
