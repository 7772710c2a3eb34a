"""What the operator KPI report (served from the daily rollups) holds.

Money in cents, points whole. Rates in basis points (4321 = 43.21%); averages per order in cents;
ratios with a fractional part in hundredths (235 = 2.35). All rounded half up, None when the
denominator is zero."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from domain.tiers.model import Tier


@dataclass(frozen=True)
class KpiDay:
    day: date
    orders: int
    sales_cents: int
    refund_cents: int
    units: int
    average_order_cents: int | None
    new_members: int
    first_purchases: int
    points_issued: int
    points_redeemed: int


@dataclass(frozen=True)
class SalesSlice:
    """Sales of one store, channel or tier over the period."""

    key: str
    orders: int
    sales_cents: int
    refund_cents: int
    units: int
    average_order_cents: int | None
    units_per_order_hundredths: int | None
    sales_share_bp: int | None
    order_share_bp: int | None


@dataclass(frozen=True)
class TierSales:
    tier: Tier | None  # None: a tier that no longer exists
    tier_id: int | None
    slice: SalesSlice


@dataclass(frozen=True)
class CohortValue:
    month: date  # the 1st of the join month
    members: int
    net_spend_cents: int  # sales minus refunds of the cohort's members, from joining to the end of the period
    value_per_member_cents: int | None


@dataclass(frozen=True)
class CouponUse:
    template_id: int
    template_name: str
    campaign: str
    issued: int
    redeemed: int
    use_rate_bp: int | None
    discount_cents: int


@dataclass(frozen=True)
class OperatorKpis:
    from_day: date
    to_day: date
    time_zone: str
    as_of: datetime
    days_rolled_up: int
    last_rolled_at: datetime | None
    first_missing_day: date | None
    orders: int
    sales_cents: int
    refund_cents: int
    net_sales_cents: int
    units: int
    average_order_cents: int | None
    previous_average_order_cents: int | None
    average_order_change_bp: int | None
    units_per_order_hundredths: int | None
    purchasing_members: int
    purchase_frequency_hundredths: int | None
    new_members: int
    converted_members: int
    conversion_rate_bp: int | None
    points_issued: int
    points_redeemed: int
    redeemed_to_issued_bp: int | None
    points_outstanding: int
    point_value_cents_per_100_points: int
    liability_cents: int
    days: list[KpiDay]
    stores: list[SalesSlice]
    channels: list[SalesSlice]
    tiers: list[TierSales]
    cohorts: list[CohortValue]
    coupons: list[CouponUse]
