"""Period boundaries for quotas, on the program's calendar (a day starts at local midnight, not UTC's)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo

from domain.entitlements.model import EntitlementPeriod


def _first_day(period: EntitlementPeriod, day: date) -> date:
    if period is EntitlementPeriod.DAY:
        return day
    if period is EntitlementPeriod.WEEK:
        return day - timedelta(days=day.weekday())
    if period is EntitlementPeriod.MONTH:
        return day.replace(day=1)
    return day.replace(month=1, day=1)


def _next_first_day(period: EntitlementPeriod, start: date) -> date:
    if period is EntitlementPeriod.DAY:
        return start + timedelta(days=1)
    if period is EntitlementPeriod.WEEK:
        return start + timedelta(days=7)
    if period is EntitlementPeriod.MONTH:
        return date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return date(start.year + 1, 1, 1)


def period_bounds(period: EntitlementPeriod, moment: datetime, zone: tzinfo) -> tuple[datetime, datetime]:
    """[start, end) in UTC of the period containing `moment`, its edges at local midnight."""
    first = _first_day(period, moment.astimezone(zone).date())
    start = datetime.combine(first, time.min, zone)
    end = datetime.combine(_next_first_day(period, first), time.min, zone)
    return start.astimezone(UTC), end.astimezone(UTC)
