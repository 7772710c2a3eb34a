"""The clock port: what time it is, and which day it is in the program's time zone.

Use cases ask it instead of taking `now`, `today`, `day_start`, `day_end` and `zone` one by one,
so "the program's day" is decided in one place (and a test moves time by giving another source)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, tzinfo


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Clock:
    def __init__(self, zone: tzinfo, source: Callable[[], datetime] = _utc_now) -> None:
        self.zone = zone
        self._source = source

    def now(self) -> datetime:
        return self._source()

    def today(self) -> date:
        """Today in the program's time zone (what a member in the store calls today)."""
        return self.day_of(self.now())

    def day_of(self, moment: datetime) -> date:
        """The program-local day a moment falls on (a purchase at 00:30 local is that day, not UTC's)."""
        return moment.astimezone(self.zone).date()

    def day_bounds(self, day: date | None = None) -> tuple[datetime, datetime]:
        """[start, end) of a program-local day (default today), in UTC."""
        day = day or self.today()
        start = datetime.combine(day, time.min, self.zone)
        return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)
