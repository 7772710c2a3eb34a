"""The servers under load, each with N workers on 127.0.0.1 against the same database: the app
exactly as `python -m api.cli serve --workers N` starts it (uvicorn; bench mode: SQL statement
header on), the same app under granian (ASGI server comparison), and the hand-written baseline
(bench/baseline_app.py, uvicorn)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.servers import free_port

REPO = Path(__file__).resolve().parents[1]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def children(pid: int) -> list[int]:
    """Worker processes: the supervisor's children, less multiprocessing's resource tracker."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            try:
                if b"resource_tracker" not in Path(f"/proc/{child}/cmdline").read_bytes():
                    found.append(int(child))
            except OSError:
                continue
    return found


class Server:
    def __init__(self, name: str, command: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.port = free_port()
        self.log = log
        with log.open("ab") as out:
            self.proc = subprocess.Popen([*command, "--port", str(self.port)], cwd=REPO, env=env, stdout=out,
                                         stderr=subprocess.STDOUT)

    @classmethod
    def app(cls, workers: int, env: dict[str, str], log: Path) -> Server:
        return cls("graphql", [sys.executable, "-m", "api.cli", "serve", "--workers", str(workers)],
                   dict(env, LOYALTY_COUNT_SQL="1"), log)

    @classmethod
    def granian(cls, workers: int, env: dict[str, str], log: Path) -> Server:
        """The same app under granian (Rust HTTP, one Python event loop per worker process, uvloop)
        instead of uvicorn (uvloop + httptools): same settings, same database, bench mode."""
        return cls("granian", [sys.executable, "-m", "granian", "--interface", "asgi", "--factory",
                               "--host", "127.0.0.1", "--workers", str(workers), "--loop", "uvloop",
                               "--no-access-log", "--log-level", "warning", "api.app:create_app"],
                   dict(env, LOYALTY_COUNT_SQL="1"), log)

    @classmethod
    def baseline(cls, workers: int, env: dict[str, str], log: Path) -> Server:
        return cls("baseline", [sys.executable, "-m", "uvicorn", "bench.baseline_app:create_app", "--factory",
                                "--host", "127.0.0.1", "--workers", str(workers), "--no-access-log",
                                "--log-level", "warning"], env, log)

    def workers(self) -> list[int]:
        """uvicorn's supervisor forks the workers; their RSS is what each core's process costs."""
        return children(self.proc.pid)

    def rss_mib(self) -> list[float]:
        return [rss_kib(pid) / 1024 for pid in self.workers()]

    async def wait_ready(self, workers: int, within: float = 60.0) -> None:
        deadline = time.monotonic() + within
        async with httpx.AsyncClient() as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.tail()}")
                try:
                    ok = (await client.get(f"http://127.0.0.1:{self.port}/readyz", timeout=2)).status_code == 200
                except httpx.HTTPError:
                    ok = False
                if ok and len(self.workers()) >= workers:
                    return
                await asyncio.sleep(0.2)
        raise RuntimeError(f"{self.name} not ready after {within}s:\n{self.tail()}")

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def server_env(database_url: str, redis_url: str, keys: dict[str, str], prefix: str) -> dict[str, str]:
    return dict(os.environ, LOYALTY_ENV="test", DATABASE_URL=database_url, REDIS_URL=redis_url,
                REDIS_PREFIX=prefix, JWT_KEYS=",".join(f"{k}:{v}" for k, v in keys.items()),
                JWT_ACTIVE_KID=next(iter(keys)), ACCESS_TOKEN_TTL_SECONDS="86400", GRAPHIQL="0",
                # One partner sends the whole partner-earn run: a production cap of 600 a minute would
                # turn most of it into RATE_LIMITED answers and time those instead of the earn.
                PARTNER_REQUESTS_PER_MINUTE="100000000")
