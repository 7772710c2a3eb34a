"""Daily check-in: once per program-local day, streaks with a reward ladder, optional paid make-ups."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from domain.auth.viewer import Role
from domain.deps import Deps
from domain.errors import BadUserInput, Forbidden, LimitExceeded
from domain.points.activities import ActivityAward, award_activity
from domain.points.expiry_policy import lot_expiry
from domain.points.ledger import credit, debit
from domain.points.model import EntryKind
from domain.points.ports import NewEntry
from domain.points.rules import Activity
from domain.ports import UnitOfWork
from domain.program.services import load_settings

STREAK_LOOKBACK_DAYS = 400


@dataclass(frozen=True)
class CheckInResult:
    day: date
    points: int
    streak: int
    already: bool


def streak_ending(days: set[date], last: date) -> int:
    """Consecutive checked-in days ending at `last` (0 when `last` itself is missing)."""
    streak = 0
    while last in days:
        streak += 1
        last -= timedelta(days=1)
    return streak


def current_streak(days: set[date], today: date) -> int:
    """A streak is alive today if it reaches today or yesterday (today's check-in may be ahead)."""
    return streak_ending(days, today) or streak_ending(days, today - timedelta(days=1))


async def _days(uow: UnitOfWork, member_id: int, today: date) -> set[date]:
    return set(await uow.checkins.days(member_id, today - timedelta(days=STREAK_LOOKBACK_DAYS), today))


async def check_in(deps: Deps) -> CheckInResult:
    """Calling twice on one day (even at once) returns the same check-in and pays once."""
    uow, now, today = deps.uow, deps.clock.now(), deps.clock.today()
    member_id = deps.viewer.require_member()
    async with uow:
        await uow.points.lock_account(member_id, now)  # serialises a member's concurrent taps
        days = await _days(uow, member_id, today)
        if today in days:
            points = await uow.checkins.points_on(member_id, today)
            return CheckInResult(today, points, streak_ending(days, today), True)
        settings = await load_settings(uow)
        streak = streak_ending(days, today - timedelta(days=1)) + 1
        points = 0
        base = await award_activity(uow, deps.clock, ActivityAward(
            member_id, Activity.CHECK_IN, today.isoformat(), f"checkin/{member_id}/{today.isoformat()}",
            # Not checked in today (above, under the lock): neither this key nor any check-in
            # points of today exist, since both are written with the check-in row.
            first_today=True))
        points += base.amount if base else 0
        if settings.checkin_cycle_days and streak % settings.checkin_cycle_days == 0 and settings.checkin_bonus_points:
            await credit(uow, NewEntry(member_id, EntryKind.EARN, settings.checkin_bonus_points,
                                       f"{streak}-day check-in streak", "checkin-bonus", today.isoformat(),
                                       f"checkin-bonus/{member_id}/{today.isoformat()}"),
                         now, now, lot_expiry(now, settings, deps.clock.zone))
            points += settings.checkin_bonus_points
        await uow.checkins.add(member_id, today, points, False, now)
        await uow.commit()
    return CheckInResult(today, points, streak, False)


async def make_up(day: date, deps: Deps) -> CheckInResult:
    """Fill a missed day of this month, paid in points, a limited number of times (off by default)."""
    uow, now, today = deps.uow, deps.clock.now(), deps.clock.today()
    member_id = deps.viewer.require_member()
    async with uow:
        settings = await load_settings(uow)
        if settings.makeup_checkins_per_month <= 0:
            raise Forbidden("Make-up check-ins are not offered.")
        if not (day < today and (day.year, day.month) == (today.year, today.month)):
            raise BadUserInput.for_field("day", "Only a missed day earlier this month can be made up.")
        await uow.points.lock_account(member_id, now)
        days = await _days(uow, member_id, today)
        if day in days:
            raise BadUserInput.for_field("day", "You already checked in that day.")
        if await uow.checkins.makeups_between(member_id, today.replace(day=1), today) >= \
                settings.makeup_checkins_per_month:
            raise LimitExceeded(f"At most {settings.makeup_checkins_per_month} make-ups a month.")
        if settings.makeup_cost_points:
            await debit(uow, NewEntry(member_id, EntryKind.REDEEM, -settings.makeup_cost_points,
                                      f"Make-up check-in for {day.isoformat()}", "checkin-makeup", day.isoformat(),
                                      f"makeup/{member_id}/{day.isoformat()}", Role.MEMBER, member_id), now)
        await uow.checkins.add(member_id, day, 0, True, now)
        await uow.commit()
    return CheckInResult(day, 0, streak_ending(days | {day}, day), False)


@dataclass(frozen=True)
class CheckInSummary:
    streak: int
    checked_in_today: bool
    month: list[tuple[date, bool]]  # days checked in this month, and whether each was a make-up


@dataclass(frozen=True)
class SummaryQuery:
    """`year`/`month` None: the program's current one."""

    member_id: int
    year: int | None = None
    month: int | None = None


async def summary(query: SummaryQuery, deps: Deps) -> CheckInSummary:
    uow, viewer, today = deps.uow, deps.viewer, deps.clock.today()
    member_id, year, month = query.member_id, query.year, query.month
    if viewer.role is not Role.STAFF and viewer.require_member() != member_id:
        raise Forbidden("Only your own check-ins.")
    # `is None`, not `or`: month 0 (or year 0) is a bad month, not a request for this one.
    year = today.year if year is None else year
    month = today.month if month is None else month
    if not 1 <= month <= 12 or not 2000 <= year <= 2100:
        raise BadUserInput.for_field("month", "Give a real month.")
    first = date(year, month, 1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    async with uow:
        days = await _days(uow, member_id, today)
        calendar = await uow.checkins.month(member_id, first, last)
    return CheckInSummary(current_streak(days, today), today in days, calendar)
