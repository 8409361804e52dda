"""Job lifecycle on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from chainsleuth.db import session_scope
from chainsleuth.errors import Conflict, NotFound
from chainsleuth.jobs import (
    JobStatus,
    fail_job,
    finish_job,
    get_job,
    list_jobs,
    start_job,
    update_progress,
)

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def test_job_runs_to_success(engine: Engine) -> None:
    with session_scope(engine) as s:
        job = start_job(s, kind="ingest", params={"sources": ["a.blk"]}, actor="cli", now=T0)
    with session_scope(engine) as s:
        update_progress(s, job.id, done=5, total=10)
    with session_scope(engine) as s:
        assert get_job(s, job.id).progress_done == 5
        done = finish_job(s, job.id, result={"blocks": 10}, now=T0 + timedelta(seconds=3))
    assert done.status is JobStatus.SUCCEEDED
    assert done.result == {"blocks": 10}
    assert done.finished_at == T0 + timedelta(seconds=3)


def test_failed_job_keeps_error_and_cannot_move(engine: Engine) -> None:
    with session_scope(engine) as s:
        job = start_job(s, kind="ingest", params={}, actor="cli", now=T0)
        fail_job(s, job.id, error="a.blk: record 3: truncated", now=T0)
    with session_scope(engine) as s:
        assert get_job(s, job.id).error == "a.blk: record 3: truncated"
        with pytest.raises(Conflict, match="already failed"):
            update_progress(s, job.id, done=1, total=None)


def test_unknown_job_is_not_found(engine: Engine) -> None:
    with session_scope(engine) as s, pytest.raises(NotFound, match="job 999"):
        get_job(s, 999)


def test_list_newest_first_and_by_kind(engine: Engine) -> None:
    with session_scope(engine) as s:
        for kind in ("ingest", "index", "ingest"):
            start_job(s, kind=kind, params={}, actor="cli", now=T0)
    with session_scope(engine) as s:
        ids = [j.id for j in list_jobs(s)]
        assert ids == sorted(ids, reverse=True)
        assert {j.kind for j in list_jobs(s, kind="ingest")} == {"ingest"}
        assert len(list_jobs(s, kind="ingest")) == 2
