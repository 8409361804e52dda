"""The ingest progress bar (stderr, so ``--json`` output stays clean) and its job record."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from sqlalchemy import Engine

from chainsleuth.cli._render import err_console
from chainsleuth.db import session_scope
from chainsleuth.jobs import update_progress
from chainsleuth.store import IngestProgress

_JOB_EVERY_SECONDS = 2.0


class IngestBar:
    """Draws blocks/txs/bytes as ingest reports them and mirrors them into the job row."""

    def __init__(self, progress: Progress, engine: Engine, job_id: int) -> None:
        self._progress = progress
        self._task = progress.add_task("ingest", total=None, txs=0, mb=0.0)
        self._engine = engine
        self._job_id = job_id
        self._last_write = 0.0

    def __call__(self, p: IngestProgress) -> None:
        self._progress.update(
            self._task,
            completed=p.blocks_done,
            total=p.blocks_total,
            txs=p.txs_done,
            mb=p.bytes_done / 1e6,
        )
        now = time.monotonic()
        if now - self._last_write >= _JOB_EVERY_SECONDS:
            self._last_write = now
            with session_scope(self._engine) as session:
                update_progress(session, self._job_id, done=p.blocks_done, total=p.blocks_total)


@contextmanager
def ingest_bar(engine: Engine, job_id: int) -> Iterator[IngestBar]:
    """A live progress bar for one ingest run."""
    columns = (
        SpinnerColumn(),
        TextColumn("[bold]blocks"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[txs]:,} txs  {task.fields[mb]:,.1f} MB"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err_console, transient=False) as progress:
        yield IngestBar(progress, engine, job_id)
