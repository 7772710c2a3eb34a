"""The reporting period: whole program-local days [from, to], turned into UTC instants for storage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.deps import Deps
from domain.errors import BadUserInput, FieldError
from domain.kpis.model import CohortDay

MAX_DAYS = 366


@dataclass(frozen=True)
class KpiReport:
    """The command of both KPI reports (programKpis, operatorKpis): whole program-local days [from_day, to_day]."""

    from_day: date
    to_day: date


def report_period(cmd: KpiReport, deps: Deps) -> Period:
    """The one parser of a report's period, for staff only: whole local days of the program's (named,
    IANA) time zone, not after the program's today, at most MAX_DAYS long."""
    deps.viewer.require_staff()
    zone = deps.clock.zone
    # The reports name their time zone, so the program's clock runs on a named zone.
    assert isinstance(zone, ZoneInfo)
    return Period.of(cmd.from_day, cmd.to_day, deps.clock.today(), zone)


@dataclass(frozen=True)
class Month:
    """The part of one calendar month that lies inside the period."""

    first_day: date  # the 1st of the month, even when the period starts later
    start: datetime
    end: datetime
    from_day: date  # the month's first and last days inside the period
    to_day: date


@dataclass(frozen=True)
class Period:
    from_day: date
    to_day: date
    zone: ZoneInfo
    start: datetime  # UTC, inclusive: local midnight starting from_day
    end: datetime  # UTC, exclusive: local midnight after to_day

    @classmethod
    def of(cls, from_day: date, to_day: date, today: date, zone: ZoneInfo) -> Period:
        errors: list[FieldError] = []
        if from_day > today:
            errors.append(FieldError("from", f"from cannot be after today ({today.isoformat()}, {zone.key})."))
        if to_day > today:
            errors.append(FieldError("to", f"to cannot be after today ({today.isoformat()}, {zone.key})."))
        if from_day > to_day:
            errors.append(FieldError("to", "to must be on or after from."))
        elif (to_day - from_day).days + 1 > MAX_DAYS:
            errors.append(FieldError("to", f"A period covers at most {MAX_DAYS} days."))
        if not errors:
            try:
                end = local_midnight(to_day + timedelta(days=1), zone)
                start = local_midnight(from_day, zone)
            except OverflowError:
                # The first and last days of the calendar have no local midnight in UTC.
                errors.append(FieldError("from", "from is outside the supported range of dates."))
        if errors:
            raise BadUserInput("The reporting period is invalid.", errors)
        return cls(from_day, to_day, zone, start, end)

    def days(self) -> list[date]:
        return [self.from_day + timedelta(days=i) for i in range((self.to_day - self.from_day).days + 1)]

    def cohort_days(self, window_days: int, now: datetime) -> list[CohortDay]:
        """Each day of the period as a sign-up cohort with its window of `window_days` local days after
        the join day; only days whose window has ended by `now`."""
        days = [
            CohortDay(local_midnight(day, self.zone), local_midnight(day + timedelta(days=1), self.zone),
                      local_midnight(day + timedelta(days=1 + window_days), self.zone),
                      day + timedelta(days=1), day + timedelta(days=window_days))
            for day in self.days()
        ]
        return [d for d in days if d.window_end <= now]

    def months(self) -> list[Month]:
        months: list[Month] = []
        first = self.from_day.replace(day=1)
        while first <= self.to_day:
            following = (first + timedelta(days=32)).replace(day=1)
            start_day = max(first, self.from_day)
            end_day = min(following, self.to_day + timedelta(days=1))
            months.append(Month(first, local_midnight(start_day, self.zone), local_midnight(end_day, self.zone),
                                start_day, end_day - timedelta(days=1)))
            first = following
        return months


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, zone).astimezone(UTC)


def basis_points(part: int, whole: int) -> int | None:
    """part/whole in hundredths of a percent, rounded half up; None when there is no whole."""
    if whole <= 0:
        return None
    return (part * 20_000 + whole) // (2 * whole)


def per(part: int, whole: int, scale: int = 1) -> int | None:
    """part/whole times `scale`, rounded half up; None when there is no whole (e.g. cents per order,
    or hundredths for a ratio like 2.35 units per order)."""
    if whole <= 0:
        return None
    return (part * 2 * scale + whole) // (2 * whole)
