"""A benchmark's result: the table ``case | chainsleuth | peer | ratio`` with the machine's facts.

Printed with rich and written, the same, as JSON to ``benchmarks/results/<name>-<UTC time>.json``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

RESULTS = Path(__file__).parent / "results"


@dataclass
class Row:
    """One comparison: chainsleuth's figure beside a peer's; ratio > 1 means chainsleuth wins.

    ``data`` keeps the raw numbers (seconds, bytes, rows) for the JSON file.
    """

    case: str
    chainsleuth: str
    peer: str
    ratio: float | None = None
    data: dict[str, object] = field(default_factory=dict)


@dataclass
class Report:
    """Rows, notes (skipped cases, how figures were taken) and the machine they ran on."""

    name: str
    machine: dict[str, object]
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    started: datetime = field(default_factory=lambda: datetime.now(UTC))

    def add(self, row: Row) -> None:
        self.rows.append(row)

    def note(self, text: str) -> None:
        self.notes.append(text)

    def print(self, console: Console | None = None) -> None:
        console = console or Console()
        m = self.machine
        console.print(
            f"[bold]{self.name}[/bold]  {m.get('cpu')}, {m.get('cores')} cores, "
            f"{_gib(m.get('memory_bytes'))} memory, bandwidth {m.get('bandwidth_gbs')} GB/s "
            f"(numpy copy, read+write); {m.get('versions')}"
        )
        table = Table("case", "chainsleuth", "peer", "ratio")
        for row in self.rows:
            ratio = "—" if row.ratio is None else f"{row.ratio:,.2f}x"
            table.add_row(row.case, row.chainsleuth, row.peer, ratio)
        console.print(table)
        for text in self.notes:
            console.print(f"- {text}")

    def write(self, results: Path = RESULTS) -> Path:
        """Write the JSON file and return its path."""
        results.mkdir(parents=True, exist_ok=True)
        stamp = self.started.strftime("%Y%m%dT%H%M%SZ")
        path = results / f"{self.name}-{stamp}.json"
        doc = {
            "name": self.name,
            "started": self.started.isoformat(),
            "machine": self.machine,
            "rows": [asdict(r) for r in self.rows],
            "notes": self.notes,
        }
        path.write_text(json.dumps(doc, indent=2, default=str) + "\n")
        return path


def _gib(value: object) -> str:
    return f"{value / 2**30:.1f} GiB" if isinstance(value, int) else "?"
