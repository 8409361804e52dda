"""Multi-input clustering: hand-drawn graphs, determinism, incremental = full, files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from chainsleuth.analysis.cluster import Clusters, cluster_addresses, update_clusters
from chainsleuth.analysis.cluster_io import load_clusters, save_clusters
from chainsleuth.analysis.graph import UtxoGraph
from chainsleuth.analysis.graph_build import utxo_graph_from_rows
from chainsleuth.chain.script import ScriptType
from chainsleuth.errors import Invalid, MalformedRecord, NotFound

PAST_ONLY = ["address_reuse", "address_type", "fresh_address", "optimal_change", "power_of_ten"]


def _hand_drawn() -> UtxoGraph:
    """Addresses 0-7. tx2 co-spends 0+1, tx3 co-spends 1+2 (change to fresh 5), tx4 pays 6."""
    rows = [
        {"inputs": [], "outputs": [(0, 50), (1, 30), (3, 20)]},
        {"inputs": [], "outputs": [(2, 40), (4, 10)]},
        {"inputs": [(0, 0), (0, 1)], "outputs": [(1, 79)]},
        {"inputs": [(2, 0), (1, 0)], "outputs": [(6, 100), (5, 19)]},
        {"inputs": [(3, 0)], "outputs": [(7, 99)]},
    ]
    return utxo_graph_from_rows(rows, n_addresses=8)


def test_multi_input_on_a_hand_drawn_graph() -> None:
    c = cluster_addresses(_hand_drawn())
    assert c.cluster.tolist() == [0, 0, 0, 3, 4, 5, 6, 7]
    assert c.ids.tolist() == [0, 3, 4, 5, 6, 7]
    assert c.n_members.tolist() == [3, 1, 1, 1, 1, 1]
    assert c.received.tolist() == [50 + 30 + 79 + 40, 20, 10, 19, 100, 99]
    # two merges: 0+1 in tx 2, then 2 joins them in tx 3
    assert c.forest.tx.tolist() == [2, 3]
    assert [c.forest.rule(e) for e in range(2)] == ["multi_input", "multi_input"]


def test_change_is_off_by_default_and_joins_when_asked() -> None:
    c = cluster_addresses(_hand_drawn(), change=["optimal_change"])
    assert c.cluster[5] == 0 and c.cluster[6] == 6  # 19 < both inputs: change
    assert c.forest.rule(len(c.forest.tx) - 1) == "change:optimal_change"
    summary = c.to_json(top=1)
    assert summary["largest"] == [{"cluster": 0, "n_addresses": 4, "received": 218}]
    assert summary["change"] == ["optimal_change"] and summary["n_merges"] == 3
    json.dumps(summary)


def _random_rows(seed: int, n_txs: int, n_addr: int) -> list[dict[str, Any]]:
    """A random world: coinbases and spends of 1-4 unspent outputs, with some reuse."""
    rng = np.random.default_rng(seed)
    rows: list[dict[str, Any]] = []
    unspent: list[tuple[int, int, int]] = []  # (tx, vout, value)
    types = [ScriptType.P2PKH, ScriptType.P2WPKH]
    for t in range(n_txs):
        k = min(len(unspent), int(rng.integers(1, 5))) if t % 5 else 0
        picks = (
            sorted(rng.choice(len(unspent), k, replace=False).tolist(), reverse=True) if k else []
        )
        spent = [unspent.pop(i) for i in picks]
        total = sum(v for _, _, v in spent) if spent else 5_000_000_000
        n_out = int(rng.integers(1, 4))
        parts = np.diff(np.r_[0, np.sort(rng.integers(1, total, n_out - 1)), total - 1000 * k])
        seen = min(n_addr, 5 + t // 2)  # new addresses keep appearing; old ones get reused
        outs = [(int(rng.integers(0, seen)), int(v), types[int(rng.integers(2))]) for v in parts]
        rows.append({"inputs": [(a, b) for a, b, _ in spent], "outputs": outs})
        unspent += [(t, i, int(v)) for i, v in enumerate(parts)]
    return rows


def _same(a: Clusters, b: Clusters) -> None:
    for name in ("cluster", "ids", "n_members", "received"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    for name in ("addr_a", "addr_b", "tx", "votes"):
        assert np.array_equal(getattr(a.forest, name), getattr(b.forest, name)), name
    assert (a.n_txs, a.change, a.coinjoin) == (b.n_txs, b.change, b.coinjoin)


@pytest.mark.parametrize("change", [[], PAST_ONLY])
def test_incremental_update_equals_a_full_run(change: list[str]) -> None:
    rows = _random_rows(3, 400, 300)
    full_graph = utxo_graph_from_rows(rows)
    full = cluster_addresses(full_graph, change=change)
    assert len(full.forest.tx) > 50  # the world does merge
    part = cluster_addresses(utxo_graph_from_rows(rows[:250]), change=change)
    assert part.n_addresses < full.n_addresses
    grown = update_clusters(part, full_graph, from_tx=250)
    _same(grown, full)
    # re-applying already applied transactions changes nothing
    _same(update_clusters(grown, full_graph, from_tx=300), full)


def test_incremental_refuses_gaps_and_forward_heuristics() -> None:
    rows = _random_rows(4, 60, 50)
    graph = utxo_graph_from_rows(rows)
    part = cluster_addresses(utxo_graph_from_rows(rows[:30]))
    with pytest.raises(Invalid, match="from_tx 31"):
        update_clusters(part, graph, from_tx=31)
    peel = cluster_addresses(utxo_graph_from_rows(rows[:30]), change=["peel_chain"])
    with pytest.raises(Invalid, match="peel_chain look forward"):
        update_clusters(peel, graph, from_tx=30)


def test_two_runs_are_identical() -> None:
    graph = utxo_graph_from_rows(_random_rows(5, 300, 200))
    _same(cluster_addresses(graph, change=PAST_ONLY), cluster_addresses(graph, change=PAST_ONLY))


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    graph = utxo_graph_from_rows(_random_rows(6, 200, 150))
    first = cluster_addresses(graph, change=["address_type"])
    save_clusters(cluster_addresses(graph), tmp_path, extra={"chain": "btc"})
    meta = save_clusters(first, tmp_path, extra={"chain": "btc"})
    assert [p.name for p in tmp_path.iterdir() if p.is_dir()] == ["run-1"]  # old run removed
    assert json.loads(meta.read_text())["extra"] == {"chain": "btc"}
    loaded = load_clusters(tmp_path)
    _same(loaded, first)
    assert np.array_equal(loaded.parent, first.parent)


def test_load_errors(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="no clusters saved"):
        load_clusters(tmp_path)
    (tmp_path / "clusters.json").write_text("{not json")
    with pytest.raises(MalformedRecord, match=r"clusters\.json: record 0, field 'json'"):
        load_clusters(tmp_path)
    (tmp_path / "clusters.json").write_text('{"format": 99}')
    with pytest.raises(MalformedRecord, match="field 'format'"):
        load_clusters(tmp_path)
