"""Clustering real mainnet blocks: co-spends resolved from undo data and from scriptSigs."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from bitcoin.core import CBlock
from bitcoin.core.script import CScript

from chainsleuth.analysis.cluster import cluster_addresses
from chainsleuth.analysis.coinjoin import CoinJoinKind, detect_coinjoins, mixing
from chainsleuth.analysis.explain import explain
from chainsleuth.analysis.graph import NO_ID, UtxoGraph
from chainsleuth.analysis.graph_build import utxo_graph_from_rows
from chainsleuth.chain.address import address_key, hash160
from chainsleuth.chain.readers.rawblock import read_raw_blocks
from chainsleuth.chain.script import ScriptType, classify_many


class _Ids:
    """Dense ids for address keys, in first-seen order (a dict is fine at test size)."""

    def __init__(self) -> None:
        self.ids: dict[tuple[int, bytes], int] = {}

    def of(self, script_type: int, payload: bytes) -> int:
        key = address_key(script_type, payload)
        if key is None:
            return int(NO_ID)
        return self.ids.setdefault((int(key[0]), key[1]), len(self.ids))


def _undo_scripts(data: bytes) -> Iterator[tuple[int, bytes]]:
    """bcoin undo records: int64 LE value, CompactSize script length, script."""
    pos = 0
    while pos < len(data):
        (value,) = struct.unpack_from("<q", data, pos)
        size, width = data[pos + 8], {0xFD: 2, 0xFE: 4, 0xFF: 8}.get(data[pos + 8], 0)
        if width:
            size = int.from_bytes(data[pos + 9 : pos + 9 + width], "little")
        start = pos + 9 + width
        yield value, data[start : start + size]
        pos = start + size


def _block_rows(path: Path, spent: list[tuple[int, int]], ids: _Ids) -> list[dict[str, Any]]:
    """A funding tx holding every spent output (addr id, value), then the block's txs."""
    (batch,) = list(read_raw_blocks(path))
    txs = batch.tables["transactions"].to_pylist()
    outs = batch.tables["outputs"].to_pylist()
    rows: list[dict[str, Any]] = [{"inputs": [], "outputs": spent}]
    k = 0
    for tx in txs:
        n_in = 0 if tx["is_coinbase"] else tx["input_count"]
        mine = [o for o in outs if o["txid"] == tx["txid"]]
        rows.append(
            {
                "inputs": [(0, k + i) for i in range(n_in)],
                "outputs": [
                    (ids.of(o["script_type"], o["payload"]), o["value"], o["script_type"])
                    for o in mine
                ],
            }
        )
        k += n_in
    assert k == len(spent)
    return rows


@pytest.fixture(scope="module")
def block_300025(data_dir: Path) -> UtxoGraph:
    bcoin = data_dir / "btc-blocks-bcoin"
    undo = list(_undo_scripts((bcoin / "block300025-undo.raw").read_bytes()))
    types, payloads = classify_many([script for _, script in undo])
    ids = _Ids()
    spent = [(ids.of(t, p), v, int(t)) for (v, _), t, p in zip(undo, types, payloads, strict=True)]
    rows = _block_rows(bcoin / "block300025.raw", spent, ids)
    return utxo_graph_from_rows(rows, n_addresses=len(ids.ids))


def _components(graph: UtxoGraph, use: np.ndarray) -> dict[int, int]:
    """Reference partition by a plain Python union-find over the same co-spends."""
    parent = list(range(graph.n_addresses))

    def find(x: int) -> int:
        while parent[x] != x:
            x = parent[x]
        return x

    for t in np.flatnonzero(use):
        row = graph.in_addr[graph.in_start[t] : graph.in_start[t + 1]]
        addrs = [int(a) for a in row if a != NO_ID]
        for a in addrs[1:]:
            ra, rb = find(addrs[0]), find(a)
            parent[max(ra, rb)] = min(ra, rb)
    return {x: find(x) for x in range(graph.n_addresses)}


def test_block_300025_co_spends_with_undo_data(block_300025: UtxoGraph) -> None:
    graph = block_300025
    assert (graph.n_txs, graph.n_inputs, graph.n_outputs - 1427) == (462, 1427, 1226)
    assert int(graph.tx_fee[2:].sum()) == 7_773_345  # the fee identity from SOURCE.md
    kinds = detect_coinjoins(graph)
    # 2014, before JoinMarket and Wasabi: exchange batch payouts of round equal amounts
    # look like mixes (false positives keep co-spends apart, the safe side)
    flagged = {int(t): CoinJoinKind(int(kinds[t])).name for t in np.flatnonzero(kinds)}
    joinmarket_like = dict.fromkeys([169, 436], "JOINMARKET")
    assert flagged == joinmarket_like | dict.fromkeys([433, 435, 439, 449, 451], "GENERIC")
    clusters = cluster_addresses(graph)
    reference = _components(graph, ~graph.tx_coinbase & ~mixing(kinds))
    assert clusters.cluster.tolist() == [reference[x] for x in range(graph.n_addresses)]
    n_in = np.diff(graph.in_start)
    widest = int(np.argmax(n_in))
    assert n_in[widest] == 59
    addrs = np.unique(graph.in_addr[graph.in_start[widest] : graph.in_start[widest + 1]])
    assert len(set(clusters.cluster[addrs].tolist())) == 1
    steps = explain(graph, clusters, int(addrs[0]), int(addrs[-1]))
    assert steps and all(s.heuristic == "multi_input" for s in steps)
    assert steps[0].joined[0] == addrs[0] and steps[-1].joined[1] == addrs[-1]


def _pubkey_address(script_sig: bytes) -> bytes | None:
    """hash160 of the public key a P2PKH scriptSig ends with (the spent address)."""
    pushes = list(CScript(script_sig))
    last = pushes[-1] if pushes else None
    if isinstance(last, bytes) and len(last) in (33, 65) and last[0] in (2, 3, 4):
        return hash160(last)
    return None


def test_block_426884_the_510_input_co_spend(data_dir: Path) -> None:
    raw = (data_dir / "btc-blocks-bcoin" / "block426884.raw").read_bytes()
    block = CBlock.deserialize(raw)
    ids = _Ids()
    spent = []
    for tx in block.vtx[1:]:
        for txin in tx.vin:
            key = _pubkey_address(bytes(txin.scriptSig))
            addr = int(NO_ID) if key is None else ids.of(ScriptType.P2PKH, key)
            spent.append((addr, 0, int(ScriptType.P2PKH)))
    rows = _block_rows(data_dir / "btc-blocks-bcoin" / "block426884.raw", spent, ids)
    graph = utxo_graph_from_rows(rows, n_addresses=len(ids.ids))
    n_in = np.diff(graph.in_start)
    widest = int(np.argmax(n_in))
    assert n_in[widest] == 510
    addrs = graph.in_addr[graph.in_start[widest] : graph.in_start[widest + 1]]
    assert np.count_nonzero(addrs == NO_ID) == 0  # all 510 are P2PKH spends
    addrs = np.unique(addrs)
    assert detect_coinjoins(graph)[widest] == CoinJoinKind.NONE
    clusters = cluster_addresses(graph)
    (cid,) = set(clusters.cluster[addrs].tolist())
    assert cid == int(addrs.min())
    size = int(clusters.n_members[clusters.index_of(cid)])
    assert size >= len(addrs)
    reference = _components(graph, ~graph.tx_coinbase & ~mixing(detect_coinjoins(graph)))
    assert sum(1 for v in reference.values() if v == reference[int(addrs[0])]) == size
