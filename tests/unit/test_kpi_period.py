"""The KPI reporting period: whole local days, calendar months, sign-up cohorts, basis points."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.errors import BadUserInput
from domain.kpis.period import MAX_DAYS, Period, basis_points

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")


def test_a_period_runs_from_local_midnight_to_the_local_midnight_after_the_last_day() -> None:
    p = Period.of(date(2026, 3, 1), date(2026, 3, 31), date(2026, 11, 29), SHANGHAI)
    assert p.start == datetime(2026, 2, 28, 16, tzinfo=UTC)
    assert p.end == datetime(2026, 3, 31, 16, tzinfo=UTC)


def test_local_days_follow_daylight_saving_time() -> None:
    # Berlin moves to summer time on 2026-03-29: that local day lasts 23 hours.
    p = Period.of(date(2026, 3, 29), date(2026, 3, 29), date(2026, 11, 29), BERLIN)
    assert p.end - p.start == timedelta(hours=23)
    cohort = p.cohort_days(7, datetime(2026, 11, 29, tzinfo=UTC))
    assert cohort[0].window_start == datetime(2026, 3, 29, 22, tzinfo=UTC)
    assert cohort[0].window_end == datetime(2026, 4, 5, 22, tzinfo=UTC)


def test_months_are_clipped_to_the_period() -> None:
    p = Period.of(date(2026, 1, 20), date(2026, 3, 5), date(2026, 11, 29), SHANGHAI)
    months = p.months()
    assert [m.first_day for m in months] == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    assert months[0].start == p.start and months[-1].end == p.end
    assert months[1].start == datetime(2026, 1, 31, 16, tzinfo=UTC) == months[0].end


def test_only_cohort_days_whose_window_has_passed_are_counted() -> None:
    p = Period.of(date(2026, 11, 1), date(2026, 11, 10), date(2026, 11, 29), SHANGHAI)
    # The window of a 2026-11-10 sign-up ends at local midnight starting 2026-11-18.
    just_before = datetime(2026, 11, 17, 15, 59, tzinfo=UTC)
    assert len(p.cohort_days(7, just_before)) == 9
    assert len(p.cohort_days(7, just_before + timedelta(minutes=1))) == 10
    assert p.cohort_days(30, just_before) == []


@pytest.mark.parametrize(("first", "last", "fields"), [
    (date(2026, 5, 2), date(2026, 5, 1), ["to"]),
    (date(2024, 12, 31), date(2026, 1, 1), ["to"]),  # 367 days
    (date(2026, 11, 30), date(2026, 11, 30), ["from", "to"]),
])
def test_bad_periods_name_the_field(first: date, last: date, fields: list[str]) -> None:
    with pytest.raises(BadUserInput) as raised:
        Period.of(first, last, date(2026, 11, 29), SHANGHAI)
    assert [e.field for e in raised.value.field_errors] == fields


def test_the_longest_period_is_366_days() -> None:
    last = date(2026, 11, 29)
    assert len(Period.of(last - timedelta(days=MAX_DAYS - 1), last, last, SHANGHAI).days()) == MAX_DAYS


@pytest.mark.parametrize(("part", "whole", "bp"), [
    (1, 3, 3333), (2, 3, 6667), (1, 8, 1250), (1, 20_000, 1), (1, 20_001, 0), (5, 5, 10_000), (0, 7, 0), (3, 0, None),
])
def test_basis_points_round_half_up(part: int, whole: int, bp: int | None) -> None:
    assert basis_points(part, whole) == bp
