"""``chainsleuth intel ...`` run in-process against a fresh home."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from chainsleuth.cli.intel import intel_app
from chainsleuth.config import get_settings
from tests.conftest import DATA

PACKS = DATA / "graphsense-tagpacks" / "packs"
SDN = DATA / "ofac-sdn"
Run = Callable[..., Result]


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Run]:
    for key in ("CHAINSLEUTH_STORE", "CHAINSLEUTH_DATABASE_URL", "CHAINSLEUTH_CONFIG"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("CHAINSLEUTH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    runner = CliRunner()
    yield lambda *args: runner.invoke(intel_app, list(args))
    get_settings.cache_clear()


def _json(result: Result) -> Any:
    assert result.exit_code == 0, result.output + result.stderr
    return json.loads(result.stdout)


def test_import_screen_lists_export(run: Run, tmp_path: Path) -> None:
    got = _json(
        run("import-tagpacks", str(PACKS / "demo.yaml"), str(PACKS / "tornado_cash.yaml"), "--json")
    )
    assert got == {
        "packs": [
            {"pack": "demo", "tags": 5, "title": "GraphSense Demo TagPack"},
            {"pack": "tornado_cash", "tags": 39, "title": got["packs"][1]["title"]},
        ],
        "tags": 44,
    }
    v1 = _json(run("import-sanctions", str(SDN / "sdn.csv"), "--list-date", "2024-05-03", "--json"))
    assert (v1["list"], v1["version"], v1["list_date"], v1["entries"]) == (
        "ofac-sdn",
        1,
        "2024-05-03",
        288,
    )
    assert len(v1["warnings"]) == 6
    screened = _json(
        run(
            "screen",
            "12QtD5BFwRsdNsAZY76UVE1xyCGNTojH9h",
            "1Archive1n2C579dMsAu3iC6tWzuQJz8dN",
            "--json",
        )
    )
    first, second = screened["results"]
    assert first["status"] == "sanctioned"
    assert first["sanctions"][0]["entry_name"] == "YAN, Xiaobing"
    assert first["sanctions"][0]["program"] == "SDNTK"
    assert second["status"] == "tagged" and second["tags"][0]["actor"] == "internet_archive"
    lists = _json(run("lists", "--json"))
    assert [(v["name"], v["version"], v["addresses"]) for v in lists["lists"]] == [
        ("ofac-sdn", 1, 287)
    ]
    out = tmp_path / "export.yaml"
    exported = _json(run("export-tagpack", str(out), "--pack", "demo", "--json"))
    assert exported == {"path": str(out), "tags": 5}
    intel_dir = tmp_path / "home" / "store" / "intel"
    assert (intel_dir / "manifest.json").exists()


def test_batch_and_tables(run: Run, tmp_path: Path) -> None:
    assert run("import-sanctions", str(SDN / "0xB10C-lists-2024-05-02")).exit_code == 0
    result = run(
        "import-sanctions", str(SDN / "0xB10C-lists-2024-09-27"), "--list-date", "2024-09-27"
    )
    assert result.exit_code == 0 and "version 2" in result.stdout
    batch = tmp_path / "in.csv"
    batch.write_text(
        "address\n13JtX4h7G5ZuNK5mFudKGq9DHLvvMFuNuz\n1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2\n"
    )
    got = _json(run("screen", "--batch", str(batch), "--out", str(tmp_path / "out.json"), "--json"))
    assert got["counts"]["sanctioned"] == 1 and got["counts"]["clean"] == 1
    assert (
        json.loads((tmp_path / "out.json").read_text())["results"][0]["sanctions"][0]["version"]
        == 2
    )
    table = run("screen", "13JtX4h7G5ZuNK5mFudKGq9DHLvvMFuNuz")
    assert table.exit_code == 0 and "sanctioned" in table.stdout


def test_errors_are_one_line(run: Run, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "title: t\ncreator: c\ntags:\n"
        "- address: x\n  label: l\n  source: s\n  currency: BTC\n  category: nope\n"
    )
    result = run("import-tagpacks", str(bad))
    assert result.exit_code == 1
    assert result.stderr.strip().endswith(
        "record tag 0, field 'category': 'nope' is not a taxonomy concept"
    )
    assert run("import-sanctions", str(SDN / "sdn.csv"), "--list-date", "May").exit_code == 1
    assert run("screen").exit_code == 2
