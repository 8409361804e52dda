"""Migrations and the UTC column type on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, inspect

from chainsleuth.db import downgrade, migrate, session_scope
from chainsleuth.jobs.models import Job


def test_migrations_create_and_drop_tables(engine: Engine) -> None:
    assert "jobs" in inspect(engine).get_table_names()
    downgrade(engine, "base")
    assert "jobs" not in inspect(engine).get_table_names()
    migrate(engine)
    assert "jobs" in inspect(engine).get_table_names()


def test_times_come_back_as_utc_aware(engine: Engine) -> None:
    manila = timezone(timedelta(hours=8))
    started = datetime(2026, 11, 25, 21, 0, tzinfo=manila)
    with session_scope(engine) as session:
        job = Job(kind="x", actor="a", params={}, status="running", started_at=started)
        session.add(job)
        session.flush()
        job_id = job.id
    with session_scope(engine) as session:
        loaded = session.get(Job, job_id)
        assert loaded is not None
        assert loaded.started_at == started
        assert loaded.started_at.tzinfo is not None
        assert loaded.started_at.utcoffset() == timedelta(0)


def test_naive_times_are_refused(engine: Engine) -> None:
    with pytest.raises(Exception, match="naive datetime"), session_scope(engine) as session:
        session.add(
            Job(kind="x", actor="a", params={}, status="running", started_at=datetime(2026, 1, 1))
        )
        session.flush()


def test_session_scope_rolls_back_on_error(engine: Engine) -> None:
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        session.add(
            Job(kind="x", actor="a", params={}, status="running", started_at=datetime.now(UTC))
        )
        session.flush()
        raise RuntimeError("boom")
    with session_scope(engine) as session:
        assert session.query(Job).count() == 0
