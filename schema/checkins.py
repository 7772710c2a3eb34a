"""Daily check-in and its calendar."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from domain.checkins import services
from schema.info import Info


@strawberry.type(description="A day the member checked in.")
class CheckInDay:
    day: date = strawberry.field(description="The day, in the program time zone (Asia/Shanghai).")
    makeup: bool = strawberry.field(description="True if the day was filled later with `makeUpCheckIn`.")


@strawberry.type(description="A member's daily check-ins (days in the program time zone, Asia/Shanghai).")
class CheckIns:
    member_id: strawberry.Private[int]

    @strawberry.field(description="Consecutive days up to today (or yesterday, if today is still open).")
    async def streak(self, info: Info) -> int:
        return (await _summary(info, self.member_id)).streak

    @strawberry.field(description="Whether the member has checked in today.")
    async def today(self, info: Info) -> bool:
        return (await _summary(info, self.member_id)).checked_in_today

    @strawberry.field(description="Checked-in days of a month (default: this month).")
    async def month(
        self, info: Info,
        year: Annotated[int | None, strawberry.argument(description="The year, 2000 to 2100; null: this "
                                                                    "year.")] = None,
        month: Annotated[int | None, strawberry.argument(description="The month, 1 to 12 (else "
                                                                     "BAD_USER_INPUT); null: this month.")] = None,
    ) -> list[CheckInDay]:
        found = await _summary(info, self.member_id, year, month)
        return [CheckInDay(day=d, makeup=m) for d, m in found.month]


async def _summary(info: Info, member_id: int, year: int | None = None,
                   month: int | None = None) -> services.CheckInSummary:
    ctx = info.context
    return await services.summary(services.SummaryQuery(member_id, year, month), ctx.deps())


@strawberry.type(description="The result of `checkIn` or `makeUpCheckIn`.")
class CheckInPayload:
    day: date = strawberry.field(description="The day checked in (program time zone, Asia/Shanghai).")
    points: int = strawberry.field(description="Whole points the check-in earned (streak bonus included); 0 for a "
                                               "make-up.")
    streak: int = strawberry.field(description="Consecutive checked-in days ending on `day`.")
    already_checked_in: bool = strawberry.field(description="True if the member had already checked in that day: "
                                                            "nothing new was paid.")

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

    @strawberry.mutation(description="Member: pay points to fill a missed day of this month (when the program allows "
                                     "it). Errors: UNAUTHENTICATED, FORBIDDEN (make-ups not offered), BAD_USER_INPUT, "
                                     "LIMIT_EXCEEDED (monthly make-ups used up), INSUFFICIENT_POINTS.")
    async def make_up_check_in(
        self, info: Info,
        day: Annotated[date, strawberry.argument(description="A missed day earlier this month (program time zone, "
                                                             "Asia/Shanghai).")],
    ) -> CheckInPayload:
        ctx = info.context
        result = await services.make_up(day, ctx.deps())
        return CheckInPayload.from_domain(result)
