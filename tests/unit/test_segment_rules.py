"""Lifecycle stage boundaries, spend trend and top categories, and the lifecycle settings (no I/O)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import BadUserInput
from domain.program.settings import ProgramSettings
from domain.segments.lifecycle import LifecycleRules, stage_for
from domain.segments.model import Lifecycle, Stage
from domain.segments.rfm import top_categories, trend_bp

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
RULES = LifecycleRules(new_days=30, active_days=90, dormant_days=180)
LONG_AGO = NOW - timedelta(days=400)


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


@pytest.mark.parametrize(
    ("joined", "last", "stage"),
    [
        (days_ago(29.9), None, Stage.NEW),
        (days_ago(29.9), days_ago(1), Stage.NEW),  # new comes first, bought or not
        (days_ago(30), None, Stage.CHURNED),  # exactly 30 days ago is no longer "within 30 days"
        (LONG_AGO, days_ago(89.9), Stage.ACTIVE),
        (LONG_AGO, days_ago(90), Stage.DORMANT),
        (LONG_AGO, days_ago(179.9), Stage.DORMANT),
        (LONG_AGO, days_ago(180), Stage.CHURNED),
    ],
)
def test_stage_boundaries(joined: datetime, last: datetime | None, stage: Stage) -> None:
    assert stage_for(RULES, joined, last, None, NOW) is stage


@pytest.mark.parametrize("before", [Stage.DORMANT, Stage.CHURNED])
def test_a_lapsed_member_who_buys_is_won_back_for_one_active_window(before: Stage) -> None:
    lapsed = Lifecycle(1, before, days_ago(100), days_ago(120))
    assert stage_for(RULES, LONG_AGO, days_ago(1), lapsed, NOW) is Stage.WON_BACK
    won = Lifecycle(1, Stage.WON_BACK, days_ago(89), days_ago(1))
    assert stage_for(RULES, LONG_AGO, days_ago(1), won, NOW) is Stage.WON_BACK
    assert stage_for(RULES, LONG_AGO, days_ago(1), replace(won, since=days_ago(90)), NOW) is Stage.ACTIVE
    assert stage_for(RULES, LONG_AGO, days_ago(100), won, NOW) is Stage.DORMANT
    assert stage_for(RULES, LONG_AGO, days_ago(1), Lifecycle(1, Stage.ACTIVE, days_ago(5), days_ago(1)),
                     NOW) is Stage.ACTIVE


def test_trend_in_basis_points_rounds_down_and_is_none_without_previous_spend() -> None:
    assert trend_bp(15_000, 10_000) == 5_000
    assert trend_bp(5_000, 10_000) == -5_000
    assert trend_bp(0, 10_000) == -10_000
    assert trend_bp(1, 3) == -6_667
    assert trend_bp(2, 3) == -3_334
    assert trend_bp(10_000_000, 1) == 100_000_000, "capped, so a GraphQL Int always holds it"
    assert trend_bp(500, 0) is None
    assert trend_bp(500, -20) is None


def test_top_categories_by_spend_then_name() -> None:
    items = [{"category": "tea", "amount_cents": 300}, {"category": "cake", "amount_cents": 500},
             {"category": "coffee", "amount_cents": 200}, {"category": "tea", "amount_cents": 200},
             {"category": "bread", "amount_cents": 100}]
    assert top_categories(items) == ["cake", "tea", "coffee"]
    assert top_categories([]) == []


def test_lifecycle_settings_are_validated() -> None:
    defaults = ProgramSettings()
    assert (defaults.lifecycle_new_days, defaults.lifecycle_active_days, defaults.lifecycle_dormant_days) == (
        30, 90, 180)
    with pytest.raises(BadUserInput) as exc:
        replace(defaults, lifecycle_dormant_days=90).validated()
    assert [e.field for e in exc.value.field_errors] == ["lifecycleDormantDays"]
    with pytest.raises(BadUserInput) as exc:
        replace(defaults, lifecycle_new_days=0).validated()
    assert [e.field for e in exc.value.field_errors] == ["lifecycleNewDays"]
    assert LifecycleRules.from_settings(replace(defaults, lifecycle_active_days=60)) == LifecycleRules(30, 60, 180)
