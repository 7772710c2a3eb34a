"""Lot expiry by policy: rolling months, a fixed day of the next year, the end of the Nth quarter;
day edges at local midnight in the program time zone."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from domain.errors import BadUserInput
from domain.points.expiry_policy import lot_expiry
from domain.program.settings import ProgramSettings

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEFAULT = ProgramSettings()


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_rolling_is_the_default_and_unchanged() -> None:
    assert lot_expiry(utc(2026, 1, 31, 10), DEFAULT, SHANGHAI) == utc(2027, 1, 31, 10)


def test_fixed_date_counts_the_local_year_of_earning() -> None:
    fixed = replace(DEFAULT, points_expiry_policy=1, points_expiry_month=3, points_expiry_day=31)
    # 23:00 on 31 December 2026 in Shanghai: earned in 2026, spendable through 31 March 2027.
    assert lot_expiry(utc(2026, 12, 31, 15), fixed, SHANGHAI) == utc(2027, 3, 31, 16)
    # 01:00 on 1 January 2027 in Shanghai (still 2026 in UTC): earned in 2027.
    assert lot_expiry(utc(2026, 12, 31, 17), fixed, SHANGHAI) == utc(2028, 3, 31, 16)


@pytest.mark.parametrize(("earned", "quarters", "expires"), [
    (utc(2026, 2, 10), 4, utc(2027, 3, 31, 16)),  # Q1 2026 + 4: end of Q1 2027
    (utc(2026, 12, 1), 1, utc(2027, 3, 31, 16)),  # Q4 + 1: end of Q1 next year
    (utc(2026, 12, 1), 4, utc(2027, 12, 31, 16)),
    (utc(2026, 9, 30, 15, 30), 1, utc(2026, 12, 31, 16)),  # 23:30 on 30 September locally: Q3, + 1 = Q4
    (utc(2026, 9, 30, 16, 30), 1, utc(2027, 3, 31, 16)),  # 00:30 on 1 October locally: Q4, + 1 = Q1 2027
])
def test_quarter_end(earned: datetime, quarters: int, expires: datetime) -> None:
    policy = replace(DEFAULT, points_expiry_policy=2, points_expiry_quarters=quarters)
    assert lot_expiry(earned, policy, SHANGHAI) == expires


def test_a_fixed_day_must_exist_every_year() -> None:
    with pytest.raises(BadUserInput) as refused:
        replace(DEFAULT, points_expiry_policy=1, points_expiry_month=2, points_expiry_day=29).validated()
    assert [e.field for e in refused.value.field_errors] == ["pointsExpiryDay"]
    assert replace(DEFAULT, points_expiry_month=2, points_expiry_day=28).validated().points_expiry_day == 28
