"""Check-in days per member (one row per program-local day, unique)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.store.dialect import insert_ignoring_conflict
from domain.store.tables import check_ins


class SqlCheckInRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def days(self, member_id: int, since: date, until: date) -> list[date]:
        rows = await self._conn.scalars(
            select(check_ins.c.day).where(check_ins.c.member_id == member_id, check_ins.c.day >= since,
                                          check_ins.c.day <= until)
        )
        return list(rows)

    async def points_on(self, member_id: int, day: date) -> int:
        value = await self._conn.scalar(
            select(check_ins.c.points).where(check_ins.c.member_id == member_id, check_ins.c.day == day))
        return int(value or 0)

    async def add(self, member_id: int, day: date, points: int, makeup: bool, now: datetime) -> bool:
        result = await self._conn.execute(
            insert_ignoring_conflict(self._conn, check_ins, ["member_id", "day"]).values(
                member_id=member_id, day=day, points=points, makeup=makeup, created_at=now)
        )
        return result.rowcount == 1

    async def makeups_between(self, member_id: int, start: date, end: date) -> int:
        return int(await self._conn.scalar(
            select(func.count()).select_from(check_ins).where(
                check_ins.c.member_id == member_id, check_ins.c.makeup.is_(True), check_ins.c.day >= start,
                check_ins.c.day <= end)
        ))

    async def month(self, member_id: int, first: date, last: date) -> list[tuple[date, bool]]:
        rows = await self._conn.execute(
            select(check_ins.c.day, check_ins.c.makeup).where(
                check_ins.c.member_id == member_id, check_ins.c.day >= first, check_ins.c.day <= last)
            .order_by(check_ins.c.day)
        )
        return [(r.day, r.makeup) for r in rows]
