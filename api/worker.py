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

import asyncio
import json
import logging
import os
import socket
from datetime import UTC, datetime
from typing import Any

import procrastinate
from procrastinate.job_context import JobContext

from api.container import Container
from api.jobs import JOBS, Job, run_recorded, schedules
from api.metrics import CONTENT_TYPE_LATEST, metrics_allowed, render
from api.settings import Settings

log = logging.getLogger(__name__)

RETRY_STALLED = "retry-stalled-jobs"


class NoLoginCodes:
    """The worker's code sender: sign-in happens in the app, never in a job."""

    async def send_login_code(self, phone: str, code: str) -> None:
        raise RuntimeError("the worker does not send login codes")


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
        # Its queue table answers through its own connection pool: the engine can take and hand out jobs.
        await app.connector.execute_query_one_async("SELECT count(*) AS n FROM procrastinate_workers")
        return "ok"
    except Exception as exc:
        log.warning("job engine not ready: %s", exc)
        return "unavailable"


async def _probe_server(container: Container, app: procrastinate.App) -> asyncio.Server | None:
    """WORKER_HTTP_PORT: `/readyz` (database at the migrations' head, job engine) and `/metrics` for the
    worker process, on loopback-or-token terms like the app's. A bare HTTP/1.0 responder: two
    read-only routes do not need a web framework in the worker."""
    settings = container.settings
    if not settings.worker_http_port:
        return None

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)).decode("latin-1")
            request_line, *header_lines = head.split("\r\n")
            path = request_line.split(" ")[1] if request_line.count(" ") >= 2 else ""
            headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines if h)}
            peer = (writer.get_extra_info("peername") or ("",))[0]
            status, body, kind = 404, b"not found", "text/plain"
            if path == "/readyz":
                checks = await container.check_ready()
                checks["jobEngine"] = await engine_ready(app)
                ready = all(v == "ok" for v in checks.values())
                status, body, kind = (200 if ready else 503), json.dumps(checks).encode(), "application/json"
            elif path == "/metrics" and metrics_allowed(headers.get("authorization", ""), peer,
                                                        settings.metrics_token):
                status, body, kind = 200, render(), CONTENT_TYPE_LATEST
            writer.write(f"HTTP/1.0 {status} {'OK' if status == 200 else 'NO'}\r\ncontent-type: {kind}\r\n"
                         f"content-length: {len(body)}\r\n\r\n".encode() + body)
            await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    return await asyncio.start_server(answer, settings.worker_http_host, settings.worker_http_port)


async def run_worker(container: Container) -> None:
    app = build_engine(container)
    settings = container.settings
    name = f"{socket.gethostname()}:{os.getpid()}"
    async with app.open_async():
        probes = await _probe_server(container, app)
        log.info("worker %s started", name)
        try:
            await _run(app, settings, name)
        finally:
            if probes is not None:
                probes.close()
    log.info("worker %s stopped", name)


async def _run(app: procrastinate.App, settings: Settings, name: str) -> None:
    await app.run_worker_async(
        name=name, concurrency=settings.worker_concurrency, wait=True, listen_notify=True,
        fetch_job_polling_interval=settings.worker_poll_seconds,
        install_signal_handlers=True, shutdown_graceful_timeout=settings.shutdown_grace_seconds,
        update_heartbeat_interval=settings.worker_heartbeat_seconds,
        stalled_worker_timeout=settings.worker_stalled_seconds,
        delete_jobs="successful",
    )
