"""Read model of a job."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from chainsleuth.jobs.enums import JobStatus


class JobRead(BaseModel):
    """A job as callers see it."""

    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: int
    kind: str
    actor: str
    params: dict[str, Any]
    status: JobStatus
    progress_done: int
    progress_total: int | None
    started_at: datetime
    finished_at: datetime | None
    error: str | None
    result: dict[str, Any] | None
