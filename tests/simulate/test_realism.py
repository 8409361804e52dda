"""The realism check: real blocks through the raw reader, the world beside them, table and plot."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from chainsleuth.cli.simulate import simulate
from chainsleuth.simulate import realism
from chainsleuth.simulate.realism import real_sample
from chainsleuth.simulate.realism_plot import plot_realism


def test_real_sample_is_the_eight_blocks(data_dir: Path) -> None:
    real = real_sample(data_dir)
    txs = real["transactions"].to_pydict()
    assert len(txs["txid"]) == 5685 and sum(txs["is_coinbase"]) == 8
    assert 176_149 in set(txs["height"]) and 300_025 in set(txs["height"])


def test_compare_world_with_real_blocks(world: Path, data_dir: Path) -> None:
    rows = realism(world, data_dir)
    by = {(r.measure, r.bin): r for r in rows}
    for measure in ("outputs per tx", "inputs per tx", "output value (sat)"):
        for side in ("simulated", "real"):
            assert sum(getattr(r, side) for r in rows if r.measure == measure) == pytest.approx(1)
    # Facts of the real blocks: most transactions spend one input, pay two outputs.
    assert by[("inputs per tx", "1")].real == pytest.approx(0.687, abs=5e-4)
    assert by[("outputs per tx", "2")].real == pytest.approx(0.744, abs=5e-4)
    assert 0 < by[("address reuse", "share")].simulated < 1


def test_plot_is_a_png(world: Path, data_dir: Path, tmp_path: Path) -> None:
    path = plot_realism(realism(world, data_dir), tmp_path / "r.png", title="t")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_prints_the_realism_rows(data_dir: Path, tmp_path: Path) -> None:
    app = typer.Typer()
    app.command()(simulate)
    app.command("other")(lambda: None)
    args = ["simulate", str(tmp_path), "--seed", "2", "--realism", str(data_dir), "--json"]
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 0, done.output
    rows = json.loads(done.stdout)["realism"]
    assert {r["measure"] for r in rows} >= {"round amounts", "change position"}
    table = CliRunner().invoke(app, args[:-1])
    assert table.exit_code == 0 and "round amounts: share" in table.stdout
