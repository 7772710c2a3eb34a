"""Outbox relay wake-up: time from an outbox row's commit to the webhook request reaching the
endpoint, with one `python -m api.cli worker` on PostgreSQL and its periodic relay tick switched off
and its fallback queue poll set to 5 minutes (so only the job queued in the row's transaction, woken
by NOTIFY, can deliver it in time).

    .venv/bin/python -m bench.jobs [--samples N]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import create_async_engine

from api.migrate import upgrade
from domain.store.broker import InProcessBroker
from domain.store.tables import webhook_subscriptions
from domain.store.unit_of_work import SqlUnitOfWork
from tests.conftest import create_database
from tests.support.servers import postgres_server

ROOT = Path(__file__).resolve().parent.parent
OFF = ";".join(f"{n}=off" for n in ("expire-points", "evaluate-tiers", "birthday-rewards", "compute-segments",
                                    "deliver-webhooks"))


def _start_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "api.cli", "worker"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def main(samples: int) -> None:
    arrivals: asyncio.Queue[float] = asyncio.Queue()

    async def endpoint(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        arrivals.put_nowait(time.perf_counter())
        writer.write(b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(endpoint, "127.0.0.1", 0)
    with postgres_server() as server_url:
        url = await create_database(server_url, "bench_jobs")
        await asyncio.to_thread(upgrade, url)
        engine = create_async_engine(url)
        async with engine.begin() as conn:
            await conn.execute(webhook_subscriptions.insert().values(
                partner_id=None, url=f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/hook",
                secret="whsec_bench", event_types=["partner.transaction"], created_at=datetime.now(UTC)))
        env = {**os.environ, "DATABASE_URL": url, "LOYALTY_ENV": "test", "JWT_SECRET": "b" * 40,
               "JOB_SCHEDULES": OFF, "WORKER_POLL_SECONDS": "300"}  # no fallback poll: NOTIFY alone
        worker = _start_worker(env)
        try:
            await asyncio.sleep(15)  # imports and LISTEN
            waits = []
            for _ in range(samples):
                uow = SqlUnitOfWork(engine, InProcessBroker())
                async with uow:
                    await uow.webhooks.enqueue("partner.transaction", {"points": 1}, None, datetime.now(UTC))
                    await uow.commit()
                committed = time.perf_counter()
                waits.append((await asyncio.wait_for(arrivals.get(), 60) - committed) * 1000)
                await asyncio.sleep(0.2)
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(60)
            await engine.dispose()
            server.close()
    waits.sort()
    print(f"outbox commit -> webhook received, {samples} samples, 1 worker: "
          f"median {statistics.median(waits):.0f} ms, p90 {waits[int(len(waits) * 0.9) - 1]:.0f} ms, "
          f"max {waits[-1]:.0f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.jobs")
    parser.add_argument("--samples", type=int, default=30)
    asyncio.run(main(parser.parse_args().samples))
