"""Daily KPI rollups: the per-day aggregates the rollup job writes, and the sums the report reads.

Each fact is one aggregate statement over one day of one table (time indexes from migration 0021);
only grouped rows come back, except join times, which the job buckets into the program's local
days and months (bounded by the day's orders)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, case, delete, exists, func, insert, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import aliased

from domain.kpis.rollup_model import DayFacts, Metric, RollupRow, StoreChannelSales
from domain.points.model import SalesChannel
from domain.store.tables import (
    coupons,
    kpi_daily_rollups,
    kpi_rollup_days,
    members,
    points_entries,
    purchases,
    refunds,
    tier_changes,
)

# Orders from before channels existed all came through the POS mutation.
CHANNEL = func.coalesce(purchases.c.channel, SalesChannel.POS.value)
# Orders from before quantities existed: one unit per line.
UNITS = func.coalesce(purchases.c.item_quantity, func.json_array_length(purchases.c["items"]))


def _tier_before_purchase():
    """The tier the buyer moved to last before the order (None: the base tier). Strictly before, so
    the upgrade an order itself causes counts from the next order on."""
    return (select(tier_changes.c.to_tier_id)
            .where(tier_changes.c.member_id == purchases.c.member_id,
                   tier_changes.c.created_at < purchases.c.purchased_at)
            .order_by(tier_changes.c.created_at.desc(), tier_changes.c.id.desc())
            .limit(1).scalar_subquery())


class SqlKpiRollupRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def day_facts(self, start: datetime, end: datetime) -> DayFacts:
        c = self._conn
        bought = and_(purchases.c.purchased_at >= start, purchases.c.purchased_at < end)
        refunded = and_(refunds.c.created_at >= start, refunds.c.created_at < end)
        refund_orders = refunds.join(purchases, purchases.c.id == refunds.c.purchase_id)
        by_store_channel = (select(purchases.c.store_id, CHANNEL.label("channel"), func.count(),
                                   func.sum(purchases.c.amount_cents), func.sum(UNITS))
                            .where(bought).group_by(purchases.c.store_id, CHANNEL))
        sales = [StoreChannelSales(store, channel, int(n), int(cents), int(units))
                 for store, channel, n, cents, units in await c.execute(by_store_channel)]
        refund_rows = [(store, channel, int(cents)) for store, channel, cents in await c.execute(
            select(purchases.c.store_id, CHANNEL.label("channel"), func.sum(refunds.c.amount_cents))
            .select_from(refund_orders).where(refunded).group_by(purchases.c.store_id, CHANNEL))]
        tiered = select(_tier_before_purchase().label("tier"), purchases.c.amount_cents).where(bought).subquery()
        tier_sales = [(tier, int(n), int(cents)) for tier, n, cents in await c.execute(
            select(tiered.c.tier, func.count(), func.sum(tiered.c.amount_cents)).group_by(tiered.c.tier))]
        tiered_refunds = (select(_tier_before_purchase().label("tier"), refunds.c.amount_cents)
                          .select_from(refund_orders).where(refunded).subquery())
        tier_refunds = [(tier, int(cents)) for tier, cents in await c.execute(
            select(tiered_refunds.c.tier, func.sum(tiered_refunds.c.amount_cents)).group_by(tiered_refunds.c.tier))]
        flows = union_all(
            select(purchases.c.member_id, purchases.c.amount_cents.label("cents")).where(bought),
            select(purchases.c.member_id, (-refunds.c.amount_cents).label("cents"))
            .select_from(refund_orders).where(refunded),
        ).subquery()
        spend = [(joined_at, int(cents)) for joined_at, cents in await c.execute(
            select(members.c.joined_at, func.sum(flows.c.cents))
            .select_from(flows.join(members, members.c.id == flows.c.member_id))
            .group_by(members.c.id, members.c.joined_at))]
        new_members = int(await c.scalar(select(func.count()).select_from(members).where(
            members.c.joined_at >= start, members.c.joined_at < end)) or 0)
        earlier = aliased(purchases)
        first = (select(members.c.joined_at)
                 .select_from(purchases.join(members, members.c.id == purchases.c.member_id))
                 .where(bought, ~exists().where(
                     earlier.c.member_id == purchases.c.member_id,
                     or_(earlier.c.purchased_at < purchases.c.purchased_at,
                         and_(earlier.c.purchased_at == purchases.c.purchased_at, earlier.c.id < purchases.c.id)))))
        firsts = list((await c.execute(first)).scalars())
        amount = points_entries.c.amount
        ledger = [(kind, int(credited), int(debited)) for kind, credited, debited in await c.execute(
            select(points_entries.c.kind, func.sum(_positive(amount)),
                   func.sum(_positive(-amount)))
            .where(points_entries.c.created_at >= start, points_entries.c.created_at < end)
            .group_by(points_entries.c.kind))]
        issued = [(int(t), source, int(n)) for t, source, n in await c.execute(
            select(coupons.c.template_id, coupons.c.source, func.count())
            .where(coupons.c.issued_at >= start, coupons.c.issued_at < end)
            .group_by(coupons.c.template_id, coupons.c.source))]
        redeemed = [(int(t), source, int(n), int(d)) for t, source, n, d in await c.execute(
            select(coupons.c.template_id, coupons.c.source, func.count(),
                   func.coalesce(func.sum(coupons.c.discount_cents), 0))
            .where(coupons.c.redeemed_at >= start, coupons.c.redeemed_at < end)
            .group_by(coupons.c.template_id, coupons.c.source))]
        return DayFacts(sales, refund_rows, tier_sales, tier_refunds, spend, new_members, firsts, ledger,
                        issued, redeemed)

    async def replace_day(self, day: date, rows: Sequence[RollupRow], rolled_at: datetime) -> None:
        # Naming every metric lets the (metric, day, ...) key find the day's rows.
        await self._conn.execute(delete(kpi_daily_rollups).where(
            kpi_daily_rollups.c.metric.in_([m.value for m in Metric]), kpi_daily_rollups.c.day == day))
        await self._conn.execute(delete(kpi_rollup_days).where(kpi_rollup_days.c.day == day))
        if rows:
            await self._conn.execute(insert(kpi_daily_rollups), [
                {"day": day, "metric": r.metric.value, "dim1": r.dim1, "dim2": r.dim2, "value": r.value}
                for r in rows])
        await self._conn.execute(insert(kpi_rollup_days).values(day=day, rolled_at=rolled_at))

    async def first_activity(self) -> datetime | None:
        return await self._conn.scalar(select(func.min(members.c.joined_at)))

    async def sums(self, from_day: date, to_day: date, metrics: Sequence[Metric]) -> list[tuple[str, str, str, int]]:
        r = kpi_daily_rollups.c
        rows = await self._conn.execute(
            select(r.metric, r.dim1, r.dim2, func.sum(r.value))
            .where(r.day >= from_day, r.day <= to_day, r.metric.in_([m.value for m in metrics]))
            .group_by(r.metric, r.dim1, r.dim2))
        return [(metric, dim1, dim2, int(total)) for metric, dim1, dim2, total in rows]

    async def daily(self, from_day: date, to_day: date, metrics: Sequence[Metric],
                    dim1: str | None = None) -> list[tuple[date, str, int]]:
        r = kpi_daily_rollups.c
        query = select(r.day, r.metric, func.sum(r.value)).where(
            r.day >= from_day, r.day <= to_day, r.metric.in_([m.value for m in metrics]))
        if dim1 is not None:
            query = query.where(r.dim1 == dim1)
        rows = await self._conn.execute(query.group_by(r.day, r.metric).order_by(r.day))
        return [(day, metric, int(total)) for day, metric, total in rows]

    async def rolled_days(self, from_day: date, to_day: date) -> list[tuple[date, datetime]]:
        d = kpi_rollup_days.c
        rows = await self._conn.execute(
            select(d.day, d.rolled_at).where(d.day >= from_day, d.day <= to_day).order_by(d.day))
        return [(day, rolled_at) for day, rolled_at in rows]


def _positive(amount: ColumnElement) -> ColumnElement:
    return case((amount > 0, amount), else_=0)
