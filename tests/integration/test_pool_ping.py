"""The write pool notices a connection the server dropped (a restart, an idle timeout, a failover)
before a transaction uses it: the write goes through on a fresh connection instead of failing."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from domain.store.database import create_engine

pytestmark = pytest.mark.postgres


async def test_a_write_after_the_server_dropped_the_pooled_connection_succeeds(postgres_url: str) -> None:
    engine = create_engine(postgres_url, pool_size=1)
    other = create_engine(postgres_url, pool_size=1)
    try:
        async with engine.begin() as conn:
            pid = await conn.scalar(text("SELECT pg_backend_pid()"))
        async with other.begin() as conn:
            assert await conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        async with engine.begin() as conn:
            assert await conn.scalar(text("SELECT pg_backend_pid()")) != pid
            assert await conn.scalar(text("SELECT 1")) == 1
    finally:
        await engine.dispose()
        await other.dispose()


async def test_a_write_connection_is_checked_in_one_round_trip(postgres_url: str) -> None:
    """asyncpg's own pre-ping wraps its ping in BEGIN … ROLLBACK (for PgBouncer's transaction mode):
    three round trips per checkout where one does when the server is PostgreSQL itself."""
    engine = create_engine(postgres_url, pool_size=1)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("SELECT 1"))
            raw = (await conn.get_raw_connection()).driver_connection
        sent: list[str] = []
        original = raw._protocol.query  # asyncpg's simple-query path: BEGIN, ROLLBACK, COMMIT, ";"

        async def counting(query: str, *args: object) -> object:
            sent.append(query)
            return await original(query, *args)

        raw._protocol.query = counting
        try:
            async with engine.connect() as conn:
                pass
        finally:
            raw._protocol.query = original
        assert "BEGIN;" not in sent and "ROLLBACK;" not in sent
    finally:
        await engine.dispose()
