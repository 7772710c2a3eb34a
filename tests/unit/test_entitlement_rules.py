"""Quota periods on the program's calendar, and what the next tier adds."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from domain.entitlements.model import EntitlementPeriod as P
from domain.entitlements.model import Grant
from domain.entitlements.periods import period_bounds
from domain.entitlements.rules import next_tier_adds

SHANGHAI = ZoneInfo("Asia/Shanghai")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_periods_start_and_end_at_local_midnight() -> None:
    # 2026-12-31 17:00 UTC is already 1 January 2027 in Shanghai: a new day, week-day, month and year.
    moment = utc(2026, 12, 31, 17)
    assert period_bounds(P.DAY, moment, SHANGHAI) == (utc(2026, 12, 31, 16), utc(2027, 1, 1, 16))
    assert period_bounds(P.MONTH, moment, SHANGHAI) == (utc(2026, 12, 31, 16), utc(2027, 1, 31, 16))
    assert period_bounds(P.YEAR, moment, SHANGHAI) == (utc(2026, 12, 31, 16), utc(2027, 12, 31, 16))
    # 1 January 2027 is a Friday: its week began on Monday 28 December.
    assert period_bounds(P.WEEK, moment, SHANGHAI) == (utc(2026, 12, 27, 16), utc(2027, 1, 3, 16))
    # One second earlier it is still 31 December locally.
    assert period_bounds(P.MONTH, utc(2026, 12, 31, 15, 59, 59), SHANGHAI) == (utc(2026, 11, 30, 16),
                                                                                utc(2026, 12, 31, 16))


def test_period_lengths_follow_the_calendar() -> None:
    start, end = period_bounds(P.MONTH, utc(2028, 2, 10), SHANGHAI)
    assert (end - start).days == 29  # leap February
    start, end = period_bounds(P.DAY, utc(2026, 3, 8, 12), ZoneInfo("America/New_York"))  # DST starts
    assert (end - start).total_seconds() == 23 * 3600


def g(kind: int, quota: int | None, period: P | None) -> Grant:
    return Grant(1, kind, quota, period)


def test_the_next_tier_adds_new_perks_and_more_generous_quotas_only() -> None:
    held = [g(1, 2, P.DAY), g(2, 10, P.MONTH), g(3, None, None), g(4, 1, P.DAY)]
    upcoming = [g(1, 4, P.DAY), g(2, 2, P.WEEK), g(3, 5, P.DAY), g(4, None, None), g(5, 1, P.YEAR),
                g(6, 1, P.DAY)]
    added = {x.kind_id for x in next_tier_adds(held, upcoming)}
    # 2 a week (~8.6 a month) is less than 10 a month; a quota never beats unlimited.
    assert added == {1, 4, 5, 6}
    assert next_tier_adds(held, held) == []


def test_quote_ties_keep_the_coupon_and_prefer_the_member_price() -> None:
    from datetime import timedelta

    from domain.entitlements.pricing import best_quote
    from domain.offers.model import Coupon, CouponKind, CouponStatus, CouponTemplate, IssueSource
    from domain.points.rules import LineItem

    now = utc(2026, 12, 2)
    price = Grant(1, 9, None, None, 10, ("beauty",))
    cash = CouponTemplate(1, "10 off", CouponKind.CASH_OFF, value_cents=100, valid_days=30)

    def coupon(cid: int, days: int) -> Coupon:
        return Coupon(cid, 1, 1, f"C{cid}", CouponStatus.AVAILABLE, IssueSource.STAFF, now, now,
                      now + timedelta(days=days))

    lines = [LineItem("beauty", 1_000)]
    # Member price (100) equals the coupon alone (100): the coupon is kept for another order.
    q = best_quote(lines, "S1", [price], [(coupon(1, 5), cash)], lambda kind: False)
    assert (q.member_price_applied, q.coupon, q.payable_cents) == (True, None, 900)
    # Combining, two equal coupons: the one expiring first is used.
    q = best_quote(lines, "S1", [price], [(coupon(2, 9), cash), (coupon(3, 4), cash)], lambda kind: True)
    assert (q.coupon.id if q.coupon else None, q.total_discount_cents, q.payable_cents) == (3, 200, 800)
