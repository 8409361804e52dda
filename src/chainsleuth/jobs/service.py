"""Start, advance and end jobs. Functions never commit; the caller owns the transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from chainsleuth.errors import Conflict, NotFound
from chainsleuth.jobs.enums import JobStatus
from chainsleuth.jobs.models import Job
from chainsleuth.jobs.schemas import JobRead


def _running(session: Session, job_id: int) -> Job:
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound(f"job {job_id} does not exist")
    if job.status != JobStatus.RUNNING:
        raise Conflict(f"job {job_id} has already {job.status}")
    return job


def start_job(
    session: Session, *, kind: str, params: dict[str, Any], actor: str, now: datetime
) -> JobRead:
    """Record a job that starts ``now``."""
    job = Job(
        kind=kind,
        actor=actor,
        params=params,
        status=JobStatus.RUNNING,
        progress_done=0,
        started_at=now,
    )
    session.add(job)
    session.flush()
    return JobRead.model_validate(job)


def update_progress(session: Session, job_id: int, *, done: int, total: int | None) -> None:
    """Move a running job's progress counter."""
    job = _running(session, job_id)
    job.progress_done = done
    job.progress_total = total


def finish_job(session: Session, job_id: int, *, result: dict[str, Any], now: datetime) -> JobRead:
    """Mark a running job as succeeded with its result."""
    job = _running(session, job_id)
    job.status = JobStatus.SUCCEEDED
    job.result = result
    job.finished_at = now
    return JobRead.model_validate(job)


def fail_job(session: Session, job_id: int, *, error: str, now: datetime) -> JobRead:
    """Mark a running job as failed with the error a person should read."""
    job = _running(session, job_id)
    job.status = JobStatus.FAILED
    job.error = error
    job.finished_at = now
    return JobRead.model_validate(job)


def get_job(session: Session, job_id: int) -> JobRead:
    """One job by id."""
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound(f"job {job_id} does not exist")
    return JobRead.model_validate(job)


def list_jobs(session: Session, *, kind: str | None = None, limit: int = 50) -> list[JobRead]:
    """The newest jobs first."""
    query = select(Job).order_by(Job.id.desc()).limit(limit)
    if kind is not None:
        query = query.where(Job.kind == kind)
    return [JobRead.model_validate(j) for j in session.scalars(query)]
