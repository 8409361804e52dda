"""The streaming JSON-lines path of the bitcoin-etl reader against the record-by-record path,
on bitcoin-etl's real exports (../shared/data/btc-rpc-bitcoin-etl), in chunks of any size;
and files out of block order (the simulator's classroom export, reordered as bitcoin-etl's
parallel batches leave it) against the same files in order."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest
from tests.chain.readers.test_block_order import (
    batches_permuted,
    json_block,
    moves,
    scattered,
    write,
)

from chainsleuth.chain.batch import ChainBatch
from chainsleuth.chain.readers import _etl_json
from chainsleuth.chain.readers._block_order import block_order
from chainsleuth.chain.readers._etl_json import LAYOUT
from chainsleuth.chain.readers._etl_stream import stream_json
from chainsleuth.chain.readers._etl_tables import read_tables
from chainsleuth.chain.readers.bitcoin_etl import read_bitcoin_etl
from chainsleuth.errors import MalformedRecord
from chainsleuth.simulate import simulate_world

TABLES = ("blocks", "transactions", "inputs", "outputs")
CASES = ("stream_50001_50002", "block_1", "block_without_transactions", "block_0")


def files(data_dir: Path, *cases: str) -> list[Path]:
    root = data_dir / "btc-rpc-bitcoin-etl"
    return [root / c / f"expected_{k}.json" for c in cases for k in ("blocks", "transactions")]


def concat(batches: list[pa.Table]) -> dict[str, pa.Table]:
    return {t: pa.concat_tables([b[t] for b in batches]) for t in TABLES}


@pytest.mark.parametrize("chunk", [1, 1 << 20])  # 1: every line is a chunk of its own
def test_stream_equals_record_path(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr(_etl_json, "CHUNK_BYTES", chunk)
    paths = files(data_dir, *CASES)
    streamed = list(stream_json(paths, 2))
    assert [b["blocks"]["height"].to_pylist() for b in streamed] == [
        [0, 1],
        [50000, 50001],
        [50002],
    ]
    assert concat(streamed) == concat(list(read_tables(paths, 500)))


def test_block_again_after_its_batch_is_refused(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file is out of order, so it is sorted: the repeat meets its twin, on its line."""
    monkeypatch.setattr(_etl_json, "CHUNK_BYTES", 1)
    blocks, txs = files(data_dir, "stream_50001_50002")
    lines = blocks.read_text().splitlines()
    late = tmp_path / "blocks.json"
    late.write_text("\n".join([*lines, lines[0]]) + "\n")  # block 50001 again, at the end
    with pytest.raises(MalformedRecord, match="block 50001 appears twice") as err:
        list(read_bitcoin_etl([late, txs], batch_blocks=1))
    assert (err.value.path, err.value.record, err.value.field) == (str(late), "line 3", "number")


def test_duplicate_block_in_a_chunk(data_dir: Path, tmp_path: Path) -> None:
    blocks, txs = files(data_dir, "stream_50001_50002")
    twice = tmp_path / "blocks.json"
    twice.write_text(blocks.read_text() * 2)
    with pytest.raises(MalformedRecord, match="block 50001 appears twice") as err:
        list(read_bitcoin_etl([twice, txs]))
    assert err.value.record == "line 3"


def test_bad_hex_names_nested_field(data_dir: Path, tmp_path: Path) -> None:
    blocks, txs = files(data_dir, "stream_50001_50002")
    records = [json.loads(line) for line in txs.read_text().splitlines()]
    records[1]["outputs"][0]["script_hex"] = "76a9zz"
    bad = tmp_path / "transactions.json"
    bad.write_text("".join(json.dumps(r) + "\n" for r in records))
    with pytest.raises(MalformedRecord, match="not hex: '76a9zz'") as err:
        list(read_bitcoin_etl([blocks, bad]))
    assert (err.value.record, err.value.field) == ("line 2", "outputs[0].script_hex")


