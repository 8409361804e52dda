"""The bitcoin-etl export of the UTXO chain reads back to the raw blocks' canonical rows."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest

from chainsleuth.chain.readers import read_bitcoin_etl, read_raw_blocks
from chainsleuth.simulate import simulate_world


def _read(batches: object) -> dict[str, pa.Table]:
    parts: dict[str, list[pa.Table]] = {}
    for batch in batches:  # type: ignore[attr-defined]
        for name in ("blocks", "transactions", "inputs", "outputs"):
            parts.setdefault(name, []).append(batch[name])
    return {name: pa.concat_tables(p).combine_chunks() for name, p in parts.items()}


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("etl")
    simulate_world(out, preset="classroom", seed=7, bitcoin_etl=True)
    return out


def test_export_reads_as_the_raw_blocks(exported: Path) -> None:
    raw = _read(read_raw_blocks(sorted((exported / "btc").glob("blk*.dat")), network="regtest"))
    etl = _read(read_bitcoin_etl(exported / "btc-etl"))
    assert etl["blocks"].drop_columns(["prev_hash"]) == raw["blocks"].drop_columns(["prev_hash"])
    assert etl["blocks"]["prev_hash"][1:] == raw["blocks"]["prev_hash"][1:]
    for name in ("transactions", "outputs"):
        assert etl[name] == raw[name], name
    enriched = ["prev_value", "prev_address_type", "prev_address"]
    assert etl["inputs"].drop_columns(enriched) == raw["inputs"].drop_columns(enriched)
    assert raw["inputs"]["prev_value"].null_count == len(raw["inputs"])


def test_enriched_inputs_name_the_spent_outputs(exported: Path) -> None:
    etl = _read(read_bitcoin_etl(exported / "btc-etl"))
    outs = etl["outputs"].to_pydict()
    spent = {
        (t, v): (value, kind, payload)
        for t, v, value, kind, payload in zip(
            outs["txid"],
            outs["vout"],
            outs["value"],
            outs["script_type"],
            outs["payload"],
            strict=True,
        )
    }
    ins = etl["inputs"].to_pydict()
    rows = zip(ins["prev_txid"], ins["prev_vout"], ins["prev_value"], ins["prev_address_type"],
               ins["prev_address"], strict=True)  # fmt: skip
    checked = 0
    for txid, vout, value, kind, address in rows:
        if vout == 0xFFFFFFFF:
            assert value is None
            continue
        assert spent[(txid, vout)] == (value, kind, address)
        checked += 1
    assert checked == len(ins["txid"]) - len(etl["blocks"])


def test_export_shape_is_bitcoin_etls(exported: Path, data_dir: Path) -> None:
    theirs = data_dir / "btc-rpc-bitcoin-etl" / "block_with_transactions"
    for name in ("blocks", "transactions"):
        real = json.loads((theirs / f"expected_{name}.json").read_text().splitlines()[0])
        ours = json.loads((exported / "btc-etl" / f"{name}.json").read_text().splitlines()[0])
        assert list(ours) == list(real), name
    real_tx = json.loads((theirs / "expected_transactions.json").read_text().splitlines()[1])
    lines = (exported / "btc-etl" / "transactions.json").read_text().splitlines()
    ours_tx = [json.loads(line) for line in lines]
    spend = next(t for t in ours_tx if t["inputs"])
    assert list(spend["inputs"][0]) == list(real_tx["inputs"][0])
    assert list(spend["outputs"][0]) == list(real_tx["outputs"][0])
