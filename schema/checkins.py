"""Daily check-in and its calendar."""

from __future__ import annotations

from datetime import date

import strawberry

from domain.checkins import services
from schema.info import Info


@strawberry.type
class CheckInDay:
    day: date
    makeup: bool


@strawberry.type
class CheckIns:
    member_id: strawberry.Private[int]

    @strawberry.field(description="Consecutive days up to today (or yesterday, if today is still open).")
    async def streak(self, info: Info) -> int:
        return (await _summary(info, self.member_id)).streak

    @strawberry.field(description="Whether the member has checked in today.")
    async def today(self, info: Info) -> bool:
        return (await _summary(info, self.member_id)).checked_in_today

    @strawberry.field(description="Checked-in days of a month (default: this month).")
    async def month(self, info: Info, year: int | None = None, month: int | None = None) -> list[CheckInDay]:
        found = await _summary(info, self.member_id, year, month)
        return [CheckInDay(day=d, makeup=m) for d, m in found.month]


async def _summary(info: Info, member_id: int, year: int | None = None,
                   month: int | None = None) -> services.CheckInSummary:
    ctx = info.context
    return await services.summary(ctx.uow(), ctx.viewer, member_id, ctx.container.today(), year, month)


@strawberry.type
class CheckInPayload:
    day: date
    points: int
    streak: int
    already_checked_in: bool

    @classmethod
    def from_domain(cls, r: services.CheckInResult) -> CheckInPayload:
        return cls(day=r.day, points=r.points, streak=r.streak, already_checked_in=r.already)


@strawberry.type
class CheckInMutations:
    @strawberry.mutation(description="Check in for today; a second call returns today's check-in unchanged.")
    async def check_in(self, info: Info) -> CheckInPayload:
        ctx = info.context
        result = await services.check_in(ctx.deps())
        return CheckInPayload.from_domain(result)

    @strawberry.mutation(description="Pay points to fill a missed day of this month (when the program allows it).")
    async def make_up_check_in(self, info: Info, day: date) -> CheckInPayload:
        ctx = info.context
        result = await services.make_up(day, ctx.deps())
        return CheckInPayload.from_domain(result)
