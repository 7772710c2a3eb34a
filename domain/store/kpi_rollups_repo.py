"""Daily KPI rollups: the per-day aggregates the rollup job writes, and the sums the report reads.

Each fact is one aggregate statement over one day of one table (time indexes from migration 0021);
only grouped rows come back, except join times, which the job buckets into the program's local
days and months (bounded by the day's orders)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    and_,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import aliased

from domain.kpis.model import CohortDay, MemberDayCounts
from domain.kpis.rollup_model import DayFacts, Metric, RollupRow, StoreChannelSales
from domain.points.model import SalesChannel
from domain.store.columns import UtcDateTime
from domain.store.tables import (
    check_ins,
    comments,
    coupons,
    kpi_daily_rollups,
    kpi_member_days,
    kpi_rollup_days,
    members,
    points_entries,
    posts,
    purchases,
    redemptions,
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
        self._tuned = False

    async def _tune(self) -> None:
        """As SqlKpiRepository._tune, for the member-day reads: their row estimates (a year of member
        days, the cohort windows) make PostgreSQL JIT-compile for longer than the queries then run,
        and the per-member aggregates want more than the default 4 MB work_mem. This transaction only."""
        if not self._tuned and self._conn.dialect.name == "postgresql":
            await self._conn.execute(text("SET LOCAL jit = off"))
            await self._conn.execute(text("SET LOCAL work_mem = '64MB'"))
        self._tuned = True

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
        moves = [(reason, int(n)) for reason, n in await c.execute(
            select(tier_changes.c.reason, func.count())
            .where(tier_changes.c.created_at >= start, tier_changes.c.created_at < end)
            .group_by(tier_changes.c.reason))]
        return DayFacts(sales, refund_rows, tier_sales, tier_refunds, spend, new_members, firsts, ledger,
                        issued, redeemed, moves)

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

    async def replace_member_days(self, day: date, start: datetime, end: datetime) -> int:
        """One INSERT … SELECT: no member row passes through Python. What counts as activity is
        domain/store/kpis_repo.py's ACTIVITY (purchases, check-ins, redemptions, posts, comments)."""
        await self._conn.execute(delete(kpi_member_days).where(kpi_member_days.c.day == day))
        one, zero = literal(1, Integer), literal(0, Integer)

        def acts(who: ColumnElement, at: ColumnElement, kind: int):
            flags = [one if kind == i else zero for i in range(4)]
            return select(who.label("member_id"), *[f.label(f"k{i}") for i, f in enumerate(flags)]).where(
                at >= start, at < end)

        rows = union_all(
            acts(purchases.c.member_id, purchases.c.purchased_at, 0),
            acts(check_ins.c.member_id, check_ins.c.created_at, 1),
            acts(redemptions.c.member_id, redemptions.c.created_at, 2),
            acts(posts.c.author_id, posts.c.created_at, 3),
            acts(comments.c.author_id, comments.c.created_at, 3),
        ).subquery()
        result = await self._conn.execute(insert(kpi_member_days).from_select(
            ["day", "member_id", "purchases", "check_ins", "redemptions", "writes"],
            select(literal(day, Date), rows.c.member_id, func.sum(rows.c.k0), func.sum(rows.c.k1),
                   func.sum(rows.c.k2), func.sum(rows.c.k3)).group_by(rows.c.member_id)))
        return int(result.rowcount or 0)

    async def active_members(self, spans: Sequence[tuple[date, date]]) -> list[int]:
        await self._tune()
        d = kpi_member_days.c
        return [int(await self._conn.scalar(
            select(func.count(func.distinct(d.member_id))).where(d.day >= first, d.day <= last)) or 0)
            for first, last in spans]

    async def member_counts(self, from_day: date, to_day: date) -> MemberDayCounts:
        await self._tune()
        d = kpi_member_days.c
        per_member = (select(func.sum(d.purchases).label("p"), func.sum(d.check_ins).label("c"),
                             func.sum(d.redemptions).label("r"))
                      .where(d.day >= from_day, d.day <= to_day).group_by(d.member_id).subquery())

        def members_with(condition: ColumnElement) -> ColumnElement:
            return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

        row = (await self._conn.execute(select(
            func.count(), members_with(per_member.c.p > 0), members_with(per_member.c.p >= 2),
            members_with(per_member.c.c > 0), members_with(per_member.c.r > 0)))).one()
        return MemberDayCounts(*(int(v) for v in row))

    async def retention(self, days: Sequence[CohortDay]) -> tuple[int, int]:
        """Members who joined on those days, and how many were active on a local day of their window."""
        if not days:
            return 0, 0
        await self._tune()
        if self._conn.dialect.name == "postgresql":
            # Four arrays, one row per cohort day: a year as a 365-branch UNION ALL of literals cost
            # more to plan than to run (about 250 ms at 10k members).
            windows = (text(
                "SELECT * FROM unnest(CAST(:js AS timestamptz[]), CAST(:je AS timestamptz[]), "
                "CAST(:fd AS date[]), CAST(:ld AS date[])) AS w(join_start, join_end, first_day, last_day)")
                .bindparams(js=[c.join_start for c in days], je=[c.window_start for c in days],
                            fd=[c.first_window_day for c in days], ld=[c.last_window_day for c in days])
                .columns(join_start=UtcDateTime(), join_end=UtcDateTime(), first_day=Date(), last_day=Date())
                .subquery("cohort_days"))
        else:
            rows = [
                select(literal(c.join_start, UtcDateTime()).label("join_start"),
                       literal(c.window_start, UtcDateTime()).label("join_end"),
                       literal(c.first_window_day, Date).label("first_day"),
                       literal(c.last_window_day, Date).label("last_day"))
                for c in days
            ]
            windows = (union_all(*rows) if len(rows) > 1 else rows[0]).subquery("cohort_days")
        cohort = (select(members.c.id, windows.c.first_day, windows.c.last_day)
                  .select_from(members.join(windows, and_(members.c.joined_at >= windows.c.join_start,
                                                          members.c.joined_at < windows.c.join_end)))
                  .cte("cohort"))
        d = kpi_member_days.c
        low, high = min(c.first_window_day for c in days), max(c.last_window_day for c in days)
        active = select(d.member_id, d.day).where(d.day >= low, d.day <= high).subquery("active")
        returned = (select(cohort.c.id).distinct()
                    .select_from(cohort.join(active, and_(active.c.member_id == cohort.c.id,
                                                          active.c.day >= cohort.c.first_day,
                                                          active.c.day <= cohort.c.last_day)))
                    .subquery())
        row = (await self._conn.execute(select(select(func.count()).select_from(cohort).scalar_subquery(),
                                               select(func.count()).select_from(returned).scalar_subquery()))).one()
        return int(row[0]), int(row[1])

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
