"""The system under test: a throwaway PostgreSQL (and redis-server), migrated, with the demo program.

Servers are started exactly as the test suite starts them, so a benchmark figure and a test
failure describe the same setup.
"""

from __future__ import annotations

import asyncio
import itertools
import platform
from collections.abc import AsyncIterator
from contextlib import ExitStack, asynccontextmanager
from dataclasses import dataclass

from sqlalchemy import text
from starlette.applications import Starlette

from api.app import container_of, create_app
from api.container import Container
from api.migrate import upgrade
from api.settings import Settings
from api.sms import DevCodeSink
from domain.auth.login import new_member_code
from tests.conftest import create_database
from tests.support.program import configure_program
from tests.support.servers import postgres_server, redis_server

BENCH_KEYS = {"b1": "bench-signing-key-" + "x" * 40}
_phones = itertools.count(1)


@dataclass
class Bench:
    app: Starlette
    container: Container
    cache_backend: str


@asynccontextmanager
async def bench_environment(use_redis: bool, count_sql: bool = False) -> AsyncIterator[Bench]:
    with ExitStack() as servers:
        server_url = servers.enter_context(postgres_server())
        redis_url = servers.enter_context(redis_server())[0] if use_redis else None
        url = await create_database(server_url, "loyalty_bench")
        # Alembic's env calls asyncio.run itself, which refuses to start inside a running loop.
        await asyncio.to_thread(upgrade, url)
        settings = Settings(env="test", database_url=url, redis_url=redis_url, redis_prefix="bench:",
                            jwt_keys=BENCH_KEYS, jwt_active_kid="b1", count_sql=count_sql).validated()
        app = create_app(settings, code_sender=DevCodeSink())
        container = container_of(app)
        try:
            await configure_program(container)
            yield Bench(app, container, "redis-server" if redis_url else "in-process")
        finally:
            await container.close()


async def new_members(container: Container, count: int) -> list[int]:
    """Fresh members, so each run starts from an empty account and tier spend."""
    ids = []
    async with container.uow() as uow:
        for _ in range(count):
            member, _created = await uow.members.get_or_create(f"139{next(_phones):08d}", new_member_code(),
                                                                container.now())
            ids.append(member.id)
        await uow.commit()
    return ids


async def describe(container: Container) -> str:
    async with container.engine.connect() as conn:
        version = await conn.scalar(text("SHOW server_version"))
    return f"PostgreSQL {version}, Python {platform.python_version()}"
