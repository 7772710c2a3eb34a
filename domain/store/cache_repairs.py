"""The shared list of cache entries whose write-through was lost (see domain/store/cache.py).

It lives in the database, not in a worker's memory: the worker that lost a write may not be the
one that next reads the entry, and may not live to repair it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.store.tables import cache_repairs


class SqlCacheRepairs:
    def __init__(self, engine: AsyncEngine, read_engine: AsyncEngine | None = None) -> None:
        self._engine = engine
        # `pending` is read whenever a worker's 100 ms trust lease lapses: on the autocommit read engine
        # (PostgreSQL) that is a pre-ping and the SELECT, not a ping, BEGIN, SELECT and ROLLBACK each.
        self._read_engine = read_engine or engine

    async def add(self, versions: dict[str, int]) -> None:
        """Keys (with their prefix) and the version each must reach; a key already listed keeps the higher."""
        if not versions:
            return
        async with self._engine.begin() as conn:
            module = postgresql if conn.dialect.name == "postgresql" else sqlite
            stmt = module.insert(cache_repairs)
            stmt = stmt.on_conflict_do_update(
                index_elements=["key"],
                set_={"version": func.max(cache_repairs.c.version, stmt.excluded.version)
                      if conn.dialect.name == "sqlite" else func.greatest(cache_repairs.c.version,
                                                                           stmt.excluded.version)},
            )
            now = datetime.now(UTC)
            await conn.execute(stmt, [{"key": k, "version": v, "created_at": now} for k, v in versions.items()])

    async def pending(self, limit: int) -> dict[str, int]:
        async with self._read_engine.connect() as conn:
            rows = await conn.execute(select(cache_repairs.c.key, cache_repairs.c.version)
                                      .order_by(cache_repairs.c.key).limit(limit))
            return {r.key: int(r.version) for r in rows}

    async def done(self, versions: dict[str, int]) -> None:
        """Forget repaired keys, unless a newer loss was listed meanwhile (then it waits for the next round)."""
        async with self._engine.begin() as conn:
            for key, version in versions.items():
                await conn.execute(delete(cache_repairs).where(cache_repairs.c.key == key,
                                                               cache_repairs.c.version <= version))
