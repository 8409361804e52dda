"""Long-running work (ingest, index builds) and its status, for the CLI and the web UI."""

from chainsleuth.jobs.enums import JobStatus
from chainsleuth.jobs.schemas import JobRead
from chainsleuth.jobs.service import (
    fail_job,
    finish_job,
    get_job,
    list_jobs,
    start_job,
    update_progress,
)

__all__ = [
    "JobRead",
    "JobStatus",
    "fail_job",
    "finish_job",
    "get_job",
    "list_jobs",
    "start_job",
    "update_progress",
]
