"""A :class:`Trace` as a node/edge graph, written as JSON, CSV or GraphML.

Nodes: ``tx:<id>``, ``out:<row>`` (UTXO coins), ``addr:<id>`` or ``cluster:<id>`` (at
cluster level). Edges: ``created`` (tx -> coin), ``spent`` (coin -> tx that carried its
taint on), ``held_by`` (coin -> address/cluster); account traces: ``transfer`` edges
between address (or cluster) nodes. Every edge has ``taint``, ``value`` and ``hop``.

Exact traces keep every amount an exact integer: JSON writes integers beyond 2**53 as
strings of their digits (as the CLI's ``--json``), CSV as digits, GraphML as ``long``
while they fit 64 bits and as ``string`` keys of digits beyond.
"""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np

from chainsleuth.analysis.trace_result import STATUS_NAMES, Trace
from chainsleuth.atomic import atomic_path

Row = dict[str, Any]
_NODE_KEYS = ("id", "kind", "ref", "hop", "taint", "status")
_EDGE_KEYS = ("source", "target", "kind", "taint", "value", "hop")
_SAFE = 2**53  # integers a JSON reader keeps exactly as numbers
_LONG = 2**63  # GraphML ``long`` is 64-bit signed


def _py(x: Any) -> Any:
    """A NumPy scalar as its Python value; Python ints (exact traces) stay as they are."""
    return x.item() if isinstance(x, np.generic) else x


def _holder(tr: Trace, i: int) -> str | None:
    if len(tr.item_cluster):
        c = int(tr.item_cluster[i])
        return None if c == 0xFFFFFFFF else f"cluster:{c}"
    a = int(tr.item_addr[i])
    return None if a == 0xFFFFFFFF else f"addr:{a}"


def trace_graph(tr: Trace) -> tuple[list[Row], list[Row]]:
    """Nodes and edges of the trace (plain rows, deterministic order)."""
    nodes: dict[str, Row] = {}
    edges: list[Row] = []

    def node(key: str, hop: int, *, taint: float = 0, status: str = "") -> None:
        kind, ref = key.split(":")
        row = {"id": key, "kind": kind, "ref": int(ref), "hop": hop, "taint": 0, "status": status}
        old = nodes.setdefault(key, row)
        old["hop"] = min(old["hop"], hop)
        old["taint"] += taint

    for t, h in zip(tr.tx_id.tolist(), tr.tx_hop.tolist(), strict=True):
        node(f"tx:{t}", h)
    for i in range(tr.n_items):
        taint, value, hop = _py(tr.item_taint[i]), _py(tr.item_value[i]), int(tr.item_hop[i])
        amounts = (taint, value, hop)
        holder = _holder(tr, i)
        if holder:
            node(holder, hop, taint=taint)
        if tr.family == "account":
            src = f"addr:{int(tr.item_src[i])}"
            if len(tr.item_cluster):
                src = f"cluster:{int(tr.item_cluster[i])}"
            if holder:
                edges.append(_edge(src, holder, "transfer", amounts))
            continue
        out = f"out:{int(tr.item_ref[i])}"
        node(out, hop, taint=taint, status=STATUS_NAMES[tr.item_status[i]])
        edges.append(_edge(f"tx:{int(tr.item_tx[i])}", out, "created", amounts))
        if tr.item_next[i] >= 0:
            edges.append(_edge(out, f"tx:{int(tr.item_next[i])}", "spent", amounts))
        if holder:
            edges.append(_edge(out, holder, "held_by", amounts))
    for e in edges:  # endpoints outside the trace: the start coins' creators, senders
        for end in (e["source"], e["target"]):
            if end not in nodes:
                node(end, -1)
    return sorted(nodes.values(), key=lambda n: n["id"]), edges


def _edge(src: str, dst: str, kind: str, amounts: tuple[float, float, int]) -> Row:
    taint, value, hop = amounts
    return {"source": src, "target": dst, "kind": kind, "taint": taint, "value": value, "hop": hop}


def _jsonable(value: Any) -> Any:
    """Integers beyond 2**53 as exact strings (DESIGN.md, Interfaces), recursively."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= _SAFE:
        return str(value)
    return value


def write_json(tr: Trace, path: Path) -> None:
    nodes, edges = trace_graph(tr)
    doc = _jsonable({"trace": tr.to_json(), "nodes": nodes, "edges": edges})
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(doc, indent=1))


def write_csv(tr: Trace, folder: Path) -> None:
    """``nodes.csv`` and ``edges.csv`` in ``folder``."""
    nodes, edges = trace_graph(tr)
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows, keys in (("nodes.csv", nodes, _NODE_KEYS), ("edges.csv", edges, _EDGE_KEYS)):
        with atomic_path(folder / name) as tmp, tmp.open("w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=keys)
            w.writeheader()
            w.writerows(rows)


def _type(values: list[Any]) -> str:
    if all(isinstance(v, int) for v in values):
        return "long" if all(-_LONG <= v < _LONG for v in values) else "string"
    return "double" if all(isinstance(v, int | float) for v in values) else "string"


def write_graphml(tr: Trace, path: Path) -> None:
    """GraphML (http://graphml.graphdrawing.org/) with typed node and edge attributes."""
    nodes, edges = trace_graph(tr)
    root = ET.Element("graphml", xmlns="http://graphml.graphdrawing.org/xmlns")
    for domain, rows, keys in (("node", nodes, _NODE_KEYS[1:]), ("edge", edges, _EDGE_KEYS[2:])):
        for key in keys:
            kind = _type([r[key] for r in rows])
            ET.SubElement(
                root,
                "key",
                {"id": f"{domain[0]}_{key}", "for": domain, "attr.name": key, "attr.type": kind},
            )
    graph = ET.SubElement(root, "graph", id="trace", edgedefault="directed")
    for n in nodes:
        el = ET.SubElement(graph, "node", id=n["id"])
        _data(el, "n", n, _NODE_KEYS[1:])
    for i, e in enumerate(edges):
        el = ET.SubElement(graph, "edge", id=f"e{i}", source=e["source"], target=e["target"])
        _data(el, "e", e, _EDGE_KEYS[2:])
    with atomic_path(path) as tmp:
        ET.ElementTree(root).write(tmp, encoding="utf-8", xml_declaration=True)


def _data(el: ET.Element, prefix: str, row: Row, keys: tuple[str, ...]) -> None:
    for key in keys:
        ET.SubElement(el, "data", key=f"{prefix}_{key}").text = str(row[key])


def export(tr: Trace, path: Path) -> None:
    """Write by suffix: ``.graphml``, ``.json``, else a folder of CSV files."""
    if path.suffix == ".graphml":
        write_graphml(tr, path)
    elif path.suffix == ".json":
        write_json(tr, path)
    else:
        write_csv(tr, path)
