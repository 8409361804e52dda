"""The benchmark's generator makes valid blocks, and the benchmark command runs (no timings)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from bitcoin.core import CBlock, b2lx

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # benchmarks/ is a top-level folder, not an installed package
    sys.path.insert(0, str(ROOT))

from benchmarks.gen_blocks import (  # noqa: E402
    SUBSIDY,
    GeneratedChain,
    generate_chain,
    read_blk_file,
    sha256d,
)


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> GeneratedChain:
    return generate_chain(tmp_path_factory.mktemp("gen"), txs=800, seed=3, txs_per_block=100)


@pytest.fixture(scope="module")
def blocks(chain: GeneratedChain) -> list[CBlock]:
    return [CBlock.deserialize(raw) for p in chain.blk_paths for raw in read_blk_file(p)]


def test_counts(chain: GeneratedChain, blocks: list[CBlock]) -> None:
    assert len(blocks) == chain.blocks
    assert sum(len(b.vtx) for b in blocks) == chain.txs
    assert sum(len(t.vin) for b in blocks for t in b.vtx) == chain.inputs
    assert sum(len(t.vout) for b in blocks for t in b.vtx) == chain.outputs
    assert sum(o.nValue for b in blocks for t in b.vtx for o in t.vout) == chain.value
    assert chain.txs - chain.blocks >= 800


def test_merkle_roots_commitments_and_heights(blocks: list[CBlock]) -> None:
    prev = b"\x00" * 32
    for height, block in enumerate(blocks, start=700_000):
        assert block.hashPrevBlock == prev
        assert block.calc_merkle_root() == block.hashMerkleRoot
        coinbase = block.vtx[0]
        assert coinbase.is_coinbase()
        assert coinbase.vin[0].scriptSig[1:4] == height.to_bytes(3, "little")  # BIP34
        commitment = coinbase.vout[block.get_witness_commitment_index()].scriptPubKey[6:38]
        assert commitment == sha256d(block.calc_witness_merkle_root() + bytes(32))  # BIP141
        prev = block.GetHash()


def test_txids_match_the_etl_export(chain: GeneratedChain, blocks: list[CBlock]) -> None:
    assert chain.etl_blocks is not None and chain.etl_transactions is not None
    etl_blocks = [json.loads(line) for line in chain.etl_blocks.read_text().splitlines()]
    etl_txs = [json.loads(line) for line in chain.etl_transactions.read_text().splitlines()]
    assert [b["hash"] for b in etl_blocks] == [b2lx(b.GetHash()) for b in blocks]
    assert [t["hash"] for t in etl_txs] == [b2lx(t.GetTxid()) for b in blocks for t in b.vtx]
    sizes = [(t["size"], t["input_count"]) for t in etl_txs]
    parsed = [
        (len(t.serialize()), 0 if t.is_coinbase() else len(t.vin)) for b in blocks for t in b.vtx
    ]
    assert sizes == parsed


def test_shape(blocks: list[CBlock]) -> None:
    txs = [t for b in blocks for t in b.vtx[1:]]
    segwit = sum(t.has_witness() for t in txs) / len(txs)
    assert 0.25 < segwit < 0.55
    assert sum(len(t.vin) == 1 for t in txs) > len(txs) / 2
    assert max(len(t.vin) for t in txs) >= 10
    assert {len(t.vout) for t in txs} <= {1, 2, 3}


def test_inputs_spend_earlier_unspent_outputs(blocks: list[CBlock]) -> None:
    unspent: dict[tuple[bytes, int], int] = {}
    for block in blocks:
        fees = 0
        for tx in block.vtx[1:]:
            spent = 0
            for txin in tx.vin:
                prevout = (txin.prevout.hash, txin.prevout.n)
                assert prevout in unspent, f"{b2lx(tx.GetTxid())} spends a missing or spent output"
                spent += unspent.pop(prevout)
            out = sum(o.nValue for o in tx.vout)
            assert spent - out >= 0
            fees += spent - out
            unspent.update({(tx.GetTxid(), n): o.nValue for n, o in enumerate(tx.vout)})
        coinbase = block.vtx[0]
        assert coinbase.vout[0].nValue == SUBSIDY + fees
        unspent[(coinbase.GetTxid(), 0)] = coinbase.vout[0].nValue


def test_deterministic(tmp_path: Path, chain: GeneratedChain) -> None:
    again = generate_chain(tmp_path, txs=800, seed=3, txs_per_block=100, etl=False)
    assert [p.read_bytes() for p in again.blk_paths] == [p.read_bytes() for p in chain.blk_paths]


def test_bench_chain_quick_runs(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_chain", "--quick", "--results", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    (written,) = tmp_path.glob("bench_chain-*.json")
    doc = json.loads(written.read_text())
    assert doc["machine"]["cores"] >= 1
    assert any(r["case"].startswith("parse real mainnet") for r in doc["rows"])
