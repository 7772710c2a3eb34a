"""Session-wide servers (real PostgreSQL and redis-server on loopback) and per-test apps."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from api.app import create_app
from api.migrate import upgrade
from api.settings import Settings
from api.sms import DevCodeSink
from domain.store.tables import metadata
from tests.support.client import ApiClient
from tests.support.servers import postgres_server, redis_server

TEST_KEYS = {"t1": "test-signing-key-0123456789abcdef-0123456789abcdef"}


def in_thread(fn: Callable[..., Any], *args: Any) -> Any:
    """Alembic's env runs its own event loop, so keep it off the test loop's thread."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn, *args).result()


async def create_database(server_url: str, name: str) -> str:
    conn = await asyncpg.connect(server_url.replace("+asyncpg", "") + "/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return f"{server_url}/{name}"


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    if url := os.environ.get("TEST_POSTGRES_URL"):
        yield url
        return
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="session")
def pg_url(pg_server_url: str) -> str:
    url = in_thread(asyncio.run, create_database(pg_server_url, "loyalty_test"))
    in_thread(upgrade, url)
    return url


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    if url := os.environ.get("TEST_REDIS_URL"):
        yield url
        return
    with redis_server() as (url, _proc):
        yield url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    in_thread(upgrade, f"sqlite+aiosqlite:///{path}")
    return path


async def truncate_all(url: str) -> None:
    engine = create_async_engine(url)
    names = ", ".join(t.name for t in metadata.sorted_tables)
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    await engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """Each test gets a migrated, empty database: a copy of a template file, or truncated PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "db.sqlite"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    url = request.getfixturevalue("pg_url")
    await truncate_all(url)
    yield url


@pytest.fixture
async def postgres_url(pg_url: str) -> AsyncIterator[str]:
    """For tests that are about PostgreSQL behaviour (locks, concurrency) only: empty before and after."""
    await truncate_all(pg_url)
    yield pg_url
    await truncate_all(pg_url)


def app_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = dict(
        env="test", database_url=database_url, jwt_keys=TEST_KEYS, jwt_active_kid="t1",
        redis_prefix=f"test:{uuid.uuid4().hex[:8]}:",
        # Tests sign in many times in a row; the rate-limit test turns this back on.
        login_code_resend_seconds=0,
        # All test traffic comes from one address; the SMS-pumping tests set their own budgets.
        sms_per_address_per_hour=1_000_000, sms_global_per_hour=1_000_000, sms_proof_after_per_address=1_000_000,
    )
    values.update(overrides)
    return Settings(**values).validated()


def _client_factory(database_url: str) -> tuple[Callable[..., ApiClient], list[ApiClient]]:
    clients: list[ApiClient] = []

    def make(**overrides: Any) -> ApiClient:
        sink = DevCodeSink()
        app = create_app(app_settings(database_url, **overrides), code_sender=sink)
        client = ApiClient(app, sink)
        clients.append(client)
        return client

    return make, clients


async def _close(clients: list[ApiClient]) -> None:
    for client in clients:
        await client.close()
        await client.container.close()


@pytest.fixture
async def make_client(database_url: str) -> AsyncIterator[Callable[..., ApiClient]]:
    make, clients = _client_factory(database_url)
    yield make
    await _close(clients)


@pytest.fixture
async def pg_api(postgres_url: str) -> AsyncIterator[ApiClient]:
    """An app on PostgreSQL alone, for claims about concurrency that SQLite cannot test."""
    make, clients = _client_factory(postgres_url)
    yield make()
    await _close(clients)


@pytest.fixture
async def api(make_client: Callable[..., ApiClient]) -> ApiClient:
    return make_client()


# The row lock that stops overdraws (and the other concurrency claims) is only tested on PostgreSQL:
# in CI those tests must run every time, so a skipped or deselected `postgres` test fails the run.
_postgres_skipped: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and "postgres" in report.keywords:
        _postgres_skipped.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not os.environ.get("CI"):
        return
    problems = []
    if "postgres" in (session.config.getoption("markexpr") or ""):
        problems.append(f"-m {session.config.getoption('markexpr')!r} leaves PostgreSQL tests out")
    if _postgres_skipped:
        problems.append(f"{len(_postgres_skipped)} PostgreSQL tests skipped, e.g. {_postgres_skipped[0]}")
    if problems:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line("CI: " + "; ".join(problems), red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
