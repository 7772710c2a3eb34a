"""The embedded default's job runner: `serve` on SQLite (one process) runs the jobs of api/jobs.py
in-process, on the same schedules in the program time zone, so the demo behaves like production.

procrastinate needs PostgreSQL, so this is a small loop of its own, deliberately without what
several processes need (no cross-process locks, no heartbeats): `serve --workers N` on SQLite turns
it off (RUN_JOBS_IN_PROCESS=0). Runs are recorded in `job_runs` like the worker's; staff runs (`runJob`) are taken from
the QUEUED rows there, and the outbox relay also runs every few seconds (SQLite has no NOTIFY).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime

from api.container import Container
from api.jobs import JOBS, Job, find_job, run_recorded, schedules

log = logging.getLogger(__name__)

QUEUED_POLL_SECONDS = 2.0
OUTBOX_POLL_SECONDS = 5.0


class InProcessJobRunner:
    def __init__(self, container: Container, jobs: tuple[Job, ...] = JOBS) -> None:
        self.container = container
        self.jobs = jobs
        self.plan = schedules(container.settings.job_schedules, jobs)
        self._tasks: list[asyncio.Task[None]] = []
        self._locks = {j.name: asyncio.Lock() for j in jobs}
        self._stopping = asyncio.Event()

    def start(self) -> None:
        for job in self.jobs:
            self._tasks.append(asyncio.create_task(self._scheduled(job), name=f"job:{job.name}"))
        self._tasks.append(asyncio.create_task(self._queued(), name="job:queued"))
        self._tasks.append(asyncio.create_task(self._outbox(), name="job:outbox"))

    async def stop(self, grace_seconds: float) -> None:
        """Stop starting runs; let running ones finish within the grace period, then cancel them."""
        self._stopping.set()
        if not self._tasks:
            return
        _done, pending = await asyncio.wait(self._tasks, timeout=grace_seconds)
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _sleep_until(self, moment: datetime) -> bool:
        """False when stopping."""
        delay = max(0.0, (moment - self.container.now()).total_seconds())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), delay)
        return not self._stopping.is_set()

    async def run(self, job: Job, trigger: str, run_id: int | None = None,
                  scheduled_for: datetime | None = None) -> None:
        async with self._locks[job.name]:  # one run of a job at a time, as on the worker
            try:
                await run_recorded(self.container, job, trigger, run_id=run_id, scheduled_for=scheduled_for)
            except Exception:
                log.exception("job %s failed", job.name)  # recorded in job_runs; the next tick runs it again

    async def _scheduled(self, job: Job) -> None:
        schedule = self.plan[job.name]
        while not self._stopping.is_set():
            tick = schedule.next_after(self.container.now(), self.container.timezone)
            if tick is None or not await self._sleep_until(tick):
                return
            await self.run(job, "schedule", scheduled_for=tick)

    async def _queued(self) -> None:
        while not self._stopping.is_set():
            async with self.container.uow() as uow:
                queued = await uow.job_runs.queued(10)
            for run in queued:
                if self._stopping.is_set():
                    return
                await self.run(find_job(run.job, self.jobs), "staff", run_id=run.id)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), QUEUED_POLL_SECONDS)

    async def _outbox(self) -> None:
        relay = next((j for j in self.jobs if j.name == "deliver-webhooks"), None)
        if relay is None:
            return
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), OUTBOX_POLL_SECONDS)
            if self._stopping.is_set():
                return
            async with self.container.uow() as uow:
                due = await uow.webhooks.due(self.container.now(), 1)
            if due:
                await self.run(relay, "outbox")
