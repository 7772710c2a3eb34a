"""`python -m api.cli worker` as real processes on PostgreSQL: exclusivity, crash retry, outbox wake-up."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from api.jobs import JOBS
from api.migrate import upgrade
from tests.conftest import create_database, in_thread
from tests.support.servers import free_port

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
# Every job but the one under test is off, so the runs counted are that job's.
ALL_OFF = ";".join(f"{job.name}=off" for job in JOBS)


@pytest.fixture
async def fresh_pg(pg_server_url: str) -> AsyncIterator[str]:
    url = await create_database(pg_server_url, f"worker_{uuid.uuid4().hex[:8]}")
    await asyncio.to_thread(in_thread, upgrade, url)
    yield url


def start_worker(url: str, tmp_path: Path, label: str, **env: str) -> subprocess.Popen[bytes]:
    full = {**os.environ, "DATABASE_URL": url, "LOYALTY_ENV": "test", "JWT_SECRET": "w" * 40,
            "WORKER_HEARTBEAT_SECONDS": "0.5", "WORKER_STALLED_SECONDS": "2", **env}
    with open(tmp_path / f"{label}.log", "wb") as log:  # the child keeps its own copy of the descriptor
        return subprocess.Popen([sys.executable, "-m", "api.cli", "worker"], cwd=ROOT, env=full, stdout=log,
                                stderr=subprocess.STDOUT)


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 60) -> int:
    if proc.poll() is None:
        proc.send_signal(sig)
    return proc.wait(timeout)


async def rows(url: str, sql: str, **params: object) -> list:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return list(await conn.execute(text(sql), params))
    finally:
        await engine.dispose()


async def wait_for(check, seconds: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


async def workers_registered(url: str, count: int) -> None:
    """Started processes take a while to import and connect on a busy machine: wait until they listen."""
    async def ready() -> bool:
        return (await rows(url, "SELECT count(*) FROM procrastinate_workers"))[0][0] >= count
    await wait_for(ready, 120, f"{count} workers to register")


async def test_two_workers_run_each_scheduled_tick_once(fresh_pg: str, tmp_path: Path) -> None:
    # Production's stall timeout: a busy machine must not make a live worker look dead here.
    env = {"JOB_SCHEDULES": ALL_OFF.replace("compute-segments=off", "compute-segments=every 1s"),
           "WORKER_HEARTBEAT_SECONDS": "2", "WORKER_STALLED_SECONDS": "30"}
    port = free_port()
    # The second runs as production does (no SMS sender there: a worker never sends login codes).
    workers = [start_worker(fresh_pg, tmp_path, "w0", **env, WORKER_HTTP_PORT=str(port)),
               start_worker(fresh_pg, tmp_path, "w1", **env, LOYALTY_ENV="production")]
    try:
        async def enough() -> bool:
            found = await rows(fresh_pg, "SELECT count(*) FROM job_runs WHERE status = 'DONE'")
            return found[0][0] >= 6
        await workers_registered(fresh_pg, 2)
        await wait_for(enough, 90, "six scheduled runs")
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as probe:
            ready = await probe.get("/readyz")
            assert ready.status_code == 200, ready.text
            assert ready.json() == {"database": "ok", "migrations": "ok", "jobEngine": "ok"}
            metrics = (await probe.get("/metrics")).text
            assert 'loyalty_job_seconds_count{job="compute-segments"}' in metrics
    finally:
        codes = [stop(w) for w in workers]
    assert codes == [0, 0], "both workers stop cleanly on SIGTERM"
    runs = await rows(fresh_pg, "SELECT scheduled_for, started_at, finished_at, status FROM job_runs "
                                "WHERE job = 'compute-segments' ORDER BY started_at")
    ticks = [r.scheduled_for for r in runs]
    assert len(ticks) == len(set(ticks)), f"a scheduled tick ran twice: {ticks}"
    assert all(r.status == "DONE" for r in runs)
    for before, after in itertools.pairwise(runs):
        assert before.finished_at <= after.started_at, "two runs of one job overlapped"
    logs = [(tmp_path / f"w{i}.log").read_text() for i in range(2)]
    assert all("Stopped worker" in log for log in logs)


class Receiver:
    """A webhook endpoint on loopback that holds the first request open until told to answer."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.first_arrived = asyncio.Event()
        self.release = asyncio.Event()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(
            b"content-length"))
        self.bodies.append(await reader.readexactly(length))
        if len(self.bodies) == 1:
            self.first_arrived.set()
            await self.release.wait()
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
        await writer.drain()
        writer.close()


