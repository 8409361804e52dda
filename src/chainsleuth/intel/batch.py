"""Batch screening files: CSV in (an ``address`` column, optional ``currency``), CSV/JSON out."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from chainsleuth.errors import Invalid, MalformedRecord
from chainsleuth.intel.screen import ScreenResult


def read_batch(path: Path) -> tuple[pa.Array, pa.Array | None]:
    """Addresses (and currencies, when the file has that column) of a batch CSV."""
    try:
        table = pacsv.read_csv(
            path,
            convert_options=pacsv.ConvertOptions(
                column_types={"address": pa.string(), "currency": pa.string()}
            ),
        )
    except pa.ArrowInvalid as exc:
        raise MalformedRecord(path=path, record="csv", reason=str(exc).splitlines()[0]) from exc
    if "address" not in table.column_names:
        raise MalformedRecord(path=path, record="line 1", field="address", reason="no such column")
    currencies = table["currency"].combine_chunks() if "currency" in table.column_names else None
    return table["address"].combine_chunks(), currencies


def write_result(result: ScreenResult, out: Path) -> None:
    """Write ``result`` as ``.csv`` (one flat row per address) or ``.json`` (full rows)."""
    suffix = out.suffix.lower()
    if suffix not in {".csv", ".json"}:
        raise Invalid(f"{out}: write .csv or .json")
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    os.close(fd)
    if suffix == ".csv":
        pacsv.write_csv(result.flat(), tmp)
    else:
        doc = {"lists": result.lists, "counts": result.counts(), "results": result.records()}
        Path(tmp).write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    Path(tmp).replace(out)  # atomic, as os.replace
