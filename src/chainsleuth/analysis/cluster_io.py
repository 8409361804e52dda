"""Clusters on disk: one ``.npy`` per array plus a JSON meta, replaced atomically.

``save_clusters(clusters, folder)`` writes the arrays into a fresh ``<folder>/run-<n>/``
directory, then atomically replaces ``<folder>/clusters.json`` (written to a temp file
first) to point at it, then removes older runs. A crash at any point leaves either the
old or the new clusters readable, never a mix. :func:`load_clusters` memory-maps the
arrays, so opening a chain's clusters costs no copy. :func:`refresh_clusters` is the
build step: update the saved clusters incrementally when it can, else cluster anew.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from chainsleuth.analysis.change import FORWARD_HEURISTICS, check_heuristics
from chainsleuth.analysis.cluster import (
    FOREST_FIELDS,
    Clusters,
    UnionForest,
    cluster_addresses,
    update_clusters,
)
from chainsleuth.analysis.coinjoin import CoinJoinRules
from chainsleuth.analysis.graph import UtxoGraph
from chainsleuth.errors import MalformedRecord, NotFound

META = "clusters.json"
FORMAT = 1
_ARRAYS = ("cluster", "ids", "n_members", "received", "parent", "size")


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)  # atomic (os.replace)


def save_clusters(clusters: Clusters, folder: Path, *, extra: dict[str, Any] | None = None) -> Path:
    """Write ``clusters`` under ``folder`` (created if needed); return the meta path.

    ``extra`` is stored in the meta as is (e.g. the chain name and graph counts).
    """
    folder.mkdir(parents=True, exist_ok=True)
    runs = sorted(int(p.name[4:]) for p in folder.glob("run-*") if p.name[4:].isdigit())
    run = folder / f"run-{(runs[-1] + 1) if runs else 0}"
    run.mkdir()
    arrays = {name: getattr(clusters, name) for name in _ARRAYS}
    arrays |= {f"forest_{name}": getattr(clusters.forest, name) for name in FOREST_FIELDS}
    for name, arr in arrays.items():
        np.save(run / f"{name}.npy", np.ascontiguousarray(arr))
    meta = {
        "format": FORMAT,
        "run": run.name,
        "n_txs": clusters.n_txs,
        "change": list(clusters.change),
        "coinjoin": clusters.coinjoin.to_json(),
        "extra": extra or {},
    }
    _write_json(folder / META, meta)
    for old in runs:
        shutil.rmtree(folder / f"run-{old}", ignore_errors=True)
    return folder / META


def read_meta(folder: Path) -> dict[str, Any]:
    """The JSON meta of the clusters saved under ``folder``."""
    path = folder / META
    if not path.exists():
        raise NotFound(f"{folder}: no clusters saved; run `chainsleuth cluster build`")
    try:
        meta: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise MalformedRecord(path=path, record=0, field="json", reason=str(exc)) from exc
    if meta.get("format") != FORMAT:
        raise MalformedRecord(
            path=path,
            record=0,
            field="format",
            reason=f"expected {FORMAT}, got {meta.get('format')}",
        )
    return meta


def load_clusters(folder: Path) -> Clusters:
    """The clusters last saved under ``folder`` (arrays memory-mapped, read-only)."""
    meta = read_meta(folder)
    run = folder / meta["run"]

    def arr(name: str) -> Any:
        return np.load(run / f"{name}.npy", mmap_mode="r")

    return Clusters(
        **{name: arr(name) for name in _ARRAYS},
        forest=UnionForest(*(arr(f"forest_{name}") for name in FOREST_FIELDS)),
        n_txs=int(meta["n_txs"]),
        change=tuple(meta["change"]),
        coinjoin=CoinJoinRules.from_json(meta["coinjoin"]),
    )


def _fingerprint(graph: UtxoGraph, n_txs: int) -> dict[str, int]:
    """Row counts up to ``n_txs``: a replaced (reorged) prefix almost always moves them."""
    return {"in_rows": int(graph.in_start[n_txs]), "out_rows": int(graph.out_start[n_txs])}


def _can_update(
    meta: dict[str, Any], graph: UtxoGraph, change: tuple[str, ...], rules: CoinJoinRules
) -> bool:
    n_txs = int(meta["n_txs"])
    return (
        tuple(meta["change"]) == change
        and CoinJoinRules.from_json(meta["coinjoin"]) == rules
        and not FORWARD_HEURISTICS.intersection(change)
        and n_txs <= graph.n_txs
        and meta["extra"].get("graph") == _fingerprint(graph, n_txs)
    )


def refresh_clusters(
    graph: UtxoGraph,
    folder: Path,
    *,
    change: Iterable[str] = (),
    coinjoin: CoinJoinRules | None = None,
    full: bool = False,
) -> tuple[Clusters, str]:
    """Bring the clusters saved under ``folder`` up to ``graph`` and save them.

    Updates incrementally (:func:`update_clusters`) when the saved run used the same
    settings, no forward-looking change heuristic, and covers a prefix of ``graph``;
    otherwise (or with ``full``) clusters from scratch. Returns the clusters and
    ``"incremental"`` or ``"full"``.
    """
    names, rules = check_heuristics(change), coinjoin or CoinJoinRules()
    meta = read_meta(folder) if (folder / META).exists() and not full else None
    if meta is not None and _can_update(meta, graph, names, rules):
        clusters = update_clusters(load_clusters(folder), graph, from_tx=int(meta["n_txs"]))
        mode = "incremental"
    else:
        clusters, mode = cluster_addresses(graph, change=names, coinjoin=rules), "full"
    save_clusters(clusters, folder, extra={"graph": _fingerprint(graph, graph.n_txs)})
    return clusters, mode