async def _outbox_event(url: str, endpoint: str) -> None:
    from domain.store.tables import webhook_subscriptions

    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(webhook_subscriptions.insert().values(
            partner_id=None, url=endpoint, secret="whsec_test", event_types=["partner.transaction"],
            created_at=datetime.now(UTC)))
    await engine.dispose()
    from domain.store.broker import InProcessBroker
    from domain.store.unit_of_work import SqlUnitOfWork

    engine = create_async_engine(url)
    uow = SqlUnitOfWork(engine, InProcessBroker())
    async with uow:
        await uow.webhooks.enqueue("partner.transaction", {"points": 10}, None, datetime.now(UTC))
        await uow.commit()
    await engine.dispose()


async def test_new_outbox_row_wakes_the_worker_and_a_killed_worker_s_job_is_retried(
        fresh_pg: str, tmp_path: Path) -> None:
    receiver = Receiver()
    server = await asyncio.start_server(receiver.handle, "127.0.0.1", 0)
    endpoint = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/hook"
    # deliver-webhooks off: only the job queued with the outbox row can deliver it (no polling tick).
    first = start_worker(fresh_pg, tmp_path, "first", JOB_SCHEDULES=ALL_OFF)
    second = None
    try:
        await workers_registered(fresh_pg, 1)
        started = time.monotonic()
        await _outbox_event(fresh_pg, endpoint)
        await asyncio.wait_for(receiver.first_arrived.wait(), 60)
        woke_after = time.monotonic() - started
        # With the relay's schedule off, only the job queued with the row can send it; NOTIFY makes that
        # prompt (well under a second on an idle machine; generous here for a loaded CI box).
        assert woke_after < 10, f"the relay took {woke_after:.1f} s to wake"
        stop(first, signal.SIGKILL)  # mid-job: the delivery is being sent
        receiver.release.set()
        second = start_worker(fresh_pg, tmp_path, "second", JOB_SCHEDULES=ALL_OFF)

        async def delivered() -> bool:
            found = await rows(fresh_pg, "SELECT status FROM webhook_deliveries")
            done = await rows(fresh_pg, "SELECT id FROM job_runs WHERE status = 'DONE'")
            return [r.status for r in found] == ["DELIVERED"] and len(done) == 1
        await wait_for(delivered, 120, "the delivery after the crash")
    finally:
        for proc in (first, second):
            if proc is not None:
                stop(proc, signal.SIGKILL)
        server.close()
    assert len(receiver.bodies) == 2 and receiver.bodies[0] == receiver.bodies[1], \
        "the interrupted attempt was sent again, the same event (receivers drop repeats by its id)"
    runs = await rows(fresh_pg, "SELECT status, trigger, error FROM job_runs WHERE job = 'deliver-webhooks' "
                                "ORDER BY id")
    assert [(r.status, r.trigger) for r in runs] == [("FAILED", "outbox"), ("DONE", "outbox")]
    assert "worker stopped" in runs[0].error


async def test_sigterm_lets_the_running_job_finish(fresh_pg: str, tmp_path: Path) -> None:
    receiver = Receiver()
    server = await asyncio.start_server(receiver.handle, "127.0.0.1", 0)
    endpoint = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/hook"
    worker = start_worker(fresh_pg, tmp_path, "graceful", JOB_SCHEDULES=ALL_OFF)
    try:
        await workers_registered(fresh_pg, 1)
        await _outbox_event(fresh_pg, endpoint)
        await asyncio.wait_for(receiver.first_arrived.wait(), 60)
        worker.send_signal(signal.SIGTERM)
        await asyncio.sleep(1.5)
        assert worker.poll() is None, "the worker waits for its running job"
        receiver.release.set()
        assert await asyncio.to_thread(worker.wait, 60) == 0
    finally:
        stop(worker, signal.SIGKILL)
        server.close()
    assert len(receiver.bodies) == 1
    assert [r.status for r in await rows(fresh_pg, "SELECT status FROM webhook_deliveries")] == ["DELIVERED"]
    runs = await rows(fresh_pg, "SELECT status FROM job_runs WHERE job = 'deliver-webhooks'")
    assert [r.status for r in runs] == ["DONE"]
