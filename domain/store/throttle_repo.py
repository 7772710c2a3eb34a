"""Windowed failure/usage counters with an optional lock, shared by every worker through the database."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.ports import ThrottleState
from domain.store.dialect import insert_ignoring_conflict
from domain.store.tables import throttle_counters as t


class SqlThrottleRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def peek(self, key: str, now: datetime, window_seconds: int) -> ThrottleState:
        row = (await self._conn.execute(select(t).where(t.c.key == key))).first()
        if row is None:
            return ThrottleState(0, None)
        fresh = row.window_start > now - timedelta(seconds=window_seconds)
        return ThrottleState(row.count if fresh else 0, row.locked_until)

    async def bump(self, key: str, now: datetime, window_seconds: int, by: int = 1) -> ThrottleState:
        """Count one more in the current window (a stale window restarts at `by`); row-locked, so
        concurrent workers each see their own increment."""
        await self._conn.execute(insert_ignoring_conflict(self._conn, t, ["key"]).values(
            key=key, window_start=now, count=0, locked_until=None))
        query = select(t).where(t.c.key == key)
        if self._conn.dialect.name == "postgresql":
            query = query.with_for_update()
        row = (await self._conn.execute(query)).one()
        if row.window_start <= now - timedelta(seconds=window_seconds):
            count, start = by, now
        else:
            count, start = row._mapping["count"] + by, row.window_start  # Row.count is also tuple.count
        await self._conn.execute(update(t).where(t.c.key == key).values(count=count, window_start=start))
        return ThrottleState(count, row.locked_until)

    async def lock(self, key: str, until: datetime) -> None:
        await self._conn.execute(update(t).where(t.c.key == key).values(locked_until=until))

    async def clear(self, key: str) -> bool:
        return bool((await self._conn.execute(delete(t).where(t.c.key == key))).rowcount)
