"""Earning rules: purchase points, activity points, rule validation and campaign calendars (no I/O)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import BadUserInput
from domain.points.rules import (
    Activity,
    EarningRule,
    LineItem,
    RuleKind,
    activity_points,
    purchase_points,
    validate_rule,
)

# 2026-11-25 is a Wednesday (isoweekday 3): Thanksgiving 2026 is Thursday 26 November.
WEDNESDAY = date(2026, 11, 25)
SATURDAY = date(2026, 11, 28)
SUNDAY = date(2026, 11, 29)


def base_rate(points_per_100_cents: int = 1, *, id: int = 1, active: bool = True) -> EarningRule:
    return EarningRule(
        id=id, kind=RuleKind.BASE_RATE, name="Base", points_per_100_cents=points_per_100_cents, active=active
    )


def category(
    name: str, multiplier_pct: int, *, id: int = 10, cap: int | None = None, active: bool = True
) -> EarningRule:
    return EarningRule(
        id=id, kind=RuleKind.CATEGORY, name=f"{name} bonus", category=name, multiplier_pct=multiplier_pct,
        cap=cap, active=active,
    )


def campaign(id: int, multiplier_pct: int, *, cap: int | None = None, **when: object) -> EarningRule:
    return EarningRule(
        id=id, kind=RuleKind.CAMPAIGN, name=f"Campaign {id}", multiplier_pct=multiplier_pct, cap=cap,
        **when,  # type: ignore[arg-type]
    )


def activity_rule(
    activity: Activity = Activity.CHECK_IN, points: int = 10, *, cap: int | None = None, **extra: object
) -> EarningRule:
    return EarningRule(
        id=50, kind=RuleKind.ACTIVITY, name="Activity", activity=activity, points=points, cap=cap,
        **extra,  # type: ignore[arg-type]
    )


# --- purchase_points ---------------------------------------------------------------------------------------


def test_base_rate_rounds_down() -> None:
    # 12,345 cents at 2 points per 100 cents = 246.9 -> 246.
    result = purchase_points([LineItem("food", 12_345)], [base_rate(2)], 100, WEDNESDAY)
    assert (result.points, result.base) == (246, 246)


def test_category_and_tier_multipliers_round_down_per_category() -> None:
    rules = [base_rate(1), category("electronics", 300)]
    items = [LineItem("food", 1_050), LineItem("electronics", 999)]
    # food:        1050 cents * 1 * 100% * 150% / 100 = 15.75  -> 15
    # electronics:  999 cents * 1 * 300% * 150% / 100 = 44.955 -> 44
    # Rounding the sum instead (60.705) would give 60.
    result = purchase_points(items, rules, 150, WEDNESDAY)
    assert (result.points, result.base) == (59, 59)
    by_category = {row["category"]: row for row in result.breakdown}
    assert by_category["food"]["points"] == 15 and by_category["food"]["categoryPct"] == 100
    assert by_category["electronics"]["points"] == 44 and by_category["electronics"]["categoryPct"] == 300


def test_items_of_one_category_are_summed_before_rounding() -> None:
    # 150 + 150 = 300 cents -> 3 points; rounding each item would give 1 + 1 = 2.
    items = [LineItem("food", 150, sku="a"), LineItem("food", 150, sku="b")]
    result = purchase_points(items, [base_rate(1)], 100, WEDNESDAY)
    assert result.points == 3
    assert result.breakdown == [{"category": "food", "cents": 300, "categoryPct": 100, "points": 3}]


def test_category_cap_limits_only_its_category() -> None:
    rules = [base_rate(1), category("electronics", 500, cap=200)]
    items = [LineItem("electronics", 10_000), LineItem("food", 1_000)]
    # electronics: 100 * 500% = 500 -> capped to 200; food: 10 (no cap). Total 210.
    result = purchase_points(items, rules, 100, WEDNESDAY)
    assert result.points == 210
    assert {row["category"]: row["points"] for row in result.breakdown} == {"electronics": 200, "food": 10}


def test_campaigns_multiply_the_running_total_in_id_order_with_capped_extra() -> None:
    # Listed out of id order on purpose. Base total 100.
    # id 1 (150%, cap 20): extra 150 - 100 = 50 -> capped 20 -> 120
    # id 2 (200%):         extra 240 - 120 = 120          -> 240
    # (In list order it would be 100 -> 200 -> 220.)
    rules = [campaign(2, 200), base_rate(1), campaign(1, 150, cap=20)]
    result = purchase_points([LineItem("food", 10_000)], rules, 100, WEDNESDAY)
    assert result.base == 100
    assert result.points == 240
    assert [row["extra"] for row in result.breakdown if "campaign" in row] == [20, 120]


def test_campaign_below_100_percent_reduces_the_total() -> None:
    # 101 * 50% = 50.5 -> 50.
    rules = [base_rate(1), campaign(1, 50)]
    assert purchase_points([LineItem("food", 10_100)], rules, 100, WEDNESDAY).points == 50


def test_inactive_rules_do_not_apply() -> None:
    rules = [
        base_rate(10, id=1, active=False),
        base_rate(1, id=2),
        category("electronics", 300, active=False),
        EarningRule(id=3, kind=RuleKind.CAMPAIGN, name="Off", multiplier_pct=500, active=False),
    ]
    items = [LineItem("food", 1_000), LineItem("electronics", 1_000)]
    # Active base rate 1: food 10 + electronics 10 (no 300%) = 20, no campaign.
    result = purchase_points(items, rules, 100, WEDNESDAY)
    assert (result.points, result.base) == (20, 20)


@pytest.mark.parametrize(
    ("when", "day", "expected"),
    [
        ({"weekdays": (6, 7)}, WEDNESDAY, 100),
        ({"weekdays": (6, 7)}, SATURDAY, 200),
        ({"month_days": (1, 15)}, date(2026, 11, 14), 100),
        ({"month_days": (1, 15)}, date(2026, 11, 15), 200),
        ({"starts_on": date(2026, 12, 1), "ends_on": date(2026, 12, 31)}, WEDNESDAY, 100),
        ({"starts_on": date(2026, 12, 1), "ends_on": date(2026, 12, 31)}, date(2026, 12, 1), 200),
        ({"starts_on": date(2026, 12, 1), "ends_on": date(2026, 12, 31)}, date(2026, 12, 31), 200),
        ({"starts_on": date(2026, 12, 1), "ends_on": date(2026, 12, 31)}, date(2027, 1, 1), 100),
    ],
)
def test_campaign_only_applies_on_its_days(when: dict[str, object], day: date, expected: int) -> None:
    rules = [base_rate(1), campaign(1, 200, **when)]
    assert purchase_points([LineItem("food", 10_000)], rules, 100, day).points == expected


@pytest.mark.parametrize("rules", [[], [base_rate(5, active=False)], [category("food", 300), campaign(1, 200)]])
def test_no_active_base_rate_gives_no_points(rules: list[EarningRule]) -> None:
    result = purchase_points([LineItem("food", 100_000)], rules, 200, WEDNESDAY)
    assert (result.points, result.base) == (0, 0)


def test_empty_basket_gives_no_points() -> None:
    rules = [base_rate(3), campaign(1, 300)]
    assert purchase_points([], rules, 150, WEDNESDAY).points == 0


CATEGORIES = ("food", "electronics", "apparel")


@st.composite
def rule_sets(draw: st.DrawFn) -> list[EarningRule]:
    rules = [base_rate(draw(st.integers(1, 1000)))]
    for i, name in enumerate(CATEGORIES):
        if draw(st.booleans()):
            cap = draw(st.none() | st.integers(1, 10_000))
            rules.append(category(name, draw(st.integers(0, 1000)), id=10 + i, cap=cap))
    for cid in range(draw(st.integers(0, 3))):
        cap = draw(st.none() | st.integers(1, 10_000))
        rules.append(campaign(100 + cid, draw(st.integers(0, 1000)), cap=cap))
    return rules


@settings(database=None, max_examples=300, deadline=None)
@given(
    rules=rule_sets(),
    tier_pct=st.integers(100, 1000),
    items=st.lists(st.tuples(st.sampled_from(CATEGORIES), st.integers(0, 1_000_000)), min_size=1, max_size=6),
    data=st.data(),
)
def test_purchase_points_are_monotonic_in_amount(
    rules: list[EarningRule], tier_pct: int, items: list[tuple[str, int]], data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(items) - 1))
    increase = data.draw(st.integers(0, 1_000_000))
    before = [LineItem(c, a) for c, a in items]
    after = list(before)
    after[index] = LineItem(before[index].category, before[index].amount_cents + increase)
    low = purchase_points(before, rules, tier_pct, WEDNESDAY)
    high = purchase_points(after, rules, tier_pct, WEDNESDAY)
    assert 0 <= low.points <= high.points
    assert low.base <= high.base


@settings(database=None, max_examples=200, deadline=None)
@given(rate=st.integers(1, 1000), amounts=st.lists(st.integers(0, 10_000_000), max_size=8))
def test_base_rate_alone_on_one_category_is_floor_of_sum(rate: int, amounts: list[int]) -> None:
    items = [LineItem("food", a) for a in amounts]
    assert purchase_points(items, [base_rate(rate)], 100, WEDNESDAY).points == sum(amounts) * rate // 100


# --- activity_points ---------------------------------------------------------------------------------------


def test_activity_without_cap_always_gives_its_points() -> None:
    assert activity_points([activity_rule(points=10)], Activity.CHECK_IN, WEDNESDAY, earned_today=1_000) == 10


@pytest.mark.parametrize(("earned_today", "expected"), [(0, 10), (20, 10), (25, 5), (29, 1), (30, 0), (45, 0)])
def test_activity_points_are_limited_by_what_is_left_of_the_daily_cap(earned_today: int, expected: int) -> None:
    rules = [activity_rule(points=10, cap=30)]
    assert activity_points(rules, Activity.CHECK_IN, WEDNESDAY, earned_today) == expected


def test_activity_rule_must_match_activity_and_run_that_day() -> None:
    assert activity_points([activity_rule(Activity.REFERRAL, 50)], Activity.CHECK_IN, WEDNESDAY, 0) == 0
    assert activity_points([activity_rule(active=False)], Activity.CHECK_IN, WEDNESDAY, 0) == 0
    weekend_only = activity_rule(points=20, weekdays=(6, 7))
    assert activity_points([weekend_only], Activity.CHECK_IN, WEDNESDAY, 0) == 0
    assert activity_points([weekend_only], Activity.CHECK_IN, SUNDAY, 0) == 20
    assert activity_points([], Activity.CHECK_IN, WEDNESDAY, 0) == 0


def test_activity_ignores_other_rule_kinds() -> None:
    rules = [base_rate(1000), campaign(1, 1000), activity_rule(Activity.SURVEY, points=7)]
    assert activity_points(rules, Activity.SURVEY, WEDNESDAY, 0) == 7


# --- EarningRule.runs_on -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "day", "runs"),
    [
        ({}, WEDNESDAY, True),
        ({"active": False}, WEDNESDAY, False),
        ({"weekdays": (3,)}, WEDNESDAY, True),
        ({"weekdays": (1, 2, 4, 5, 6, 7)}, WEDNESDAY, False),
        ({"weekdays": (7,)}, SUNDAY, True),
        ({"month_days": (25,)}, WEDNESDAY, True),
        ({"month_days": (24, 26)}, WEDNESDAY, False),
        ({"starts_on": WEDNESDAY}, WEDNESDAY, True),
        ({"starts_on": date(2026, 11, 26)}, WEDNESDAY, False),
        ({"ends_on": WEDNESDAY}, WEDNESDAY, True),
        ({"ends_on": date(2026, 11, 24)}, WEDNESDAY, False),
        # Weekday and day-of-month must both match.
        ({"weekdays": (3,), "month_days": (25,)}, WEDNESDAY, True),
        ({"weekdays": (3,), "month_days": (1,)}, WEDNESDAY, False),
        ({"weekdays": (6,), "month_days": (25,)}, WEDNESDAY, False),
        # Inactive overrides a matching calendar.
        ({"active": False, "weekdays": (3,), "month_days": (25,)}, WEDNESDAY, False),
    ],
)
def test_runs_on(when: dict[str, object], day: date, runs: bool) -> None:
    rule = EarningRule(id=1, kind=RuleKind.CAMPAIGN, name="c", multiplier_pct=200, **when)  # type: ignore[arg-type]
    assert rule.runs_on(day) is runs


# --- validate_rule -----------------------------------------------------------------------------------------


def fields_of(rule: EarningRule) -> set[str]:
    with pytest.raises(BadUserInput) as exc:
        validate_rule(rule)
    assert exc.value.code == "BAD_USER_INPUT"
    return {e.field for e in exc.value.field_errors}


@pytest.mark.parametrize(
    "rule",
    [
        base_rate(1),
        base_rate(1000),
        category("food", 0),
        category("food", 1000, cap=1),
        campaign(1, 200, weekdays=(1, 7), month_days=(1, 31), starts_on=WEDNESDAY, ends_on=WEDNESDAY),
        activity_rule(Activity.BIRTHDAY, 100_000, cap=1),
        EarningRule(id=1, kind=RuleKind.BASE_RATE, name="x" * 60, points_per_100_cents=1),
    ],
)
def test_valid_rules_are_returned_unchanged(rule: EarningRule) -> None:
    assert validate_rule(rule) is rule


def test_every_invalid_field_is_reported() -> None:
    rule = EarningRule(
        id=1, kind=RuleKind.ACTIVITY, name="  ", activity=None, points=0, cap=0,
        weekdays=(0, 3, 8), month_days=(0, 32), starts_on=date(2026, 12, 2), ends_on=date(2026, 12, 1),
    )
    assert fields_of(rule) == {"name", "activity", "points", "cap", "weekdays", "monthDays", "endsOn"}


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (EarningRule(id=1, kind=RuleKind.BASE_RATE, name="x" * 61, points_per_100_cents=1), {"name"}),
        (base_rate(0), {"pointsPer100Cents"}),
        (base_rate(1001), {"pointsPer100Cents"}),
        (base_rate(-5), {"pointsPer100Cents"}),
        (category("food", 1001), {"multiplierPct"}),
        (category("food", -1), {"multiplierPct"}),
        (category("   ", 200), {"category"}),
        (EarningRule(id=1, kind=RuleKind.CATEGORY, name="c", category=None), {"category"}),
        (category(" ", 2000, cap=-3), {"multiplierPct", "category", "cap"}),
        (campaign(1, 1001), {"multiplierPct"}),
        (campaign(1, 200, weekdays=(8,)), {"weekdays"}),
        (campaign(1, 200, month_days=(32,)), {"monthDays"}),
        (activity_rule(Activity.PURCHASE, 10), {"activity"}),
        (activity_rule(Activity.CHECK_IN, 100_001), {"points"}),
        (activity_rule(Activity.CHECK_IN, -1), {"points"}),
    ],
)
def test_invalid_fields(rule: EarningRule, expected: set[str]) -> None:
    assert fields_of(rule) == expected


def test_error_details_carry_camel_case_field_names() -> None:
    with pytest.raises(BadUserInput) as exc:
        validate_rule(base_rate(0))
    assert [e["field"] for e in exc.value.details["fieldErrors"]] == ["pointsPer100Cents"]  # type: ignore[union-attr]
