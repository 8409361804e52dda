"""The block numbers of export files, read by the byte scan where each format keeps them:
real exports are found in order, batches finished out of order are not.

Inputs: ethereum-etl's and bitcoin-etl's real exports (../shared/data) and the simulator's
classroom world (ethereum-etl CSV).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from tests.chain.readers.test_block_order import (
    BTC,
    ETH,
    batches_permuted,
    csv_block,
    json_block,
    scattered,
    write,
)

from chainsleuth.chain.readers import _block_numbers
from chainsleuth.chain.readers._block_numbers import (
    Layout,
    Order,
    block_order,
    csv_layout,
    json_layout,
)
from chainsleuth.simulate import simulate_world


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


def test_unreadable_block_numbers_are_passed_over(data_dir: Path, tmp_path: Path) -> None:
    """Bad JSON, a missing key, a fraction, blank lines, CRLF, no newline at the end."""
    rows = (data_dir / BTC / "stream_50001_50002/expected_transactions.json").read_text()
    good = rows.splitlines()
    bad = ['{"hash": "ab", "block_number": 7', '{"hash": "cd"}', '{"block_number": 1.5}']
    path = tmp_path / "txs.json"
    path.write_bytes("\r\n".join([bad[0], good[0], "", bad[1], *good[1:], "  ", bad[2]]).encode())
    assert block_order(path, json_layout("block_number")) == Order(True, 50001)


@pytest.mark.parametrize("size", [1, 64])  # 1: a line per piece; 64: lines longer than it
def test_pieces_of_any_size_read_the_same(
    world: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: int
) -> None:
    header, *rows = (world / "token_transfers.csv").read_text().splitlines()
    layout = csv_layout(header.split(",").index("block_number"))
    path = write(tmp_path / "tt.csv", [header, *scattered(rows)])
    whole = [
        (line, at, e.tolist(), k.tolist()) for line, at, e, k in _block_numbers.pieces(path, layout)
    ]
    monkeypatch.setattr(_block_numbers, "SCAN_BYTES", size)
    small = list(_block_numbers.pieces(path, layout))
    assert len(small) > len(whole)
    keys = [k for *_, found in small for k in found.tolist()]
    assert (
        keys
        == [k for *_, found in whole for k in found]
        == [int(r.split(",")[-1]) for r in path.read_text().splitlines()[1:]]
    )
    assert block_order(path, layout) == Order(False, 1)
