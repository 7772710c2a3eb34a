"""Program-wide reporting queries: aggregate statements (one per KPI, one per month for monthly
actives); no rows come back to Python."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, case, func, literal, select, text, union, union_all
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
        self._tuned = False

    async def _tune(self) -> None:
        """For this transaction only. JIT compiled these plans for 0.2-0.6 s (their row estimates are
        large) and then ran them in less time than that. The default 4 MB work_mem made the member-id
        hash aggregates spill to disk at 100k members; a report is rare, so it may use 64 MB."""
        if not self._tuned and self._conn.dialect.name == "postgresql":
            await self._conn.execute(text("SET LOCAL jit = off"))
            await self._conn.execute(text("SET LOCAL work_mem = '64MB'"))
        self._tuned = True

    async def members_joined_before(self, bounds: Sequence[datetime]) -> list[int]:
        await self._tune()
        row = (await self._conn.execute(
            select(*[_count(case((members.c.joined_at < b, 1), else_=0)) for b in bounds])
            .where(members.c.joined_at < max(bounds))
        )).one()
        return [int(v) for v in row]

    async def active_members(self, bounds: Sequence[datetime]) -> list[int]:
        """One statement per span (a year is 13 at most). Bucketing all spans in one statement
        (DISTINCT over (CASE … bucket, member)) ran in about a second on PostgreSQL 15 or, now and
        then, for minutes in a spilling hash aggregate; this shape is the one the total uses."""
        await self._tune()
        counts = []
        for start, end in itertools.pairwise(bounds):
            # UNION (not ALL) dedups member ids per source as it goes, so the count is a hash aggregate.
            ids = union(*[select(who.label("member_id")).where(at >= start, at < end) for who, at in ACTIVITY])
            counts.append(int(await self._conn.scalar(select(func.count()).select_from(ids.subquery())) or 0))
        return counts

    async def retention(self, days: Sequence[CohortDay]) -> tuple[int, int]:
        """Set-based: the cohort joined to the activity of all cohort windows by member. Probing each
        cohort member's five tables with EXISTS cost ten index lookups per member; this reads each
        table's time range once."""
        if not days:
            return 0, 0
        await self._tune()
        rows = [
            select(literal(d.join_start, UtcDateTime()).label("join_start"),
                   literal(d.window_start, UtcDateTime()).label("window_start"),
                   literal(d.window_end, UtcDateTime()).label("window_end"))
            for d in days
        ]
        windows = (union_all(*rows) if len(rows) > 1 else rows[0]).subquery("cohort_days")
        cohort = (select(members.c.id, windows.c.window_start, windows.c.window_end)
                  .select_from(members.join(windows, and_(members.c.joined_at >= windows.c.join_start,
                                                          members.c.joined_at < windows.c.window_start)))
                  .cte("cohort"))
        low, high = min(d.window_start for d in days), max(d.window_end for d in days)
        acts = union_all(*[select(who.label("member_id"), at.label("at")).where(at >= low, at < high)
                           for who, at in ACTIVITY]).subquery("acts")
        returned = (select(cohort.c.id).distinct()
                    .select_from(cohort.join(acts, and_(acts.c.member_id == cohort.c.id,
                                                        acts.c.at >= cohort.c.window_start,
                                                        acts.c.at < cohort.c.window_end)))
                    .subquery())
        retained = select(func.count()).select_from(returned).scalar_subquery()
        row = (await self._conn.execute(
            select(select(func.count()).select_from(cohort).scalar_subquery(), retained))).one()
        return int(row[0]), int(row[1])

    async def ledger_totals(self, start: datetime, end: datetime) -> list[LedgerTotals]:
        await self._tune()
        amount = points_entries.c.amount
        rows = await self._conn.execute(
            select(points_entries.c.kind, _count(case((amount > 0, amount), else_=0)),
                   _count(case((amount < 0, -amount), else_=0)))
            .where(points_entries.c.created_at >= start, points_entries.c.created_at < end)
            .group_by(points_entries.c.kind)
        )
        return [LedgerTotals(kind, int(credited), int(debited)) for kind, credited, debited in rows]

    async def tiers_at(self, moment: datetime) -> dict[int, int]:
        await self._tune()
        latest_first = func.row_number().over(partition_by=tier_changes.c.member_id,
                                              order_by=(tier_changes.c.created_at.desc(), tier_changes.c.id.desc()))
        ranked = (select(tier_changes.c.to_tier_id, latest_first.label("nth"))
                  .where(tier_changes.c.created_at < moment).subquery())
        rows = await self._conn.execute(
            select(ranked.c.to_tier_id, func.count()).where(ranked.c.nth == 1).group_by(ranked.c.to_tier_id))
        return {int(tier_id): int(count) for tier_id, count in rows}

    async def tier_moves(self, start: datetime, end: datetime) -> dict[str, int]:
        await self._tune()
        rows = await self._conn.execute(
            select(tier_changes.c.reason, func.count())
            .where(tier_changes.c.created_at >= start, tier_changes.c.created_at < end)
            .group_by(tier_changes.c.reason))
        return {reason: int(count) for reason, count in rows}

    async def purchasers(self, start: datetime, end: datetime) -> tuple[int, int]:
        await self._tune()
        per_member = (select(purchases.c.member_id, func.count().label("n"))
                      .where(purchases.c.purchased_at >= start, purchases.c.purchased_at < end)
                      .group_by(purchases.c.member_id).subquery())
        row = (await self._conn.execute(
            select(func.count(), _count(case((per_member.c.n >= 2, 1), else_=0))))).one()
        return int(row[0]), int(row[1])

    async def checked_in_members(self, start: datetime, end: datetime) -> int:
        await self._tune()
        return await self._distinct_members(
            select(check_ins.c.member_id).where(check_ins.c.created_at >= start, check_ins.c.created_at < end))

    async def redeeming_members(self, start: datetime, end: datetime) -> int:
        await self._tune()
        return await self._distinct_members(
            select(redemptions.c.member_id).where(redemptions.c.created_at >= start, redemptions.c.created_at < end))

    async def _distinct_members(self, ids: Select) -> int:
        return int(await self._conn.scalar(select(func.count()).select_from(ids.distinct().subquery())) or 0)
