"""When earned points expire, by the program's expiry policy (program settings):

- ROLLING (0, the default): `points_expiry_months` after they are credited.
- FIXED_DATE (1): points credited in local year Y expire at the end of the configured day
  (`points_expiry_month` / `points_expiry_day`, e.g. 31 March) of Y+1.
- QUARTER_END (2): at the end of the `points_expiry_quarters`-th quarter after the quarter they
  were credited in (credited in Q1 2026 with 4: the end of Q1 2027).

"The end of a day" is the next local midnight in the program time zone: points expiring on
31 March can be spent all of 31 March. Each lot is stamped with its expiry when credited; changing
the policy later applies to points credited from then on and never moves an existing lot's date."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import IntEnum

from domain.points.lots import add_months
from domain.program.settings import ProgramSettings


class ExpiryPolicy(IntEnum):
    ROLLING = 0
    FIXED_DATE = 1
    QUARTER_END = 2


def _end_of(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day + timedelta(days=1), time.min, zone).astimezone(UTC)


def lot_expiry(credited_at: datetime, settings: ProgramSettings, zone: tzinfo) -> datetime:
    policy = ExpiryPolicy(settings.points_expiry_policy)
    if policy is ExpiryPolicy.ROLLING:
        return add_months(credited_at, settings.points_expiry_months)
    local = credited_at.astimezone(zone).date()
    if policy is ExpiryPolicy.FIXED_DATE:
        return _end_of(date(local.year + 1, settings.points_expiry_month, settings.points_expiry_day), zone)
    quarter = (local.month - 1) // 3 + settings.points_expiry_quarters  # 0-based index of the quarter that ends
    year, first_month = local.year + quarter // 4, (quarter % 4) * 3 + 1
    return datetime.combine(date(year + (first_month + 3 > 12), (first_month + 2) % 12 + 1, 1), time.min,
                            zone).astimezone(UTC)
