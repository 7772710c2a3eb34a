"""Daily rollups: what one program-local day adds to each KPI, one row per (metric, dimensions).

Every metric is a plain sum over days, so a report over any span of days adds rows and never reads
the purchases, ledger or coupons themselves. Dimensions are text; '' where a metric has none."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum


class Metric(StrEnum):
    # Per store and, separately, per channel (not their product, which grows as stores x channels).
    ORDERS = "orders"  # dim: store (by purchase time)
    SALES_CENTS = "sales_cents"  # dim: store
    UNITS = "units"  # dim: store; item quantities (one per line before quantities existed)
    REFUND_CENTS = "refund_cents"  # dim: store of the refunded order (by refund time)
    CHANNEL_ORDERS = "channel_orders"  # dim: channel
    CHANNEL_SALES_CENTS = "channel_sales_cents"
    CHANNEL_UNITS = "channel_units"
    CHANNEL_REFUND_CENTS = "channel_refund_cents"
    TIER_ORDERS = "tier_orders"  # dim: tier id the member held at purchase time ('' = base tier)
    TIER_SALES_CENTS = "tier_sales_cents"  # dim: tier id
    TIER_REFUND_CENTS = "tier_refund_cents"  # dim: tier id the member held when the order was placed
    COHORT_NET_CENTS = "cohort_net_cents"  # dim: the buyer's join month 'YYYY-MM' (sales minus refunds)
    NEW_MEMBERS = "new_members"  # no dims
    FIRST_PURCHASES = "first_purchases"  # dim: the buyer's join day 'YYYY-MM-DD'
    POINTS_CREDITED = "points_credited"  # dim: ledger entry kind
    POINTS_DEBITED = "points_debited"  # dim: ledger entry kind (as a positive number)
    COUPONS_ISSUED = "coupons_issued"  # dims: template id, campaign (the coupon's source)
    COUPONS_REDEEMED = "coupons_redeemed"  # dims: template id, campaign
    COUPON_DISCOUNT_CENTS = "coupon_discount_cents"  # dims: template id, campaign
    TIER_MOVES = "tier_moves"  # dim: the tier change's reason (UPGRADE, DOWNGRADE, ...)


@dataclass(frozen=True)
class RollupRow:
    metric: Metric
    value: int
    dim1: str = ""
    dim2: str = ""


@dataclass(frozen=True)
class StoreChannelSales:
    store_id: str
    channel: str
    orders: int
    sales_cents: int
    units: int


@dataclass(frozen=True)
class DayFacts:
    """What the raw tables hold for one day, aggregated as far as SQL can without knowing the
    program's time zone; join dates are bucketed into local days and months by the job."""

    sales: list[StoreChannelSales] = field(default_factory=list)
    refunds: list[tuple[str, str, int]] = field(default_factory=list)  # store, channel, cents
    tier_sales: list[tuple[int | None, int, int]] = field(default_factory=list)  # tier, orders, cents
    tier_refunds: list[tuple[int | None, int]] = field(default_factory=list)  # tier, cents
    spend_by_join: list[tuple[datetime, int]] = field(default_factory=list)  # joined_at, net cents
    new_members: int = 0
    first_purchasers_joined: list[datetime] = field(default_factory=list)
    ledger: list[tuple[str, int, int]] = field(default_factory=list)  # kind, credited, debited
    coupons_issued: list[tuple[int, str, int]] = field(default_factory=list)  # template, source, count
    coupons_redeemed: list[tuple[int, str, int, int]] = field(default_factory=list)  # + discount cents
    tier_moves: list[tuple[str, int]] = field(default_factory=list)  # reason, count


@dataclass(frozen=True)
class RolledDays:
    days: int  # days of the span that have been rolled up
    last_rolled_at: datetime | None
    first_missing: date | None
