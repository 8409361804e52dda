"""Job states."""

from enum import StrEnum


class JobStatus(StrEnum):
    """Where a job is: running until it succeeds or fails."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
