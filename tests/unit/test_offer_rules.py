"""Coupon and birthday rules at their edges (pure functions, no I/O)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from domain.errors import BadUserInput
from domain.offers.birthday import in_birthday_window
from domain.offers.model import CouponKind, CouponTemplate
from domain.offers.rules import discount_for, validate_template, validity
from domain.points.rules import LineItem


def template(kind: CouponKind, **fields: object) -> CouponTemplate:
    return CouponTemplate(**{"id": 1, "name": "t", "kind": kind, **fields})  # type: ignore[arg-type]


@pytest.mark.parametrize(("birthday", "today", "whole_month", "expected"), [
    (date(1990, 5, 17), date(2026, 5, 17), False, True),
    (date(1990, 5, 17), date(2026, 5, 16), False, False),
    (date(1990, 5, 17), date(2026, 5, 18), False, False),
    (date(1990, 5, 17), date(2026, 6, 17), False, False),  # same day, another month
    (date(1990, 5, 17), date(2026, 5, 1), True, True),
    (date(1990, 5, 17), date(2026, 5, 31), True, True),
    (date(1990, 5, 17), date(2026, 4, 30), True, False),
    (date(1992, 2, 29), date(2026, 2, 28), False, True),  # leap-day birthday, common year: the 28th
    (date(1992, 2, 29), date(2026, 2, 27), False, False),
    (date(1992, 2, 29), date(2028, 2, 28), False, False),  # leap year: the 29th itself
    (date(1992, 2, 29), date(2028, 2, 29), False, True),
    (date(1990, 2, 28), date(2026, 2, 28), False, True),
    (date(1990, 3, 29), date(2026, 3, 28), False, False),  # only February's 29th moves
])
def test_birthday_window(birthday: date, today: date, whole_month: bool, expected: bool) -> None:
    assert in_birthday_window(birthday, today, whole_month) is expected


def items(*pairs: tuple[str, int]) -> list[LineItem]:
    return [LineItem(category, cents) for category, cents in pairs]


def test_minimum_spend_is_reached_at_exactly_the_minimum_on_eligible_items() -> None:
    spend = template(CouponKind.SPEND_AND_SAVE, value_cents=5_000, min_spend_cents=30_000, categories=["beauty"])
    assert discount_for(spend, "S1", items(("beauty", 30_000))).discount_cents == 5_000
    assert not discount_for(spend, "S1", items(("beauty", 29_999), ("food", 10_000))).applies
    assert not discount_for(spend, "S1", items(("food", 90_000))).applies
    # Never more off than the eligible items cost.
    small = template(CouponKind.CASH_OFF, value_cents=5_000)
    assert discount_for(small, "S1", items(("x", 3_000))).discount_cents == 3_000
    assert discount_for(small, "S1", items(("x", 5_000))).discount_cents == 5_000


def test_percent_off_rounds_down_and_stops_at_the_cap() -> None:
    pct = template(CouponKind.PERCENT_OFF, percent=15, cap_cents=1_000)
    assert discount_for(pct, "S1", items(("x", 999))).discount_cents == 149
    assert discount_for(pct, "S1", items(("x", 6_666))).discount_cents == 999
    assert discount_for(pct, "S1", items(("x", 6_667))).discount_cents == 1_000
    assert discount_for(pct, "S1", items(("x", 100_000))).discount_cents == 1_000
    uncapped = template(CouponKind.PERCENT_OFF, percent=15)
    assert discount_for(uncapped, "S1", items(("x", 100_000))).discount_cents == 15_000


def test_buy_one_get_one_and_free_item_take_the_right_item() -> None:
    bogo = template(CouponKind.BUY_ONE_GET_ONE, categories=["coffee"])
    assert not discount_for(bogo, "S1", items(("coffee", 3_000), ("cake", 1_000))).applies
    assert discount_for(bogo, "S1", items(("coffee", 3_000), ("coffee", 2_000), ("coffee", 2_500))
                        ).discount_cents == 2_000, "the cheapest eligible item is free"
    free = template(CouponKind.FREE_ITEM, value_cents=3_000, stores=["S9"])
    assert discount_for(free, "S9", items(("cake", 2_000), ("cake", 4_500))).discount_cents == 3_000
    assert discount_for(free, "S9", items(("cake", 2_000), ("cake", 2_500))).discount_cents == 2_500
    assert not discount_for(free, "S1", items(("cake", 2_000))).applies


def test_validity_starts_at_issue_and_ends_at_the_earlier_of_days_and_date() -> None:
    issued = datetime(2026, 5, 1, tzinfo=UTC)
    days = template(CouponKind.CASH_OFF, valid_days=30)
    assert validity(days, issued) == (issued, issued + timedelta(days=30))
    both = template(CouponKind.CASH_OFF, valid_days=30, valid_until=issued + timedelta(days=10),
                    valid_from=issued + timedelta(days=2))
    assert validity(both, issued) == (issued + timedelta(days=2), issued + timedelta(days=10))
    late_cap = template(CouponKind.CASH_OFF, valid_days=5, valid_until=issued + timedelta(days=10),
                        valid_from=issued - timedelta(days=2))
    assert validity(late_cap, issued) == (issued, issued + timedelta(days=5))
    dated = template(CouponKind.CASH_OFF, valid_until=issued + timedelta(days=3))
    assert validity(dated, issued) == (issued, issued + timedelta(days=3))
    forever = template(CouponKind.CASH_OFF)
    assert validity(forever, issued)[1] - issued > timedelta(days=3000)


VALID = dict(name="x" * 80, value_cents=1, valid_days=3650, per_member_limit=1, total_quantity=0,
             categories=["c"] * 50, stores=["s"] * 500)


@pytest.mark.parametrize(("kind", "changes", "fields"), [
    (CouponKind.CASH_OFF, {}, []),  # every limit at its allowed edge
    (CouponKind.CASH_OFF, {"name": " "}, ["name"]),
    (CouponKind.CASH_OFF, {"name": "x" * 81}, ["name"]),
    (CouponKind.CASH_OFF, {"value_cents": 0}, ["valueCents"]),
    (CouponKind.FREE_ITEM, {"value_cents": 0}, ["valueCents"]),
    (CouponKind.PERCENT_OFF, {"value_cents": 0, "percent": 1}, []),
    (CouponKind.PERCENT_OFF, {"value_cents": 0, "percent": 99}, []),
    (CouponKind.PERCENT_OFF, {"percent": 0}, ["percent"]),
    (CouponKind.PERCENT_OFF, {"percent": 100}, ["percent"]),
    (CouponKind.SPEND_AND_SAVE, {"value_cents": 5_000, "min_spend_cents": 5_001}, []),
    (CouponKind.SPEND_AND_SAVE, {"value_cents": 5_000, "min_spend_cents": 5_000}, ["minSpendCents"]),
    (CouponKind.CASH_OFF, {"min_spend_cents": -1}, ["capCents"]),
    (CouponKind.CASH_OFF, {"cap_cents": 0}, ["capCents"]),
    (CouponKind.CASH_OFF, {"cap_cents": 1}, []),
    (CouponKind.CASH_OFF, {"valid_days": 0}, ["validDays"]),
    (CouponKind.CASH_OFF, {"valid_days": 3651}, ["validDays"]),
    (CouponKind.CASH_OFF, {"valid_days": None}, ["validUntil"]),
    (CouponKind.CASH_OFF, {"per_member_limit": 0}, ["perMemberLimit"]),
    (CouponKind.CASH_OFF, {"per_member_limit": None}, []),
    (CouponKind.CASH_OFF, {"total_quantity": -1}, ["totalQuantity"]),
    (CouponKind.CASH_OFF, {"categories": ["c"] * 51}, ["categories"]),
    (CouponKind.CASH_OFF, {"stores": ["s"] * 501}, ["categories"]),
])
def test_template_validation_names_the_field_at_each_edge(kind: CouponKind, changes: dict, fields: list[str]) -> None:
    candidate = template(kind, **{**VALID, **changes})
    if not fields:
        assert validate_template(candidate) is candidate
        return
    with pytest.raises(BadUserInput) as refused:
        validate_template(candidate)
    assert [e.field for e in refused.value.field_errors] == fields
    assert all(e.message for e in refused.value.field_errors)


def test_a_template_that_ends_before_it_starts_is_refused_on_valid_until() -> None:
    start = datetime(2026, 5, 1, tzinfo=UTC)
    same = template(CouponKind.CASH_OFF, value_cents=1, valid_from=start, valid_until=start)
    with pytest.raises(BadUserInput) as refused:
        validate_template(same)
    assert [e.field for e in refused.value.field_errors] == ["validUntil"]
    assert validate_template(template(CouponKind.CASH_OFF, value_cents=1, valid_from=start,
                                      valid_until=start + timedelta(seconds=1)))
