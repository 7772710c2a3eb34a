"""Offline events and sign-ups; seats are counted by a guarded UPDATE."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Row, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.meetups.model import Meetup, Signup
from domain.store.tables import event_signups, events


def _event(row: Row) -> Meetup:
    return Meetup(row.id, row.title, row.capacity, row.starts_at, row.signup_opens_at, row.signup_closes_at,
                 row.description, row.min_tier_rank, row.attendance_points, row.signed_up, row.active)


def _signup(row: Row) -> Signup:
    return Signup(row.event_id, row.member_id, row.status, row.checkin_code, row.created_at)


class SqlMeetupRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def save(self, event: Meetup, now: datetime) -> Meetup:
        values = dict(title=event.title, description=event.description, capacity=event.capacity,
                      min_tier_rank=event.min_tier_rank, attendance_points=event.attendance_points,
                      signup_opens_at=event.signup_opens_at, signup_closes_at=event.signup_closes_at,
                      starts_at=event.starts_at, active=event.active)
        statement = (update(events).where(events.c.id == event.id).values(**values) if event.id
                     else insert(events).values(**values, created_at=now))
        return _event((await self._conn.execute(statement.returning(*events.c))).one())

    async def get(self, event_id: int) -> Meetup | None:
        row = (await self._conn.execute(select(events).where(events.c.id == event_id))).first()
        return _event(row) if row else None

    async def upcoming(self, now: datetime, limit: int) -> list[Meetup]:
        rows = await self._conn.execute(select(events).where(events.c.active.is_(True), events.c.starts_at > now)
                                        .order_by(events.c.starts_at, events.c.id).limit(limit))
        return [_event(r) for r in rows]

    async def take_seat(self, event_id: int) -> bool:
        result = await self._conn.execute(update(events).where(events.c.id == event_id,
                                                               events.c.signed_up < events.c.capacity)
                                          .values(signed_up=events.c.signed_up + 1))
        return result.rowcount == 1

    async def free_seat(self, event_id: int) -> None:
        await self._conn.execute(update(events).where(events.c.id == event_id, events.c.signed_up > 0)
                                 .values(signed_up=events.c.signed_up - 1))

    async def signup(self, event_id: int, member_id: int, for_update: bool = False) -> Signup | None:
        query = select(event_signups).where(event_signups.c.event_id == event_id,
                                            event_signups.c.member_id == member_id)
        row = (await self._conn.execute(query.with_for_update() if for_update else query)).first()
        return _signup(row) if row else None

    async def signups_of(self, member_id: int, event_ids: list[int]) -> dict[int, Signup]:
        if not event_ids:
            return {}
        rows = await self._conn.execute(select(event_signups).where(event_signups.c.member_id == member_id,
                                                                    event_signups.c.event_id.in_(event_ids)))
        return {r.event_id: _signup(r) for r in rows}

    async def signup_by_code(self, code: str, for_update: bool = False) -> Signup | None:
        query = select(event_signups).where(event_signups.c.checkin_code == code)
        row = (await self._conn.execute(query.with_for_update() if for_update else query)).first()
        return _signup(row) if row else None

    async def put_signup(self, event_id: int, member_id: int, status: str, code: str, now: datetime) -> Signup:
        if await self.signup(event_id, member_id) is None:
            await self._conn.execute(insert(event_signups).values(event_id=event_id, member_id=member_id,
                                                                  status=status, checkin_code=code, created_at=now,
                                                                  updated_at=now))
        else:
            await self.set_status(event_id, member_id, "CANCELLED", status, now)
        found = await self.signup(event_id, member_id)
        assert found is not None
        return found

    async def set_status(self, event_id: int, member_id: int, expected: str, status: str, now: datetime) -> bool:
        result = await self._conn.execute(update(event_signups).where(
            event_signups.c.event_id == event_id, event_signups.c.member_id == member_id,
            event_signups.c.status == expected).values(status=status, updated_at=now))
        return result.rowcount == 1
