"""Exported TagPacks round-trip and pass GraphSense's own ``tagpack-tool validate``."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tests.intel.conftest import TAXONOMIES

from chainsleuth.intel import IntelStore, export_tagpack, read_tagpack

# the dev extra installs it beside this interpreter, which need not be on PATH
TOOL = shutil.which("tagpack-tool", path=str(Path(sys.executable).parent)) or shutil.which(
    "tagpack-tool"
)
needs_tool = pytest.mark.skipif(TOOL is None, reason="tagpack-tool (dev extra) not installed")


def _validate(
    path: Path, cwd: Path, config: Path | None = None
) -> subprocess.CompletedProcess[str]:
    args = [
        str(TOOL),
        *(["--config", str(config)] if config else []),
        "tagpack",
        "validate",
        str(path),
    ]
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def test_round_trip(filled: IntelStore, tmp_path: Path) -> None:
    tags = filled.tags(["demo", "usdt_blacklist"])
    out = tmp_path / "ours.yaml"
    assert export_tagpack(tags, out, title="ours", creator="chainsleuth") == 779
    back = read_tagpack(out).tags
    cols = ["address", "currency", "label", "category", "actor", "confidence", "lastmod", "context"]
    assert back.select(cols).to_pylist() == tags.select(cols).to_pylist()


@needs_tool
def test_tagpack_tool_accepts_export(filled: IntelStore, tmp_path: Path) -> None:
    out = tmp_path / "ours.yaml"
    export_tagpack(
        filled.tags(["demo", "tornado_cash", "lazarus", "ofac"]), out, title="t", creator="c"
    )
    done = _validate(out, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1/1 TagPacks passed" in done.stdout


@needs_tool
def test_tagpack_tool_with_current_taxonomy(filled: IntelStore, tmp_path: Path) -> None:
    # tagpack-tool 25.8.1 bundles an older concepts.yaml without black_list; point it at
    # the current GraphSense taxonomy files to validate every concept the packs use.
    gs = TAXONOMIES / "graphsense"
    names = (
        "concept",
        "confidence",
        "country",
        "tag_type",
        "tag_subject",
        "concept_relation_annotation",
    )
    files = ("concepts.yaml", "confidence.csv", "countries.csv", "tag_types.csv", "tag_subject.csv",
             "concept_relation_annotation.csv")  # fmt: skip
    (tmp_path / "cfg").mkdir()
    config = tmp_path / "cfg" / "config.yaml"  # not in cwd, where the tool also looks
    config.write_text(
        "taxonomies:\n" + "".join(f"  {n}: {gs / f}\n" for n, f in zip(names, files, strict=True))
    )
    out = tmp_path / "all.yaml"
    export_tagpack(
        filled.tags(["usdt_blacklist", "hydra", "africrypt-hack"]), out, title="t", creator="c"
    )
    done = _validate(out, tmp_path, config)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    bundled = _validate(out, tmp_path)
    assert bundled.returncode == 1 and "Undefined concept black_list" in bundled.stdout
