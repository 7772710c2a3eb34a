"""Reward rules at their edges (pure functions): limit periods and reward validation."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from domain.benefits.model import LimitPeriod, Reward, RewardKind
from domain.benefits.rules import period_start, validate_reward
from domain.errors import BadUserInput

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(("period", "now", "start"), [
    # 2026-03-15 01:30 in Shanghai is still 2026-03-14 17:30 UTC: the local date decides.
    (LimitPeriod.DAY, datetime(2026, 3, 14, 17, 30, tzinfo=UTC), datetime(2026, 3, 15, tzinfo=SHANGHAI)),
    (LimitPeriod.MONTH, datetime(2026, 3, 14, 17, 30, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=SHANGHAI)),
    (LimitPeriod.YEAR, datetime(2026, 3, 14, 17, 30, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=SHANGHAI)),
    (LimitPeriod.YEAR, datetime(2026, 12, 31, 16, 0, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=SHANGHAI)),
    (LimitPeriod.EVER, datetime(2026, 3, 14, 17, 30, tzinfo=UTC), datetime(1970, 1, 1, tzinfo=SHANGHAI)),
])
def test_limit_periods_start_at_local_midnight(period: LimitPeriod, now: datetime, start: datetime) -> None:
    assert period_start(period, now, SHANGHAI) == start


VALID = dict(name="x" * 80, category="c" * 40, description="d" * 2000, points_price=10_000_000, stock=0,
             per_member_limit=1, min_tier_rank=0, voucher_valid_days=3650, image_urls=["https://i/x"] * 9)


@pytest.mark.parametrize(("changes", "fields"), [
    ({}, []),
    ({"points_price": 1, "voucher_valid_days": 1, "stock": None, "per_member_limit": None}, []),
    ({"name": " "}, ["name"]), ({"name": "x" * 81}, ["name"]),
    ({"category": ""}, ["category"]), ({"category": "c" * 41}, ["category"]),
    ({"description": "d" * 2001}, ["description"]),
    ({"points_price": 0}, ["pointsPrice"]), ({"points_price": 10_000_001}, ["pointsPrice"]),
    ({"stock": -1}, ["stock"]), ({"per_member_limit": 0}, ["perMemberLimit"]),
    ({"min_tier_rank": -1}, ["minTierRank"]),
    ({"voucher_valid_days": 0}, ["voucherValidDays"]), ({"voucher_valid_days": 3651}, ["voucherValidDays"]),
    ({"image_urls": ["https://i/x"] * 10}, ["imageUrls"]), ({"image_urls": ["http://i/x"]}, ["imageUrls"]),
    ({"image_urls": ["https://i/" + "x" * 491]}, ["imageUrls"]),
])
def test_reward_validation_names_the_field_at_each_edge(changes: dict, fields: list[str]) -> None:
    reward = Reward(**{"id": 0, "kind": RewardKind.COUPON, **VALID, **changes})  # type: ignore[arg-type]
    if not fields:
        assert validate_reward(reward) is reward
        return
    with pytest.raises(BadUserInput) as refused:
        validate_reward(reward)
    assert [e.field for e in refused.value.field_errors] == fields
