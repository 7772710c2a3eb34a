"""A run of a background job, as recorded by whichever runner ran it (worker or in-process)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol


class JobRunStatus(StrEnum):
    QUEUED = "QUEUED"  # asked for (by staff), not started yet
    RUNNING = "RUNNING"
    DONE = "DONE"
    FAILED = "FAILED"


@dataclass(frozen=True)
class JobRun:
    id: int
    job: str
    trigger: str  # "schedule", "outbox", "staff:<id>", "cli"
    status: JobRunStatus
    queued_at: datetime
    scheduled_for: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    counts: dict[str, int] = field(default_factory=dict)
    error: str | None = None


class JobRunRepository(Protocol):
    async def queue(self, job: str, trigger: str, now: datetime) -> JobRun: ...
    async def ask_engine(self, job: str, run_id: int | None) -> None:
        """Hand the job to the job engine in this transaction (a no-op where the engine is in-process)."""
    async def start(self, job: str, trigger: str, now: datetime, *, run_id: int | None = None,
                    scheduled_for: datetime | None = None, engine_job_id: int | None = None) -> int: ...
    async def finish(self, run_id: int, counts: dict[str, int], error: str | None, now: datetime) -> None: ...
    async def page(self, job: str | None, limit: int, before_id: int | None) -> list[JobRun]: ...
    async def queued(self, limit: int) -> list[JobRun]: ...
