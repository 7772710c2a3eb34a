"""Per-store reports (staff; a clerk only for the stores assigned to them)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from domain.stores.report import StoreReport as DomainStoreReport
from domain.stores.report import StoreReportQuery, store_report
from schema.info import Info
from schema.scalars import Long


@strawberry.type(description="What happened at one store over whole local days [from, to] (program time zone).")
class StoreReport:
    store_id: str = strawberry.field(description="The store.")
    from_day: date = strawberry.field(name="from", description="First local day, included.")
    to_day: date = strawberry.field(name="to", description="Last local day, included.")
    time_zone: str = strawberry.field(description="The IANA time zone the days are counted in.")
    orders: int = strawberry.field(description="Orders recorded at the store (purchase time in the period).")
    members: int = strawberry.field(description="Distinct members who ordered.")
    sales_cents: Long = strawberry.field(description="Those orders' amounts, in cents (1/100 yuan).")
    refunded_cents: Long = strawberry.field(description="Refunds recorded in the period on the store's orders, "
                                                        "in cents.")
    points_awarded: Long = strawberry.field(description="Points earned on the period's orders.")
    coupons_redeemed: int = strawberry.field(description="Coupons used on orders at the store in the period.")
    coupon_discount_cents: Long = strawberry.field(description="The discounts those coupons gave, in cents.")
    vouchers_used: int = strawberry.field(description="Reward vouchers accepted at the store in the period.")

    @classmethod
    def from_domain(cls, r: DomainStoreReport) -> StoreReport:
        f = r.figures
        return cls(store_id=r.store_id, from_day=r.from_day, to_day=r.to_day, time_zone=r.time_zone,
                   orders=f.orders, members=f.members, sales_cents=Long(f.sales_cents),
                   refunded_cents=Long(f.refunded_cents), points_awarded=Long(f.points_awarded),
                   coupons_redeemed=f.coupons_redeemed, coupon_discount_cents=Long(f.coupon_discount_cents),
                   vouchers_used=f.vouchers_used)


@strawberry.type
class StoreQueries:
    @strawberry.field(description=(
        "Staff (HQ, analysts; store clerks for their assigned stores, else FORBIDDEN): one store's orders, "
        "sales, refunds, points and coupon/voucher use over whole local days [from, to], at most 366 days."))
    async def store_report(
        self, info: Info,
        store_id: Annotated[str, strawberry.argument(description="The store id, as the POS sends it.")],
        from_: Annotated[date, strawberry.argument(
            name="from", description="First local day (program time zone), included.")],
        to: Annotated[date, strawberry.argument(
            description="Last local day, included; not before `from` nor after today.")],
    ) -> StoreReport:
        ctx = info.context
        return StoreReport.from_domain(await store_report(StoreReportQuery(store_id, from_, to), ctx.deps()))
