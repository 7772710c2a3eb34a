"""What the KPI report holds. Counts are whole numbers; rates are basis points (4321 = 43.21%),
rounded half up, and None when their denominator is zero."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from domain.tiers.model import Tier


@dataclass(frozen=True)
class CohortDay:
    """Members who joined in [join_start, window_start) count as retained when they were active in
    [window_start, window_end): the N local days after their join day."""

    join_start: datetime
    window_start: datetime
    window_end: datetime
    first_window_day: date  # the same window as local days, inclusive (for the member-day rollups)
    last_window_day: date


@dataclass(frozen=True)
class LedgerTotals:
    """Per entry kind: the sum of its positive amounts and of its negative amounts (as a positive number)."""

    kind: str
    credited: int
    debited: int


@dataclass(frozen=True)
class MemberDayCounts:
    """Distinct members over a span of days, from the member-day rollups."""

    active: int
    purchasing: int
    repeat_purchasing: int  # two purchases or more
    checked_in: int
    redeeming: int


@dataclass(frozen=True)
class MonthActivity:
    month: date
    active_members: int
    members_at_end: int
    active_rate_bp: int | None


@dataclass(frozen=True)
class Retention:
    days: int
    eligible_members: int
    retained_members: int
    rate_bp: int | None


@dataclass(frozen=True)
class PointsFlow:
    issued: int
    redeemed: int
    expired: int
    adjusted_up: int
    adjusted_down: int
    reversed_earned: int
    reversed_spent: int
    transferred: int


@dataclass(frozen=True)
class TierCount:
    tier: Tier
    members: int


@dataclass(frozen=True)
class ProgramKpis:
    from_day: date
    to_day: date
    time_zone: str
    as_of: datetime
    new_members: int
    members_at_start: int
    members_at_end: int
    active_members: int
    active_rate_bp: int | None
    months: list[MonthActivity]
    retention_7d: Retention
    retention_30d: Retention
    points: PointsFlow
    redeeming_members: int
    redeeming_rate_bp: int | None
    tier_distribution: list[TierCount]
    upgrades: int
    downgrades: int
    purchasing_members: int
    repeat_purchasing_members: int
    repeat_purchase_rate_bp: int | None
    checked_in_members: int
    check_in_rate_bp: int | None
    days_rolled_up: int
    first_missing_day: date | None
