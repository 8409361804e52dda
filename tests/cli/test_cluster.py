"""``cluster build`` / ``cluster show`` on the real first 590 blocks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from chainsleuth.cli.cluster import cluster_app
from chainsleuth.store import open_store
from tests.cli.conftest import run_json


def _run(store: Path, *args: str) -> Any:
    return run_json(cluster_app, store, *args)


def _text(store: Path, addr_id: int) -> str:
    return open_store(store).address_labels("btc", [addr_id])[addr_id]


def test_build_then_update_then_full(store: Path) -> None:
    first = _run(store, "build")
    assert (first["mode"], first["n_addresses"], first["n_clusters"]) == ("full", 603, 595)
    assert (first["n_txs"], first["n_merges"], first["change"]) == (605, 8, [])
    assert first["largest"][:3] == [
        {"cluster": 275, "n_addresses": 5, "received": 25_000_000_000},
        {"cluster": 192, "n_addresses": 3, "received": 6_100_000_000},
        {"cluster": 533, "n_addresses": 3, "received": 12_500_000_000},
    ]
    again = _run(store, "build")
    assert again["mode"] == "incremental" and again["largest"] == first["largest"]
    assert _run(store, "build", "--full")["mode"] == "full"
    assert (store / "clusters" / "btc" / "clusters.json").exists()


def test_show_members_and_explanation(store: Path) -> None:
    _run(store, "build")
    first = _text(store, 275)
    shown = _run(store, "show", first)
    assert (shown["cluster"], shown["n_addresses"], shown["received"]) == (275, 5, 25_000_000_000)
    assert shown["members"][0] == first and len(shown["members"]) == 5
    last = shown["members"][-1]
    why = _run(store, "show", first, "--to", last)
    (step,) = why["explanation"]
    assert (step["heuristic"], step["joined"]) == ("multi_input", [first, last])
    assert len(step["txid"]) == 64 and step["height"] == 586
    text = CliRunner().invoke(cluster_app, ["show", first, "--to", last, "--store", str(store)])
    assert text.exit_code == 0 and "multi_input" in text.stdout


def test_bad_change_heuristic_and_unlinked_addresses(store: Path) -> None:
    bad = CliRunner().invoke(cluster_app, ["build", "--change", "nope", "--store", str(store)])
    assert bad.exit_code == 1 and "unknown change heuristic nope" in bad.stderr
    _run(store, "build")
    apart = CliRunner().invoke(
        cluster_app, ["show", _text(store, 0), "--to", _text(store, 1), "--store", str(store)]
    )
    assert apart.exit_code == 1 and "in different clusters" in apart.stderr
