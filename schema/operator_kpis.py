"""Operator KPIs served from the daily rollups (staff only, enforced in domain/): sales, average
order value and its trend, items per order, purchase frequency, conversion, points liability, LTV
by cohort, coupon use, and breakdowns by store, channel and tier."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import strawberry

from domain.kpis import operator_report
from domain.kpis.operator_model import OperatorKpis as DomainKpis
from domain.kpis.operator_model import SalesSlice as DomainSlice
from schema.info import Info
from schema.scalars import Long
from schema.tiers import Tier

RATE = "Basis points (4321 = 43.21%), rounded half up; null when the denominator is 0."
CENTS = "In cents (1/100 yuan)."


@strawberry.type(description="One program-local day of the period, from its rollup.")
class KpiDay:
    day: date = strawberry.field(description="The local day.")
    orders: int = strawberry.field(description="Orders placed that day.")
    sales_cents: Long = strawberry.field(description="What those orders paid. " + CENTS)
    refund_cents: Long = strawberry.field(description="Refunds made that day. " + CENTS)
    units: int = strawberry.field(description="Item units sold that day (line quantities).")
    average_order_cents: int | None = strawberry.field(description="salesCents / orders, rounded half up; null "
                                                                   "without orders.")
    new_members: int = strawberry.field(description="Members who joined that day.")
    first_purchases: int = strawberry.field(description="Members whose first purchase ever was that day.")
    points_issued: Long = strawberry.field(description="Points earned that day (EARN entries).")
    points_redeemed: Long = strawberry.field(description="Points redeemed that day (REDEEM entries).")


@strawberry.type(description="Sales of one store, channel or tier over the period.")
class SalesBreakdown:
    key: str = strawberry.field(description="The store id, the channel, or the tier id.")
    orders: int = strawberry.field(description="Orders placed in the period.")
    sales_cents: Long = strawberry.field(description="What they paid. " + CENTS)
    refund_cents: Long = strawberry.field(description="Refunds of its orders made in the period. " + CENTS)
    units: int = strawberry.field(description="Item units sold.")
    average_order_cents: int | None = strawberry.field(description="salesCents / orders; null without orders.")
    units_per_order_hundredths: int | None = strawberry.field(
        description="Items per order (连带销售系数) in hundredths (235 = 2.35); null without orders.")
    sales_share_bp: int | None = strawberry.field(description="Its share of all sales. " + RATE)
    order_share_bp: int | None = strawberry.field(description="Its share of all orders. " + RATE)

    @classmethod
    def from_domain(cls, s: DomainSlice) -> SalesBreakdown:
        return cls(key=s.key, orders=s.orders, sales_cents=Long(s.sales_cents), refund_cents=Long(s.refund_cents),
                   units=s.units, average_order_cents=s.average_order_cents,
                   units_per_order_hundredths=s.units_per_order_hundredths, sales_share_bp=s.sales_share_bp,
                   order_share_bp=s.order_share_bp)


@strawberry.type(description="Sales by the tier the buyer held just before each order.")
class TierSalesBreakdown:
    tier: Tier | None = strawberry.field(description="The tier; null if it has been deleted.")
    sales: SalesBreakdown = strawberry.field(description="Its sales (key: the tier id).")


@strawberry.type(description="Members who joined in one month, and what they have spent since (LTV).")
class CohortValue:
    month: date = strawberry.field(description="The first day of the join month.")
    members: int = strawberry.field(description="Members who joined that month.")
    net_spend_cents: Long = strawberry.field(
        description="Their sales minus refunds from joining to the end of the period. " + CENTS)
    value_per_member_cents: int | None = strawberry.field(
        description="netSpendCents / members (lifetime value so far); null for an empty cohort.")


@strawberry.type(description="Coupon use per template and campaign (how the coupons were issued).")
class CouponUse:
    template_id: strawberry.ID = strawberry.field(description="The coupon template's id.")
    template_name: str = strawberry.field(description="The template's name.")
    campaign: str = strawberry.field(description="How they were issued: WELCOME, BIRTHDAY, TIER_UPGRADE, STAFF "
                                                 "(segment campaigns) or CLAIM (claimable offers).")
    issued: int = strawberry.field(description="Coupons issued in the period.")
    redeemed: int = strawberry.field(description="Coupons redeemed in the period.")
    use_rate_bp: int | None = strawberry.field(description="redeemed / issued. " + RATE)
    discount_cents: Long = strawberry.field(description="Discounts given by the redeemed coupons. " + CENTS)


@strawberry.type(description=(
    "Operator KPIs over whole local days [from, to], read from the daily rollups (job `rollup-kpis`); days "
    "not rolled up yet count as empty, so check `daysRolledUp`."))
class OperatorKpis:
    from_day: date = strawberry.field(name="from", description="First local day of the period (included).")
    to_day: date = strawberry.field(name="to", description="Last local day of the period (included).")
    time_zone: str = strawberry.field(description='The program time zone the days are in, e.g. "Asia/Shanghai".')
    as_of: datetime = strawberry.field(description="When this report was read.")
    days_rolled_up: int = strawberry.field(description="Days of the period the rollup job has computed.")
    last_rolled_at: datetime | None = strawberry.field(description="When the newest of those was computed.")
    first_missing_day: date | None = strawberry.field(description="The first day of the period not rolled up yet.")
    orders: int = strawberry.field(description="Orders placed in the period (refunded or not).")
    sales_cents: Long = strawberry.field(description="What those orders paid. " + CENTS)
    refund_cents: Long = strawberry.field(description="Refunds made in the period. " + CENTS)
    net_sales_cents: Long = strawberry.field(description="salesCents - refundCents. " + CENTS)
    units: int = strawberry.field(description="Item units sold (line quantities).")
    average_order_cents: int | None = strawberry.field(description="Average order value: salesCents / orders.")
    previous_average_order_cents: int | None = strawberry.field(
        description="Average order value over the same number of days just before the period.")
    average_order_change_bp: int | None = strawberry.field(
        description="Change of the average order value against the previous period (may be negative). " + RATE)
    units_per_order_hundredths: int | None = strawberry.field(
        description="Items per order (连带销售系数): units / orders in hundredths (235 = 2.35).")
    purchasing_members: int = strawberry.field(description="Members with at least one order in the period.")
    purchase_frequency_hundredths: int | None = strawberry.field(
        description="Orders per purchasing member, in hundredths (150 = 1.5).")
    new_members: int = strawberry.field(description="Members who joined in the period.")
    converted_members: int = strawberry.field(
        description="Of those, members whose first purchase ever was in the period.")
    conversion_rate_bp: int | None = strawberry.field(description="Sign-up to first purchase: converted / new. "
                                                                  + RATE)
    points_issued: Long = strawberry.field(description="Points earned in the period (EARN entries).")
    points_redeemed: Long = strawberry.field(description="Points redeemed in the period (REDEEM entries).")
    redeemed_to_issued_bp: int | None = strawberry.field(description="pointsRedeemed / pointsIssued. " + RATE)
    points_outstanding: Long = strawberry.field(
        description="Points members hold at the end of the period (pending included): every ledger amount so far.")
    point_value_cents_per_100_points: int = strawberry.field(
        description="The program setting the liability uses: what 100 points are worth, in cents.")
    liability_cents: Long = strawberry.field(
        description="pointsOutstanding valued at the point value, rounded down. " + CENTS)
    days: list[KpiDay] = strawberry.field(description="Each rolled-up day of the period with activity, oldest "
                                                      "first (days without any are left out).")
    stores: list[SalesBreakdown] = strawberry.field(description="Sales per store, largest first.")
    channels: list[SalesBreakdown] = strawberry.field(description="Sales per channel (channel share), largest "
                                                                  "first; key is a SalesChannel value.")
    tiers: list[TierSalesBreakdown] = strawberry.field(description="Sales per tier, in tier rank order.")
    cohorts: list[CohortValue] = strawberry.field(description="LTV per join month of the period, oldest first.")
    coupons: list[CouponUse] = strawberry.field(description="Coupon use per template and campaign.")

    @classmethod
    def from_domain(cls, k: DomainKpis) -> OperatorKpis:
        return cls(
            from_day=k.from_day, to_day=k.to_day, time_zone=k.time_zone, as_of=k.as_of,
            days_rolled_up=k.days_rolled_up, last_rolled_at=k.last_rolled_at, first_missing_day=k.first_missing_day,
            orders=k.orders, sales_cents=Long(k.sales_cents), refund_cents=Long(k.refund_cents),
            net_sales_cents=Long(k.net_sales_cents), units=k.units, average_order_cents=k.average_order_cents,
            previous_average_order_cents=k.previous_average_order_cents,
            average_order_change_bp=k.average_order_change_bp,
            units_per_order_hundredths=k.units_per_order_hundredths, purchasing_members=k.purchasing_members,
            purchase_frequency_hundredths=k.purchase_frequency_hundredths, new_members=k.new_members,
            converted_members=k.converted_members, conversion_rate_bp=k.conversion_rate_bp,
            points_issued=Long(k.points_issued), points_redeemed=Long(k.points_redeemed),
            redeemed_to_issued_bp=k.redeemed_to_issued_bp, points_outstanding=Long(k.points_outstanding),
            point_value_cents_per_100_points=k.point_value_cents_per_100_points,
            liability_cents=Long(k.liability_cents),
            days=[KpiDay(day=d.day, orders=d.orders, sales_cents=Long(d.sales_cents),
                         refund_cents=Long(d.refund_cents), units=d.units, average_order_cents=d.average_order_cents,
                         new_members=d.new_members, first_purchases=d.first_purchases,
                         points_issued=Long(d.points_issued), points_redeemed=Long(d.points_redeemed))
                  for d in k.days],
            stores=[SalesBreakdown.from_domain(s) for s in k.stores],
            channels=[SalesBreakdown.from_domain(s) for s in k.channels],
            tiers=[TierSalesBreakdown(tier=Tier.from_domain(t.tier) if t.tier else None,
                                      sales=SalesBreakdown.from_domain(t.slice)) for t in k.tiers],
            cohorts=[CohortValue(month=c.month, members=c.members, net_spend_cents=Long(c.net_spend_cents),
                                 value_per_member_cents=c.value_per_member_cents) for c in k.cohorts],
            coupons=[CouponUse(template_id=strawberry.ID(str(c.template_id)), template_name=c.template_name,
                               campaign=c.campaign, issued=c.issued, redeemed=c.redeemed, use_rate_bp=c.use_rate_bp,
                               discount_cents=Long(c.discount_cents)) for c in k.coupons],
        )


@strawberry.type
class OperatorKpiQueries:
    @strawberry.field(description=(
        "Staff: sales, average order value and its trend, items per order, purchase frequency, sign-up to first "
        "purchase conversion, points issued/redeemed and liability, LTV by cohort, coupon use, and breakdowns by "
        "store, channel and tier, over whole local days [from, to] (at most 366, not after today). Read from the "
        "daily rollups (the `rollup-kpis` job), so it answers in well under a second at any program size."))
    async def operator_kpis(
        self, info: Info,
        from_: Annotated[date, strawberry.argument(
            name="from", description="First local day (program time zone), included.")],
        to: Annotated[date, strawberry.argument(
            description="Last local day, included; not before `from` nor after today (366 days at most).")],
    ) -> OperatorKpis:
        report = await operator_report.operator_kpis(operator_report.OperatorKpiReport(from_, to),
                                                     info.context.deps())
        return OperatorKpis.from_domain(report)
