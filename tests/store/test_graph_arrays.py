"""The store's UtxoGraph / AccountGraph arrays equal the hand-drawn builders' for the same rows."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from builders import T, account_batch, evm, txid
from tests.conftest import DATA

from chainsleuth.analysis import (
    NO_ID,
    AccountGraph,
    Adjacency,
    UtxoGraph,
    account_graph_from_rows,
    utxo_graph_from_rows,
)
from chainsleuth.chain.address import hash160
from chainsleuth.chain.readers.ethereum_etl import read_ethereum_etl
from chainsleuth.chain.readers.rawblock import read_raw_blocks
from chainsleuth.errors import Invalid, NotFound
from chainsleuth.store import ChainStore, open_store
from chainsleuth.store.manifest import INDEX_FILES
from conftest import batch_of, chain_blocks

JAN_2020 = 1577836800  # the builders' block time
JAN_2021 = 1609459200
HUGE = 2**200 + 12345


def assert_same(a: Any, b: Any) -> None:
    """Field by field: same dtypes, same values."""
    assert type(a) is type(b)
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, Adjacency):
            for part in ("indptr", "indices"):
                xs, ys = getattr(x, part), getattr(y, part)
                assert xs.dtype == ys.dtype and np.array_equal(xs, ys), f"{f.name}.{part}"
        elif isinstance(x, np.ndarray):
            assert x.dtype == y.dtype, f.name
            assert np.array_equal(x, y), f.name
        else:
            assert x == y, f.name


def without_coinbase_inputs(g: UtxoGraph) -> UtxoGraph:
    """The builders leave out the coinbase input rows the store keeps (prev -1, value -1)."""
    in_tx = g.in_tx()
    keep = ~g.tx_coinbase[in_tx]
    cb = ~keep
    assert (g.in_prev_out[cb] == -1).all() and (g.in_value[cb] == -1).all()
    assert (g.in_addr[cb] == NO_ID).all()
    in_start = np.zeros(g.n_txs + 1, np.int64)
    np.cumsum(np.bincount(in_tx[keep], minlength=g.n_txs), out=in_start[1:])
    renumber = np.cumsum(keep) - 1
    rows = g.addr_inputs.indices
    return dataclasses.replace(
        g,
        in_start=in_start,
        in_prev_out=g.in_prev_out[keep],
        in_value=g.in_value[keep],
        in_addr=g.in_addr[keep],
        in_sequence=g.in_sequence[keep],
        addr_inputs=Adjacency(np.asarray(g.addr_inputs.indptr), renumber[rows]),
    )


def ids(store: ChainStore, sql: str) -> dict[Any, int]:
    with store.connect() as con:
        return {tuple(k) if len(k) > 1 else k[0]: i for *k, i in con.execute(sql).fetchall()}


def utxo_reference(store: ChainStore, heights: list[int]) -> UtxoGraph:
    """The builders' graph of ``chain_blocks`` at ``heights``, with the store's address ids."""
    addr = ids(store, "SELECT script_type, payload, addr_id FROM btc_addresses")
    blocks = chain_blocks()
    txs: list[T] = [t for h in heights for t in blocks[h]]
    pos = {t.name: i for i, t in enumerate(txs)}

    def addr_id(script: tuple[int, bytes]) -> int:
        st, payload = script
        if st == 5:
            return int(NO_ID)
        return addr[(2, hash160(payload))] if st == 1 else addr[script]

    rows = [
        {
            "outputs": [(addr_id(s), v, s[0]) for v, s in t.outs],
            "inputs": [(pos[name], vout) for name, vout in t.ins],
            "height": h,
            "time": JAN_2020,
        }
        for h in heights
        for t in blocks[h]
    ]
    return utxo_graph_from_rows(rows, n_addresses=len(addr))


def test_utxo_arrays_equal_builder(store_dir: Path) -> None:
    store = open_store(store_dir)
    store.ingest([batch_of([0, 1]), batch_of([2]), batch_of([3, 4])], chain="btc", unit_rows=1)
    with pytest.raises(NotFound, match="build_index"):
        store.utxo_graph("btc")
    store.build_index("btc")
    graph = store.utxo_graph("btc")
    assert isinstance(graph.tx_height, np.memmap)
    assert_same(without_coinbase_inputs(graph), utxo_reference(store, [0, 1, 2, 3, 4]))
    # a deliberately checked fact: t3 (tx 6) spends cb1:0 (output row 1) and t2:0 (row 6)
    assert list(graph.in_prev_out[graph.in_start[6] : graph.in_start[7]]) == [1, 6]
    assert int(graph.tx_fee[6]) == 5000 + 4300 - 9000
    (index,) = (store_dir / "chains/btc").glob("index-*")
    assert sorted(p.name for p in index.iterdir()) == sorted(INDEX_FILES["utxo"])
    with pytest.raises(Invalid, match="utxo chain"):
        store.account_graph("btc")


def test_incremental_rebuild_equals_fresh_store(tmp_path: Path) -> None:
    grown = open_store(tmp_path / "grown")
    grown.ingest([batch_of([0, 1])], chain="btc")
    assert grown.build_index("btc").n_txs == 3
    grown.ingest([batch_of([2]), batch_of([3, 4])], chain="btc")
    grown.build_index("btc")
    fresh = open_store(tmp_path / "fresh")
    fresh.ingest([batch_of([0, 1, 2, 3, 4])], chain="btc")
    fresh.build_index("btc")
    assert_same(grown.utxo_graph("btc"), fresh.utxo_graph("btc"))


def view(store: ChainStore, g: UtxoGraph) -> dict[bytes, Any]:
    """Every transaction by txid, with ids replaced by txids and address keys."""
    tx_hash = {i: h for h, i in ids(store, "SELECT txid, tx_id FROM btc_transactions").items()}
    key: dict[int, Any] = {
        i: k
        for k, i in ids(store, "SELECT script_type, payload, addr_id FROM btc_addresses").items()
    }
    key[int(NO_ID)] = None
    out_tx = g.out_tx()

    def outpoint(row: int) -> tuple[bytes, int] | None:
        if row < 0:
            return None
        t = int(out_tx[row])
        return tx_hash[t], row - int(g.out_start[t])

    out: dict[bytes, Any] = {}
    for t in range(g.n_txs):
        ins, outs = (
            range(g.in_start[t], g.in_start[t + 1]),
            range(g.out_start[t], g.out_start[t + 1]),
        )
        out[tx_hash[t]] = (
            int(g.tx_height[t]),
            int(g.tx_fee[t]),
            bool(g.tx_coinbase[t]),
            [
                (outpoint(int(g.in_prev_out[i])), int(g.in_value[i]), key[int(g.in_addr[i])])
                for i in ins
            ],
            [
                (int(g.out_value[o]), key[int(g.out_addr[o])], tx_hash.get(int(g.out_spent_tx[o])))
                for o in outs
            ],
        )
    return out


def test_gap_filled_later_keeps_indptrs_consistent(tmp_path: Path) -> None:
    store = open_store(tmp_path / "gap")
    store.ingest([batch_of([0, 1])], chain="btc")
    store.ingest([batch_of([3, 4])], chain="btc")
    store.build_index("btc")
    before = store.utxo_graph("btc")
    # t3 (tx 4) spends t2:0, not stored yet: unresolved, fee unknown
    assert list(before.in_prev_out[before.in_start[4] : before.in_start[5]]) == [1, -1]
    assert list(before.in_value[before.in_start[4] : before.in_start[5]]) == [5000, -1]
    assert int(before.tx_fee[4]) == -1
    store.ingest([batch_of([2])], chain="btc")
    store.build_index("btc")
    g = store.utxo_graph("btc")
    assert list(g.tx_height) == [0, 1, 1, 3, 3, 4, 4, 2, 2]  # tx_id order is ingest order
    with store.connect() as con:
        counts = con.execute(
            "SELECT input_count, output_count FROM btc_transactions ORDER BY tx_id"
        ).fetchnumpy()
    assert np.array_equal(np.diff(g.in_start), counts["input_count"])
    assert np.array_equal(np.diff(g.out_start), counts["output_count"])
    assert (g.in_start[-1], g.out_start[-1]) == (g.n_inputs, g.n_outputs)
    assert list(g.in_prev_out[g.in_start[4] : g.in_start[5]]) == [1, 10]  # t2:0 is row 10 now
    assert int(g.tx_fee[4]) == 300 and int(g.out_spent_tx[10]) == 4
    inorder = open_store(tmp_path / "inorder")
    inorder.ingest([batch_of([0, 1, 2, 3, 4])], chain="btc")
    inorder.build_index("btc")
    assert view(store, g) == view(inorder, inorder.utxo_graph("btc"))


def account_rows(store: ChainStore) -> tuple[list[dict[str, Any]], int]:
    """Block 1 (txs e1, e2 failed, e3), block 2 (e4), their traces, tokens and rewards."""
    txs = [
        {"name": "e1", "block": 1, "from": evm(1), "to": evm(2), "value": 10**30 + 1},
        {"name": "e2", "block": 1, "from": evm(2), "to": evm(3), "value": 7, "status": 0},
        {"name": "e3", "block": 1, "from": evm(3), "to": evm(4), "value": 0},
        {"name": "e4", "block": 2, "from": evm(4), "to": evm(1), "value": 2**64 + 3},
    ]
    traces = [
        {"block": 1, "tx": "e1", "path": "", "from": evm(1), "to": evm(2), "value": 10**30 + 1},
        {"block": 1, "tx": "e1", "path": "0", "from": evm(2), "to": evm(5), "value": 3},
        {"block": 1, "tx": "e1", "path": "1", "from": evm(2), "to": evm(6), "value": 0},
        {"block": 1, "tx": "e1", "path": "0,0", "from": evm(5), "to": evm(6), "value": 2},
        {"block": 1, "tx": None, "path": "", "from": evm(0), "to": evm(7), "value": 2 * 10**18},
        {"block": 2, "tx": "e4", "path": "0", "from": evm(1), "to": evm(3), "value": 1},
    ]
    tokens = [
        {"block": 1, "tx": "e3", "token": evm(9), "from": evm(3), "to": evm(4), "value": HUGE},
        {"block": 1, "tx": "e1", "token": evm(9), "from": evm(2), "to": evm(1), "value": 2**127},
        {"block": 2, "tx": "e4", "token": evm(8), "from": evm(4), "to": evm(2), "value": 5},
    ]
    b1 = account_batch([1], txs[:3], traces[:5], tokens[:2])
    b2 = account_batch([2], txs[3:], traces[5:], tokens[2:])
    store.ingest([b2], chain="eth")  # block 2 first: tx ids are not replay order
    store.ingest([b1], chain="eth")
    a = ids(store, "SELECT address, addr_id FROM eth_addresses")
    t = ids(store, "SELECT hash, tx_id FROM eth_transactions")

    def e(tx: str | None, kind: int, src: int, dst: int, value: int, **kw: Any) -> dict[str, Any]:
        block = 2 if tx == "e4" else 1
        return {
            "tx": t[txid(tx)] if tx else int(NO_ID),
            "kind": kind,
            "src": a[evm(src)],
            "dst": a[evm(dst)],
            "value": value,
            "block": block,
            "time": JAN_2021,
        } | {k: a[evm(v)] for k, v in kw.items()}

    rows = [
        e("e1", 0, 1, 2, 10**30 + 1),
        e("e1", 1, 2, 5, 3),
        e("e1", 1, 5, 6, 2),  # source order; the zero-value and root traces are left out
        e("e1", 2, 2, 1, 2**127, token=9),
        e("e3", 0, 3, 4, 0),  # e2 failed
        e("e3", 2, 3, 4, HUGE, token=9),
        e(None, 3, 0, 7, 2 * 10**18),  # the reward comes after the block's transactions
        e("e4", 0, 4, 1, 2**64 + 3),
        e("e4", 1, 1, 3, 1),
        e("e4", 2, 4, 2, 5, token=8),
    ]
    return rows, len(a)


def test_account_arrays_equal_builder(store_dir: Path) -> None:
    store = open_store(store_dir)
    rows, n_addr = account_rows(store)
    with pytest.raises(NotFound, match="build_index"):
        store.account_graph("eth")
    store.build_index("eth")
    graph = store.account_graph("eth")
    expected = account_graph_from_rows(rows, n_addresses=n_addr)
    assert_same(graph, dataclasses.replace(expected, n_txs=4))
    assert list(graph.edge_overflow) == [False] * 5 + [True] + [False] * 4
    csr = store.graph("eth")
    assert np.array_equal(csr.arrays["edge_kind"], graph.edge_kind)
    assert np.array_equal(csr.adjacency["addr_out"].indices, graph.addr_out.indices)


@pytest.fixture(scope="module")
def first_blocks(tmp_path_factory: pytest.TempPathFactory) -> ChainStore:
    store = open_store(tmp_path_factory.mktemp("btc") / "store")
    path = DATA / "btc-blocks-hadoopcryptoledger" / "firstblocks.blk"
    store.ingest(read_raw_blocks(path, batch_blocks=100), chain="btc", unit_rows=500)
    store.build_index("btc")
    return store


HAL = "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16"


def test_first_blocks_fees_and_coinbases(first_blocks: ChainStore) -> None:
    g = first_blocks.utxo_graph("btc")
    with first_blocks.connect() as con:
        t = con.execute(
            "SELECT coalesce(fee, -1) AS fee, is_coinbase FROM btc_transactions ORDER BY tx_id"
        ).fetchnumpy()
    assert (g.n_txs, g.n_inputs, g.n_outputs) == (605, 590 + 24, 590 + 25)
    assert np.array_equal(g.tx_fee, t["fee"]) and not g.tx_fee.any()
    assert np.array_equal(g.tx_coinbase, t["is_coinbase"]) and int(g.tx_coinbase.sum()) == 590
    assert int(g.tx_time[0]) == 1231006505  # genesis, 2009-01-03 18:15:05 UTC
    assert g.tx_height[-1] == 589 and (np.diff(g.tx_height) >= 0).all()
    unspent = g.out_spent_tx == NO_ID
    coinbase_out = g.tx_coinbase[g.out_tx()]
    assert int(g.out_value[unspent].sum()) + int(g.tx_fee[~g.tx_coinbase].sum()) == int(
        g.out_value[coinbase_out].sum()
    )
    assert int(g.out_value[coinbase_out].sum()) == 590 * 50 * 10**8
    assert (g.in_prev_out[~g.tx_coinbase[g.in_tx()]] >= 0).all()


def test_first_blocks_hal_spends_block_9(first_blocks: ChainStore) -> None:
    g = first_blocks.utxo_graph("btc")
    hal = ids(first_blocks, "SELECT txid, tx_id FROM btc_transactions")[bytes.fromhex(HAL)]
    assert int(g.tx_height[hal]) == 170
    (row,) = range(g.in_start[hal], g.in_start[hal + 1])
    spent = int(g.in_prev_out[row])
    spender_tx = int(g.out_tx()[spent])
    assert int(g.tx_height[spender_tx]) == 9 and g.tx_coinbase[spender_tx]
    assert int(g.out_spent_tx[spent]) == hal and int(g.in_value[row]) == 50 * 10**8
    assert int(g.in_addr[row]) == int(g.out_addr[spent])
    assert row in g.addr_inputs.row(int(g.in_addr[row]))
    assert spent in g.addr_outputs.row(int(g.out_addr[spent]))
    assert [int(v) for v in g.out_value[g.out_start[hal] : g.out_start[hal + 1]]] == [
        10 * 10**8,
        40 * 10**8,
    ]


WETH = bytes.fromhex("c02aaa39b223fe8d0a0e5c4f27ead9083c756cc2")
BIG_TOKEN = bytes.fromhex("cd2b042e904a935b2f1f9f3a2a5e73070f24aecc")


def test_ethereum_etl_stream_edges(tmp_path: Path) -> None:
    folder = DATA / "eth-ethereum-etl/test_stream/blocks_17173049_17173050"
    store = open_store(tmp_path / "store")
    store.ingest(read_ethereum_etl(folder), chain="eth")
    store.build_index("eth")
    g: AccountGraph = store.account_graph("eth")
    assert np.bincount(g.edge_kind, minlength=4).tolist() == [289, 0, 282, 0]
    a = ids(store, "SELECT address, addr_id FROM eth_addresses")
    assert int((g.edge_token == a[WETH]).sum()) == 88
    exported = [
        json.loads(line)
        for line in (folder / "expected_token_transfers.json").read_text().splitlines()
    ]
    for token, block, log_index, value in (
        (WETH, 17173050, 74, 12013451935700119211),
        (BIG_TOKEN, 17173049, 81, 7786596450288373164569331648084),
    ):
        row = next(r for r in exported if (r["block_number"], r["log_index"]) == (block, log_index))
        assert int(row["value"]) == value and row["token_address"] == "0x" + token.hex()
        e = np.flatnonzero(
            (g.edge_token == a[token]) & (g.edge_src == a[_addr(row["from_address"])])
        )
        hits = [i for i in e if int(g.edge_value_hi[i]) << 64 | int(g.edge_value_lo[i]) == value]
        assert len(hits) == 1
        assert g.edge_value[hits[0]] == float(value) and not g.edge_overflow[hits[0]]
        assert int(g.edge_time[hits[0]]) == row["block_timestamp"]
    assert (np.diff(g.edge_block) >= 0).all() and set(g.edge_block.tolist()) == {
        17173049,
        17173050,
    }


def _addr(text: str) -> bytes:
    return bytes.fromhex(text.removeprefix("0x"))


def test_reward_without_sender(store_dir: Path) -> None:
    store = open_store(store_dir)
    reward = {"block": 5, "tx": None, "path": "", "from": None, "to": evm(7), "value": 9}
    store.ingest([account_batch([5], [], [reward])], chain="eth")
    store.build_index("eth")
    g = store.account_graph("eth")
    assert (g.n_edges, int(g.edge_kind[0]), int(g.edge_src[0]), int(g.edge_tx[0])) == (
        1,
        3,
        int(NO_ID),
        int(NO_ID),
    )
    assert (g.n_addresses, list(g.addr_out.indptr), list(g.addr_in.row(0))) == (1, [0, 0], [0])
