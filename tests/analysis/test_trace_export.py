"""Trace exporters: JSON, CSV and GraphML that networkx reads back."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import networkx as nx

from chainsleuth.analysis import (
    Start,
    account_graph_from_rows,
    export,
    trace,
    trace_graph,
    utxo_graph_from_rows,
)
from chainsleuth.analysis.graph import UtxoGraph


def _graph() -> UtxoGraph:
    return utxo_graph_from_rows(
        [
            {"inputs": [], "outputs": [(0, 30)]},
            {"inputs": [], "outputs": [(1, 15)]},
            {"inputs": [(0, 0), (1, 0)], "outputs": [(2, 45)]},
            {"inputs": [(2, 0)], "outputs": [(3, 20), (4, 25)]},
        ]
    )


def test_graph_nodes_and_edges() -> None:
    nodes, edges = trace_graph(trace(_graph(), start=Start.output(1), model="fifo"))
    assert [n["id"] for n in nodes] == [
        "addr:1",
        "addr:2",
        "addr:4",
        "out:1",
        "out:2",
        "out:4",
        "tx:1",
        "tx:2",
        "tx:3",
    ]
    spent = [(e["source"], e["target"], e["taint"]) for e in edges if e["kind"] == "spent"]
    assert spent == [("out:1", "tx:2", 15), ("out:2", "tx:3", 15)]


def test_graphml_opens_in_networkx(tmp_path: Path) -> None:
    tr = trace(_graph(), start=Start.output(1), model="haircut")
    export(tr, tmp_path / "t.graphml")
    g = nx.read_graphml(tmp_path / "t.graphml")
    assert g.nodes["out:4"]["taint"] == 8 and g.nodes["out:4"]["status"] == "unspent"
    assert g.has_edge("tx:3", "out:3") and g.is_directed()


def test_csv_and_json(tmp_path: Path) -> None:
    tr = trace(_graph(), start=Start.output(1), model="poison")
    export(tr, tmp_path / "csv")
    with (tmp_path / "csv" / "edges.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert {
        "source": "tx:3",
        "target": "out:4",
        "kind": "created",
        "taint": "25",
        "value": "25",
        "hop": "2",
    } in rows
    export(tr, tmp_path / "t.json")
    doc = json.loads((tmp_path / "t.json").read_text())
    assert doc["trace"]["ended"] == {"unspent": 45, "fee": 0}
    assert doc["trace"]["by_address"][0] == {"id": 1, "received": 15, "held": 0, "first_hop": 0}


def test_exact_account_trace_keeps_every_digit(tmp_path: Path) -> None:
    big = 10**24 + 1  # beyond 2**63: GraphML long cannot hold it
    g = account_graph_from_rows(
        [
            {"src": 0, "dst": 1, "value": big},
            {"src": 1, "dst": 2, "value": 12_345},
            {"src": 1, "dst": 3, "value": big - 12_345},
        ]
    )
    tr = trace(g, start=Start.transfer(0), model="fifo", exact=True)
    export(tr, tmp_path / "t.json")
    doc = json.loads((tmp_path / "t.json").read_text())
    assert doc["trace"]["start_taint"] == str(big) and doc["trace"]["exact"] is True
    assert [e["taint"] for e in doc["edges"]] == [str(big), 12_345, str(big - 12_345)]
    export(tr, tmp_path / "csv")
    with (tmp_path / "csv" / "edges.csv").open() as fh:
        assert [r["value"] for r in csv.DictReader(fh)] == [str(big), "12345", str(big - 12_345)]
    export(tr, tmp_path / "t.graphml")
    back = nx.read_graphml(tmp_path / "t.graphml")
    assert back.nodes["addr:1"]["taint"] == str(big)  # a string key: every digit kept
    assert back.edges["addr:1", "addr:2"]["taint"] == "12345"
