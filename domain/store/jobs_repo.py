"""Job runs (`job_runs`) and handing jobs to the job engine inside the caller's transaction."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import insert, select, text, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.jobs.model import JobRun, JobRunStatus
from domain.store.tables import job_runs

# procrastinate's queue table (its schema comes with migration 0023). The insert fires its NOTIFY
# trigger at commit, which wakes a listening worker at once. `queueing_lock` keeps at most one
# waiting job per name: while one waits, more asks add nothing (it will see all their rows), and
# ON CONFLICT makes that a no-op instead of an error that would roll back the caller's write.
_ENGINE_INSERT = text("""
    INSERT INTO procrastinate_jobs (queue_name, task_name, priority, lock, queueing_lock, args)
    VALUES ('default', :task, 0, :lock, :queueing_lock, CAST(:args AS jsonb))
    ON CONFLICT (queueing_lock) WHERE status = 'todo' DO NOTHING
""")


async def ask_engine(conn: AsyncConnection, job: str, run_id: int | None = None) -> None:
    """Queue `job` for the worker in this transaction (PostgreSQL). On SQLite the in-process runner
    of `serve` runs jobs (api/job_runner.py) and takes queued runs from `job_runs` instead."""
    if conn.dialect.name != "postgresql":
        return
    args = {"run_id": run_id} if run_id is not None else {}
    # A staff-requested run carries its own run id, so it is never folded into another waiting job.
    await conn.execute(_ENGINE_INSERT, {"task": job, "lock": job, "queueing_lock": None if run_id is not None else job,
                                        "args": json.dumps(args)})


def _run(row: Row) -> JobRun:
    return JobRun(id=row.id, job=row.job, trigger=row.trigger, status=JobRunStatus(row.status),
                  queued_at=row.queued_at, scheduled_for=row.scheduled_for, started_at=row.started_at,
                  finished_at=row.finished_at, counts=dict(row.counts or {}), error=row.error)


class SqlJobRunRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def queue(self, job: str, trigger: str, now: datetime) -> JobRun:
        row = (await self._conn.execute(insert(job_runs).values(
            job=job, trigger=trigger, status=JobRunStatus.QUEUED.value, queued_at=now, counts={},
        ).returning(*job_runs.c))).one()
        return _run(row)

    async def ask_engine(self, job: str, run_id: int | None) -> None:
        await ask_engine(self._conn, job, run_id)

    async def start(self, job: str, trigger: str, now: datetime, *, run_id: int | None = None,
                    scheduled_for: datetime | None = None, engine_job_id: int | None = None) -> int:
        if engine_job_id is not None:
            # The engine hands out a job again only when the worker running it died (or it failed and is
            # retried): that earlier run will never finish by itself.
            await self._conn.execute(update(job_runs).where(
                job_runs.c.engine_job_id == engine_job_id, job_runs.c.status == JobRunStatus.RUNNING.value,
            ).values(status=JobRunStatus.FAILED.value, finished_at=now,
                     error="the worker stopped during this run; the job was run again"))
        if run_id is not None:
            started = await self._conn.execute(update(job_runs).where(job_runs.c.id == run_id).values(
                status=JobRunStatus.RUNNING.value, started_at=now, engine_job_id=engine_job_id,
                finished_at=None, error=None))
            if started.rowcount == 1:
                return run_id
        return int(await self._conn.scalar(insert(job_runs).values(
            job=job, trigger=trigger, status=JobRunStatus.RUNNING.value, queued_at=now, started_at=now,
            scheduled_for=scheduled_for, counts={}, engine_job_id=engine_job_id,
        ).returning(job_runs.c.id)))

    async def finish(self, run_id: int, counts: dict[str, int], error: str | None, now: datetime) -> None:
        await self._conn.execute(update(job_runs).where(job_runs.c.id == run_id).values(
            status=JobRunStatus.FAILED.value if error else JobRunStatus.DONE.value, finished_at=now,
            counts=counts, error=error[:500] if error else None))

    async def page(self, job: str | None, limit: int, before_id: int | None) -> list[JobRun]:
        query = select(job_runs)
        if job:
            query = query.where(job_runs.c.job == job)
        if before_id is not None:
            query = query.where(job_runs.c.id < before_id)
        return [_run(r) for r in await self._conn.execute(query.order_by(job_runs.c.id.desc()).limit(limit))]

    async def queued(self, limit: int) -> list[JobRun]:
        rows = await self._conn.execute(select(job_runs).where(job_runs.c.status == JobRunStatus.QUEUED.value)
                                        .order_by(job_runs.c.id).limit(limit))
        return [_run(r) for r in rows]
