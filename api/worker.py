"""`python -m api.cli worker`: the jobs of api/jobs.py on procrastinate (PostgreSQL).

- Periodic jobs: procrastinate defers each scheduled tick once for the whole deployment (a unique
  row per task and timestamp in `procrastinate_periodic_defers`), however many workers run, and each
  task has a `lock` of its own name, so two runs of one job never overlap.
- The outbox relay (`deliver-webhooks`) is queued in the same transaction as each outbox row
  (domain/store/jobs_repo.py), and procrastinate's NOTIFY trigger wakes a listening worker at commit.
- A worker killed mid-job stops sending heartbeats; `retry-stalled-jobs` (every minute, on any
  worker) hands its jobs out again after WORKER_STALLED_SECONDS. Jobs are idempotent.
- SIGTERM/SIGINT: procrastinate stops fetching and waits for running jobs (up to
  SHUTDOWN_GRACE_SECONDS, then they are cancelled and retried by another worker).
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import UTC, datetime
from typing import Any

import procrastinate
from procrastinate.job_context import JobContext

from api.container import Container
from api.jobs import JOBS, Job, run_recorded, schedules

log = logging.getLogger(__name__)

RETRY_STALLED = "retry-stalled-jobs"


def psycopg_conninfo(database_url: str) -> str:
    """DATABASE_URL is SQLAlchemy's (postgresql+asyncpg://...); psycopg takes the libpq form."""
    scheme, sep, rest = database_url.partition("://")
    if not sep or not scheme.startswith("postgresql"):
        raise ValueError("the worker needs PostgreSQL: DATABASE_URL=postgresql+asyncpg://user@host/db")
    return f"postgresql://{rest}"


def build_engine(container: Container, jobs: tuple[Job, ...] = JOBS) -> procrastinate.App:
    settings = container.settings
    connector = procrastinate.PsycopgConnector(conninfo=psycopg_conninfo(settings.database_url),
                                               min_size=1, max_size=max(2, settings.worker_concurrency + 2))
    app = procrastinate.App(connector=connector)
    plan = schedules(settings.job_schedules, jobs)
    today = datetime.now(container.timezone).date()
    for job in jobs:
        task = app.task(name=job.name, lock=job.name, pass_context=True,
                        # A failure is retried with growing waits (5 s, 10 s, 20 s, ...): jobs are idempotent.
                        retry=procrastinate.RetryStrategy(max_attempts=5, exponential_wait=5))(_runner(container, job))
        cron = plan[job.name].cron(container.timezone, today)
        if cron:
            app.periodic(cron=cron, periodic_id=job.name)(task)

    async def retry_stalled_jobs(timestamp: int) -> None:
        stalled = await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=settings.worker_stalled_seconds)
        for job in stalled:
            log.warning("job %s (%s) was left running by a stopped worker: running it again", job.id, job.task_name)
            await app.job_manager.retry_job(job)

    app.periodic(cron="* * * * * */10" if settings.worker_stalled_seconds < 60 else "* * * * *",
                 periodic_id=RETRY_STALLED)(
        app.task(name=RETRY_STALLED, queueing_lock=RETRY_STALLED, lock=RETRY_STALLED)(retry_stalled_jobs))
    return app


def _runner(container: Container, job: Job) -> Any:
    async def run(context: JobContext, timestamp: int | None = None, run_id: int | None = None) -> dict[str, int]:
        # Staff runs carry their queued run's id; the outbox relay is queued with no arguments.
        trigger = "schedule" if timestamp is not None else "staff" if run_id is not None else "outbox"
        return await run_recorded(
            container, job, trigger, run_id=run_id, engine_job_id=context.job.id,
            scheduled_for=datetime.fromtimestamp(timestamp, UTC) if timestamp is not None else None)

    run.__name__ = job.name.replace("-", "_")
    return run


async def engine_ready(app: procrastinate.App) -> str:
    try:
        await app.connector.execute_query_one_async("SELECT 1 AS ok FROM procrastinate_jobs LIMIT 0")
        return "ok"
    except Exception as exc:
        log.warning("job engine not ready: %s", exc)
        return "unavailable"


async def run_worker(container: Container) -> None:
    app = build_engine(container)
    settings = container.settings
    name = f"{socket.gethostname()}:{os.getpid()}"
    async with app.open_async():
        log.info("worker %s started", name)
        await app.run_worker_async(
            name=name, concurrency=settings.worker_concurrency, wait=True, listen_notify=True,
            install_signal_handlers=True, shutdown_graceful_timeout=settings.shutdown_grace_seconds,
            update_heartbeat_interval=settings.worker_heartbeat_seconds,
            stalled_worker_timeout=settings.worker_stalled_seconds,
            delete_jobs="successful",
        )
    log.info("worker %s stopped", name)
