"""Lots: expiry calendar arithmetic, oldest-first consumption and balance totals (no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.points.lots import Take, add_months, plan_consumption, totals
from domain.points.model import Lot

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def lot(
    id: int,
    remaining: int,
    *,
    earned_at: datetime | None = None,
    available_at: datetime | None = None,
    expires_at: datetime | None = None,
    original: int | None = None,
) -> Lot:
    earned = earned_at or NOW - 30 * DAY
    return Lot(
        id=id, member_id=1, entry_id=100 + id, original=remaining if original is None else original,
        remaining=remaining, earned_at=earned, available_at=available_at or earned,
        expires_at=expires_at or earned + 365 * DAY,
    )


# --- add_months --------------------------------------------------------------------------------------------


def at(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (at(2026, 3, 15), 0, at(2026, 3, 15)),
        (at(2026, 3, 15), 1, at(2026, 4, 15)),
        # Month-end clamping.
        (at(2026, 1, 31), 1, at(2026, 2, 28)),
        (at(2024, 1, 31), 1, at(2024, 2, 29)),  # leap year
        (at(2026, 3, 31), 1, at(2026, 4, 30)),
        (at(2024, 2, 29), 12, at(2025, 2, 28)),
        (at(2024, 2, 29), 48, at(2028, 2, 29)),
        # Year rollover.
        (at(2026, 12, 15), 1, at(2027, 1, 15)),
        (at(2026, 11, 30), 3, at(2027, 2, 28)),
        (at(2026, 6, 10), 12, at(2027, 6, 10)),
        (at(2026, 6, 10), 30, at(2028, 12, 10)),
        (at(2026, 1, 1), 11, at(2026, 12, 1)),
        (at(2026, 1, 1), 12, at(2027, 1, 1)),
        # Negative months.
        (at(2026, 3, 31), -1, at(2026, 2, 28)),
        (at(2026, 1, 15), -1, at(2025, 12, 15)),
        (at(2026, 1, 31), -13, at(2024, 12, 31)),
        (at(2026, 8, 31), -24, at(2024, 8, 31)),
        (at(2026, 12, 1), -12, at(2025, 12, 1)),
        (at(2025, 3, 29), -13, at(2024, 2, 29)),
    ],
)
def test_add_months(start: datetime, months: int, expected: datetime) -> None:
    assert add_months(start, months) == expected


def test_add_months_keeps_time_of_day_and_zone() -> None:
    result = add_months(datetime(2026, 1, 31, 23, 59, 58, 123, tzinfo=UTC), 1)
    assert result == datetime(2026, 2, 28, 23, 59, 58, 123, tzinfo=UTC)
    assert result.tzinfo is UTC


@settings(database=None, max_examples=300, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2900, 12, 31)),
    months=st.integers(-1200, 1200),
)
def test_add_months_moves_exactly_that_many_calendar_months(start: datetime, months: int) -> None:
    result = add_months(start, months)
    assert (result.year * 12 + result.month) - (start.year * 12 + start.month) == months
    assert result.day <= start.day
    assert result.time() == start.time()
    if result.day < start.day:  # clamped: it must be the last day of its month
        assert (result + timedelta(days=1)).day == 1


# --- plan_consumption --------------------------------------------------------------------------------------


def test_oldest_lots_first_by_earned_at_then_id() -> None:
    jan, feb = NOW - 60 * DAY, NOW - 30 * DAY
    lots = [lot(1, 100, earned_at=feb), lot(3, 50, earned_at=jan), lot(2, 30, earned_at=jan)]
    # Order: 2 (jan), 3 (jan), 1 (feb). 100 = 30 + 50 + 20.
    takes, uncovered = plan_consumption(lots, 100, NOW)
    assert takes == [Take(2, 30), Take(3, 50), Take(1, 20)]
    assert uncovered == 0


def test_stops_once_covered() -> None:
    lots = [lot(1, 40, earned_at=NOW - 90 * DAY), lot(2, 40, earned_at=NOW - 60 * DAY)]
    assert plan_consumption(lots, 25, NOW) == ([Take(1, 25)], 0)
    assert plan_consumption(lots, 40, NOW) == ([Take(1, 40)], 0)


def test_skips_pending_expired_and_empty_lots_and_reports_the_rest() -> None:
    lots = [
        lot(1, 500, earned_at=NOW - 400 * DAY, expires_at=NOW - DAY),  # expired
        lot(2, 500, earned_at=NOW - 365 * DAY, expires_at=NOW),  # expires exactly now: not spendable
        lot(3, 0, original=80, earned_at=NOW - 200 * DAY),  # used up
        lot(4, 70, earned_at=NOW - 100 * DAY),
        lot(5, 500, earned_at=NOW - 2 * DAY, available_at=NOW + DAY),  # still pending (return window)
        lot(6, 20, earned_at=NOW - 7 * DAY, available_at=NOW),  # became available exactly now
    ]
    # Spendable: 4 (70) then 6 (20) = 90; asked 150 -> 60 uncovered.
    takes, uncovered = plan_consumption(lots, 150, NOW)
    assert takes == [Take(4, 70), Take(6, 20)]
    assert uncovered == 60


def test_nothing_to_take() -> None:
    assert plan_consumption([], 30, NOW) == ([], 30)
    assert plan_consumption([lot(1, 10)], 0, NOW) == ([], 0)


def test_negative_amount_is_refused() -> None:
    with pytest.raises(ValueError):
        plan_consumption([lot(1, 10)], -1, NOW)


@st.composite
def lot_sets(draw: st.DrawFn) -> list[Lot]:
    count = draw(st.integers(0, 8))
    lots = []
    for i in range(count):
        earned = NOW - timedelta(days=draw(st.integers(0, 400)))
        available = earned + timedelta(days=draw(st.integers(0, 10)))
        expires = earned + timedelta(days=draw(st.integers(1, 400)))
        original = draw(st.integers(0, 500))
        remaining = draw(st.integers(0, original))
        lots.append(Lot(i + 1, 1, i + 1, original, remaining, earned, available, expires))
    # Hand them over in any order.
    return draw(st.permutations(lots))


@settings(database=None, max_examples=400, deadline=None)
@given(lots=lot_sets(), amount=st.integers(0, 3_000))
def test_consumption_properties(lots: list[Lot], amount: int) -> None:
    by_id = {x.id: x for x in lots}
    spendable = [x for x in lots if x.remaining > 0 and x.available_at <= NOW < x.expires_at]
    available = sum(x.remaining for x in spendable)

    takes, uncovered = plan_consumption(lots, amount, NOW)

    taken = sum(t.amount for t in takes)
    assert taken + uncovered == amount
    assert taken <= available
    assert uncovered == max(0, amount - available)
    assert len({t.lot_id for t in takes}) == len(takes)  # each lot at most once
    for t in takes:
        source = by_id[t.lot_id]
        assert source in spendable
        assert 0 < t.amount <= source.remaining
    # Oldest first: every lot but the last taken is emptied, and nothing older than it is left untouched.
    order = [(by_id[t.lot_id].earned_at, t.lot_id) for t in takes]
    assert order == sorted(order)
    for t in takes[:-1]:
        assert t.amount == by_id[t.lot_id].remaining
    if takes:
        last = order[-1]
        untouched = [x for x in spendable if x.id not in {t.lot_id for t in takes}]
        assert all((x.earned_at, x.id) > last for x in untouched)


# --- totals ------------------------------------------------------------------------------------------------


def test_totals_split_available_pending_and_expiring() -> None:
    lots = [
        lot(1, 100, earned_at=NOW - 300 * DAY, expires_at=NOW + 60 * DAY),  # available, enters window at +30d
        lot(2, 40, earned_at=NOW - 355 * DAY, expires_at=NOW + 10 * DAY),  # available and expiring
        lot(3, 25, earned_at=NOW - 4 * DAY, available_at=NOW + 3 * DAY),  # pending until +3d
        lot(4, 70, earned_at=NOW - 400 * DAY, expires_at=NOW - DAY),  # expired, not swept: in none
        lot(5, 0, original=9, earned_at=NOW - 364 * DAY, expires_at=NOW + DAY),  # empty: ignored entirely
    ]
    # available 100 + 40 = 140, pending 25, expiring 40; the first change is lot 3 becoming available.
    assert totals(lots, NOW, 30) == (140, 25, 40, NOW + 3 * DAY)
    # Without the pending lot, the next change is lot 2 expiring at +10d.
    assert totals([lots[0], lots[1], lots[3], lots[4]], NOW, 30) == (140, 0, 40, NOW + 10 * DAY)
    # With only lot 1, the next change is when it enters the 30-day window: +60d - 30d.
    assert totals([lots[0]], NOW, 30) == (100, 0, 0, NOW + 30 * DAY)


def test_expiring_window_includes_its_edge() -> None:
    edge = lot(1, 10, earned_at=NOW - 300 * DAY, expires_at=NOW + 30 * DAY)
    just_outside = lot(2, 5, earned_at=NOW - 300 * DAY, expires_at=NOW + 30 * DAY + timedelta(seconds=1))
    available, pending, expiring, next_change = totals([edge, just_outside], NOW, 30)
    assert (available, pending, expiring) == (15, 0, 10)
    # Lot 2 enters the window one second from now.
    assert next_change == NOW + timedelta(seconds=1)


def test_lot_available_exactly_now_is_available_and_expired_now_is_gone() -> None:
    becomes = lot(1, 8, earned_at=NOW - 7 * DAY, available_at=NOW, expires_at=NOW + 100 * DAY)
    expired = lot(2, 6, earned_at=NOW - 365 * DAY, expires_at=NOW)
    assert totals([becomes, expired], NOW, 30) == (8, 0, 0, NOW + 70 * DAY)


def test_totals_of_nothing() -> None:
    assert totals([], NOW, 30) == (0, 0, 0, None)
