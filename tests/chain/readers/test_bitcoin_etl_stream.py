"""The streaming JSON-lines path of the bitcoin-etl reader against the record-by-record path,
on bitcoin-etl's real exports (../shared/data/btc-rpc-bitcoin-etl), in chunks of any size."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest

from chainsleuth.chain.readers import _etl_json
from chainsleuth.chain.readers._etl_stream import stream_json
from chainsleuth.chain.readers._etl_tables import read_tables
from chainsleuth.chain.readers.bitcoin_etl import read_bitcoin_etl
from chainsleuth.errors import MalformedRecord

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


def test_block_after_its_batch_is_refused(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_etl_json, "CHUNK_BYTES", 1)
    blocks, txs = files(data_dir, "stream_50001_50002")
    lines = blocks.read_text().splitlines()
    late = tmp_path / "blocks.json"
    late.write_text("\n".join([*lines, lines[0]]) + "\n")  # block 50001 again, at the end
    with pytest.raises(MalformedRecord, match="comes after block 50001 was read") as err:
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
