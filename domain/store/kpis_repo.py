"""Program-wide reporting queries: one aggregate statement per KPI, no rows come back to Python."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, distinct, exists, func, literal, or_, select, union, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.kpis.model import CohortDay, LedgerTotals
from domain.store.columns import UtcDateTime
from domain.store.tables import (
    check_ins,
    comments,
    members,
    points_entries,
    posts,
    purchases,
    redemptions,
    tier_changes,
)

# What makes a member active: (who, when) per kind of activity. Likes and partner earn/burn do not count.
ACTIVITY: list[tuple[ColumnElement, ColumnElement]] = [
    (purchases.c.member_id, purchases.c.purchased_at),
    (check_ins.c.member_id, check_ins.c.created_at),
    (posts.c.author_id, posts.c.created_at),
    (comments.c.author_id, comments.c.created_at),
    (redemptions.c.member_id, redemptions.c.created_at),
]


def _count(column: ColumnElement) -> ColumnElement:
    return func.coalesce(func.sum(column), 0)


class SqlKpiRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def members_joined_before(self, bounds: Sequence[datetime]) -> list[int]:
        row = (await self._conn.execute(
            select(*[_count(case((members.c.joined_at < b, 1), else_=0)) for b in bounds])
            .where(members.c.joined_at < max(bounds))
        )).one()
        return [int(v) for v in row]

    async def active_members(self, bounds: Sequence[datetime]) -> list[int]:
        start, end = bounds[0], bounds[-1]
        if len(bounds) == 2:
            # UNION (not ALL) dedups member ids per source as it goes, so the count is a hash aggregate.
            ids = union(*[select(who.label("member_id")).where(at >= start, at < end) for who, at in ACTIVITY])
            return [int(await self._conn.scalar(select(func.count()).select_from(ids.subquery())) or 0)]
        acts = union_all(*[select(who.label("member_id"), at.label("at")).where(at >= start, at < end)
                           for who, at in ACTIVITY]).subquery()
        bucket = case(*[(acts.c.at < b, i) for i, b in enumerate(bounds[1:-1])], else_=len(bounds) - 2)
        rows = await self._conn.execute(
            select(bucket.label("bucket"), func.count(distinct(acts.c.member_id))).group_by(bucket))
        counts = [0] * (len(bounds) - 1)
        for index, count in rows:
            counts[int(index)] = int(count)
        return counts

    async def retention(self, days: Sequence[CohortDay]) -> tuple[int, int]:
        if not days:
            return 0, 0
        rows = [
            select(literal(d.join_start, UtcDateTime()).label("join_start"),
                   literal(d.window_start, UtcDateTime()).label("window_start"),
                   literal(d.window_end, UtcDateTime()).label("window_end"))
            for d in days
        ]
        cohort = (union_all(*rows) if len(rows) > 1 else rows[0]).subquery("cohort_days")
        active_again = or_(*[
            exists().where(who == members.c.id, at >= cohort.c.window_start, at < cohort.c.window_end)
            for who, at in ACTIVITY
        ])
        row = (await self._conn.execute(
            select(func.count(), _count(case((active_again, 1), else_=0)))
            .select_from(members.join(cohort, and_(members.c.joined_at >= cohort.c.join_start,
                                                   members.c.joined_at < cohort.c.window_start)))
        )).one()
        return int(row[0]), int(row[1])

    async def ledger_totals(self, start: datetime, end: datetime) -> list[LedgerTotals]:
        amount = points_entries.c.amount
        rows = await self._conn.execute(
            select(points_entries.c.kind, _count(case((amount > 0, amount), else_=0)),
                   _count(case((amount < 0, -amount), else_=0)))
            .where(points_entries.c.created_at >= start, points_entries.c.created_at < end)
            .group_by(points_entries.c.kind)
        )
        return [LedgerTotals(kind, int(credited), int(debited)) for kind, credited, debited in rows]

    async def tiers_at(self, moment: datetime) -> dict[int, int]:
        latest_first = func.row_number().over(partition_by=tier_changes.c.member_id,
                                              order_by=(tier_changes.c.created_at.desc(), tier_changes.c.id.desc()))
        ranked = (select(tier_changes.c.to_tier_id, latest_first.label("nth"))
                  .where(tier_changes.c.created_at < moment).subquery())
        rows = await self._conn.execute(
            select(ranked.c.to_tier_id, func.count()).where(ranked.c.nth == 1).group_by(ranked.c.to_tier_id))
        return {int(tier_id): int(count) for tier_id, count in rows}

    async def tier_moves(self, start: datetime, end: datetime) -> dict[str, int]:
        rows = await self._conn.execute(
            select(tier_changes.c.reason, func.count())
            .where(tier_changes.c.created_at >= start, tier_changes.c.created_at < end)
            .group_by(tier_changes.c.reason))
        return {reason: int(count) for reason, count in rows}

    async def purchasers(self, start: datetime, end: datetime) -> tuple[int, int]:
        per_member = (select(purchases.c.member_id, func.count().label("n"))
                      .where(purchases.c.purchased_at >= start, purchases.c.purchased_at < end)
                      .group_by(purchases.c.member_id).subquery())
        row = (await self._conn.execute(
            select(func.count(), _count(case((per_member.c.n >= 2, 1), else_=0))))).one()
        return int(row[0]), int(row[1])

    async def checked_in_members(self, start: datetime, end: datetime) -> int:
        return int(await self._conn.scalar(
            select(func.count(distinct(check_ins.c.member_id)))
            .where(check_ins.c.created_at >= start, check_ins.c.created_at < end)) or 0)

    async def redeeming_members(self, start: datetime, end: datetime) -> int:
        return int(await self._conn.scalar(
            select(func.count(distinct(redemptions.c.member_id)))
            .where(redemptions.c.created_at >= start, redemptions.c.created_at < end)) or 0)