@pytest.fixture(scope="module")
def etl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The classroom world's bitcoin-etl export: 72 blocks, 2,081 transactions."""
    out = tmp_path_factory.mktemp("world")
    simulate_world(out, preset="classroom", seed=5, bitcoin_etl=True)
    return out / "btc-etl"


def reorder(rows: list[str], how: str) -> list[str]:
    return batches_permuted(rows, json_block, size=10) if how == "batches" else scattered(rows)


def same_batches(got: list[ChainBatch], want: list[ChainBatch]) -> None:
    assert [b["blocks"]["height"].to_pylist() for b in got] == [
        b["blocks"]["height"].to_pylist() for b in want
    ]
    for a, b in zip(got, want, strict=True):
        assert all(a[t].equals(b[t]) for t in TABLES)


@pytest.mark.parametrize("how", ["batches", "scattered"])
def test_files_out_of_block_order_read_as_in_order(etl: Path, tmp_path: Path, how: str) -> None:
    """As bitcoin-etl's workers write them (runs of 10 blocks, runs shuffled), or anyhow."""
    files = []
    for name in ("blocks.json", "transactions.json"):
        rows = reorder((etl / name).read_text().splitlines(), how)
        files.append(write(tmp_path / name, rows))
        assert not block_order(files[-1], LAYOUT).ordered
    want = list(read_bitcoin_etl(etl, batch_blocks=7))
    same_batches(list(read_bitcoin_etl(files, batch_blocks=7, tmp_dir=tmp_path / "tmp")), want)
    assert list((tmp_path / "tmp").iterdir()) == []


def test_one_file_of_blocks_and_transactions_out_of_order(etl: Path, tmp_path: Path) -> None:
    """The stream form: both kinds in one file, found by their keys."""
    rows = [*(etl / "blocks.json").read_text().splitlines()]
    rows += (etl / "transactions.json").read_text().splitlines()
    mixed = write(tmp_path / "stream.json", reorder(rows, "batches"))
    want = list(read_bitcoin_etl(etl, batch_blocks=20))
    same_batches(list(read_bitcoin_etl(mixed, batch_blocks=20)), want)


def test_bad_record_in_a_shuffled_file_names_its_own_line(etl: Path, tmp_path: Path) -> None:
    blocks = etl / "blocks.json"
    rows = reorder((etl / "transactions.json").read_text().splitlines(), "batches")
    assert moves(rows, 700, json_block)
    record = json.loads(rows[700])
    record["outputs"][0]["script_hex"] = "76a9zz"
    rows[700] = json.dumps(record)
    bad = write(tmp_path / "transactions.json", rows)
    with pytest.raises(MalformedRecord, match="not hex: '76a9zz'") as err:
        list(read_bitcoin_etl([blocks, bad], tmp_dir=tmp_path / "tmp"))
    assert (err.value.path, err.value.record) == (str(bad), "line 701")
    assert err.value.field == "outputs[0].script_hex"
    rows[700] = rows[700][:-40]  # cut short: no longer JSON, the block number still there
    write(bad, rows)
    with pytest.raises(MalformedRecord, match="bad JSON") as err:
        list(read_bitcoin_etl([blocks, bad], tmp_dir=tmp_path / "tmp"))
    assert (err.value.path, err.value.record) == (str(bad), "line 701")
    assert list((tmp_path / "tmp").iterdir()) == []


def test_only_files_out_of_order_are_copied(etl: Path, tmp_path: Path) -> None:
    tmp = tmp_path / "tmp"
    assert len(list(read_bitcoin_etl(etl, batch_blocks=7, tmp_dir=tmp))) == 11
    assert not tmp.exists()  # read in place
    rows = reorder((etl / "transactions.json").read_text().splitlines(), "batches")
    late = write(tmp_path / "transactions.json", rows)
    batches = read_bitcoin_etl([etl / "blocks.json", late], batch_blocks=7, tmp_dir=tmp)
    next(batches)
    assert [p.name for p in tmp.glob("*/*.json")] == ["transactions.json"]
    batches.close()  # given up half-way: the copy goes too
    assert list(tmp.iterdir()) == []
