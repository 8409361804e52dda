"""Recognising source files and folders, on the real bundled data."""

from __future__ import annotations

from pathlib import Path

import pytest

from chainsleuth.chain.readers import detect_format, group_sources, plan_sources, read_plan
from chainsleuth.errors import Invalid, MalformedRecord


def test_every_real_file_is_recognised_or_left_alone(data_dir: Path) -> None:
    found = {
        str(p.relative_to(data_dir)): detect_format(p)
        for p in sorted(data_dir.rglob("*"))
        if p.is_file() and p.parts[-2] in {"btc-blocks-bcoin", "btc-blocks-btcd", "block_0"}
    }
    assert found == {
        "btc-blocks-bcoin/SHA256SUMS": None,
        "btc-blocks-bcoin/SOURCE.md": None,
        "btc-blocks-bcoin/block300025-undo.raw": None,  # binary, but not a block
        "btc-blocks-bcoin/block300025.raw": "raw-blocks",
        "btc-blocks-bcoin/block426884.raw": "raw-blocks",
        "btc-blocks-bcoin/block482683.raw": "raw-blocks",
        "btc-blocks-btcd/277647.dat.bz2": "raw-blocks",
        "btc-blocks-btcd/277647.utxostore.bz2": None,
        "btc-blocks-btcd/SHA256SUMS": None,
        "btc-blocks-btcd/SOURCE.md": None,
        "btc-blocks-btcd/bip69-1.hex": None,
        "btc-blocks-btcd/bip69-2.hex": None,
        "btc-blocks-btcd/bip69-3.hex": None,
        "btc-blocks-btcd/bip69-4.hex": None,
        "btc-blocks-btcd/bip69-5.hex": None,
        "btc-blocks-btcd/block-0000000000000000001602407ac49862a7bca9d00f7f402db20b7be2f5de59d2.blk": "raw-blocks",  # noqa: E501
        "btc-blocks-btcd/block-00000000000000000021868c2cefc52a480d173c849412fe81c4e5ab806f94ab.blk": "raw-blocks",  # noqa: E501
        "btc-blocks-btcd/blockheaders-mainnet-1-11.txt": None,
        "btc-blocks-btcd/megatx.bin.bz2": None,
        "btc-rpc-bitcoin-etl/block_0/expected_blocks.json": "bitcoin-etl",
        "btc-rpc-bitcoin-etl/block_0/expected_transactions.json": "bitcoin-etl",
        "btc-rpc-bitcoin-etl/block_0/rpc_response_getblock_000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f_2.json": "bitcoind-rpc",  # noqa: E501
        "btc-rpc-bitcoin-etl/block_0/rpc_response_getblockhash_0.json": None,
    }


def test_ethereum_files_and_chain_tip_probes(data_dir: Path) -> None:
    stream = data_dir / "eth-ethereum-etl/test_stream/blocks_1755634_1755635"
    groups = group_sources([stream])
    assert set(groups) == {"ethereum-etl", "eth-rpc"}
    assert not any("latest" in p.name for p in groups["eth-rpc"])
    assert detect_format(stream / "expected_token_transfers.json") == "ethereum-etl"


def test_a_named_file_must_be_chain_data(data_dir: Path) -> None:
    with pytest.raises(Invalid, match=r"SOURCE\.md: not a chain data format"):
        group_sources([data_dir / "btc-blocks-bcoin" / "SOURCE.md"])
    with pytest.raises(Invalid, match="no such file"):
        group_sources([data_dir / "nope.blk"])
    with pytest.raises(Invalid, match="unknown format 'blk'"):
        group_sources([data_dir / "btc-blocks-bcoin"], fmt="blk")


def test_plans_keep_one_chain_family(data_dir: Path) -> None:
    plan = plan_sources([data_dir / "btc-blocks-bcoin"], fmt=None, chain=None)
    assert (plan.chain, plan.family, list(plan.groups)) == ("btc", "utxo", ["raw-blocks"])
    with pytest.raises(Invalid, match="mix UTXO and account"):
        plan_sources(
            [data_dir / "btc-blocks-bcoin", data_dir / "eth-ethereum-etl/test_stream"],
            fmt=None,
            chain=None,
        )
    with pytest.raises(Invalid, match="no chain data found"):
        plan_sources([data_dir / "ofac-sdn"], fmt=None, chain=None)


def test_height_only_for_raw_blocks_and_forced_formats_fail_clearly(data_dir: Path) -> None:
    plan = plan_sources([data_dir / "btc-rpc-bitcoin-etl/block_0"], fmt=None, chain=None)
    with pytest.raises(Invalid, match="--height applies to raw block files only"):
        list(read_plan(plan, batch_blocks=10, network="mainnet", start_height=5))
    forced = plan_sources(
        [data_dir / "btc-blocks-bcoin/block300025-undo.raw"], fmt="raw-blocks", chain=None
    )
    with pytest.raises(MalformedRecord, match=r"block300025-undo\.raw"):
        list(read_plan(forced, batch_blocks=10, network="mainnet", start_height=None))
