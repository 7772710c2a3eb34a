"""`python -m api.cli serve` as a real process: SIGTERM closes sockets with 1001, finishes the request in
flight, stops accepting and exits; on SQLite the same process runs the scheduled jobs (embedded default)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import websockets

from tests.support.client import REQUEST_CODE, SIGN_IN
from tests.support.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
OFF = {n: "off" for n in ("expire-points", "evaluate-tiers", "birthday-rewards", "deliver-webhooks")}


async def _wait_healthy(base: str, proc: subprocess.Popen[bytes], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            assert proc.poll() is None, "the server died at start"
            try:
                if (await client.get(f"{base}/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise AssertionError("server did not start")


def _serve(port: int, tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    with open(tmp_path / "serve.log", "wb") as log:  # the child keeps its own copy of the descriptor
        return subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--port", str(port), *args],
                                cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)


def _job_runs(db: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT job, status FROM job_runs").fetchall()


async def test_sigterm_drains_sockets_with_1001_and_finishes_the_request_in_flight(tmp_path: Path) -> None:
    port, db = free_port(), tmp_path / "serve.db"
    schedules = ";".join([*(f"{k}={v}" for k, v in OFF.items()), "compute-segments=every 1s"])
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{db}", "LOYALTY_ENV": "development",
           "JWT_SECRET": "s" * 40, "DEV_LOGIN_CODE": "000000", "JOB_SCHEDULES": schedules,
           "SHUTDOWN_GRACE_SECONDS": "20"}
    env.pop("RUN_JOBS_IN_PROCESS", None)
    proc = _serve(port, tmp_path, {**env, "PYTHONPATH": str(ROOT)})
    base = f"http://127.0.0.1:{port}"
    try:
        await _wait_healthy(base, proc)
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            await client.post("/graphql", json={"query": REQUEST_CODE, "variables": {"p": "13800138000"}})
            signed = (await client.post("/graphql", json={"query": SIGN_IN, "variables": {
                "phone": "13800138000", "code": "000000"}})).json()
            token = signed["data"]["signIn"]["session"]["accessToken"]

            # The embedded default runs the scheduled jobs in the serving process.
            deadline = time.monotonic() + 60
            while ("compute-segments", "DONE") not in _job_runs(db):
                assert time.monotonic() < deadline, "serve on SQLite ran no scheduled job"
                await asyncio.sleep(0.3)

            socket = await websockets.connect(f"ws://127.0.0.1:{port}/graphql", subprotocols=["graphql-transport-ws"])
            await socket.send(json.dumps({"type": "connection_init", "payload": {"accessToken": token}}))
            assert json.loads(await socket.recv())["type"] == "connection_ack"
            await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
                "query": "subscription { pointsChanged { kind } }"}}))
            assert json.loads(await socket.recv())["type"] == "next"

            # A request in flight: its write waits for a lock this test holds.
            lock = sqlite3.connect(db, isolation_level=None)
            lock.execute("BEGIN EXCLUSIVE")
            in_flight = asyncio.create_task(client.post(
                "/graphql", headers={"authorization": f"Bearer {token}"},
                json={"query": 'mutation { updateProfile(input: {displayName: "小林"}) { member { displayName } } }'}))
            await asyncio.sleep(1.0)
            assert not in_flight.done()

            started = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            with pytest.raises(websockets.ConnectionClosed) as closed:
                while True:
                    await asyncio.wait_for(socket.recv(), 15)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001, closed.value
            assert json.loads(closed.value.rcvd.reason)["reason"] == "SERVER_SHUTDOWN"
            assert time.monotonic() - started < 10

            await asyncio.sleep(1.0)
            with pytest.raises(httpx.TransportError):  # no longer accepting
                async with httpx.AsyncClient(timeout=2) as fresh:
                    await fresh.get(f"{base}/healthz")
            assert not in_flight.done(), "the request in flight is still being served"
            lock.execute("COMMIT")
            lock.close()
            answer = await in_flight
            assert answer.status_code == 200
            assert answer.json() == {"data": {"updateProfile": {"member": {"displayName": "小林"}}}}
        # uvicorn re-raises the signal once it has shut down, so the exit status says "terminated by SIGTERM".
        assert await asyncio.to_thread(proc.wait, 60) in (0, -signal.SIGTERM)
        assert "Application shutdown complete." in (tmp_path / "serve.log").read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.redis
async def test_metrics_sum_over_uvicorn_workers(tmp_path: Path, redis_url: str) -> None:
    port, db, samples = free_port(), tmp_path / "serve.db", tmp_path / "metrics"
    samples.mkdir()
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{db}", "LOYALTY_ENV": "development",
           "JWT_SECRET": "s" * 40, "REDIS_URL": redis_url, "PYTHONPATH": str(ROOT),
           "PROMETHEUS_MULTIPROC_DIR": str(samples)}
    proc = _serve(port, tmp_path, env, "--workers", "2")
    base = f"http://127.0.0.1:{port}"
    try:
        await _wait_healthy(base, proc)
        for _ in range(40):
            # A fresh connection each time, so both workers take some.
            async with httpx.AsyncClient(base_url=base) as once:
                await once.post("/graphql", json={"query": "query Ladder { tiers { code } }"})
        writers = {f.stem.rsplit("_", 1)[1] for f in samples.glob("histogram_*.db")}
        assert len(writers) == 2, f"both workers served requests: {writers}"
        for _ in range(5):  # whichever worker answers the scrape reports all 40
            async with httpx.AsyncClient(base_url=base) as once:
                text = (await once.get("/metrics")).text
            line = next(x for x in text.splitlines()
                        if x.startswith('loyalty_graphql_request_seconds_count{operation="Ladder"'))
            assert float(line.rsplit(" ", 1)[1]) == 40
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.to_thread(proc.wait, 30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
