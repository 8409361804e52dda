"""Operational database commands: ``chainsleuth db upgrade``, ``chainsleuth jobs list``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import Engine

from chainsleuth.cli._app import group
from chainsleuth.cli._options import JsonFlag
from chainsleuth.cli._render import emit
from chainsleuth.config import get_settings
from chainsleuth.db import make_engine, migrate, session_scope
from chainsleuth.jobs import JobRead, list_jobs

db_app = group("The operational database (SQLite by default, PostgreSQL in production).")
jobs_app = group("Long-running work and how it ended.")


def ops_engine() -> Engine:
    """The migrated operational database named by the settings."""
    engine = make_engine(get_settings().db_url)
    migrate(engine)
    return engine


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the operational database to the newest schema."""
    ops_engine()
    typer.echo(f"database at newest schema: {get_settings().db_url}")


def _jobs_table(jobs: list[JobRead]) -> Table:
    table = Table(title="jobs", title_justify="left")
    for col in ("id", "kind", "status", "progress", "started", "finished", "error"):
        table.add_column(col)
    for j in jobs:
        total = f"/{j.progress_total}" if j.progress_total is not None else ""
        table.add_row(
            str(j.id),
            j.kind,
            j.status.value,
            f"{j.progress_done}{total}",
            j.started_at.isoformat(timespec="seconds"),
            j.finished_at.isoformat(timespec="seconds") if j.finished_at else "",
            j.error or "",
        )
    return table


@jobs_app.command("list")
def jobs_list(
    kind: Annotated[str | None, typer.Option(help="Only jobs of this kind.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="How many, newest first.")] = 20,
    as_json: JsonFlag = False,
) -> None:
    """Show the newest jobs."""
    with session_scope(ops_engine()) as session:
        jobs = list_jobs(session, kind=kind, limit=limit)
    emit({"jobs": jobs}, as_json=as_json, render=lambda d: _jobs_table(d["jobs"]))
