"""Keyset pages for the finance/BI exports (domain/exports)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.exports.model import ExportKind, Period
from domain.store.tables import member_tiers, members, points_entries, purchases, tiers


class SqlExportRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def page(self, kind: ExportKind, period: Period, after_id: int, limit: int) -> list[tuple]:
        if kind is ExportKind.MEMBERS:
            return await self._members(period, after_id, limit)
        if kind is ExportKind.LEDGER:
            e = points_entries.c
            query = (select(e.id, e.member_id, e.kind, e.amount, e.reason, e.source_type, e.source_ref, e.created_at)
                     .where(e.id > after_id, e.created_at >= period.start, e.created_at < period.end))
            rows = await self._conn.execute(query.order_by(e.id).limit(limit))
            return [tuple(r) for r in rows]
        p = purchases.c
        query = (select(p.id, p.member_id, p.source, p.order_id, p.store_id, p.amount_cents, p.refunded_cents,
                        p.points_awarded, p.points_reversed, p["items"], p.purchased_at)
                 .where(p.id > after_id, p.purchased_at >= period.start, p.purchased_at < period.end))
        return [tuple(r) for r in await self._conn.execute(query.order_by(p.id).limit(limit))]

    async def _members(self, period: Period, after_id: int, limit: int) -> list[tuple]:
        page = (await self._conn.execute(
            select(members.c.id, members.c.member_code, members.c.joined_at, tiers.c.code)
            .select_from(members.outerjoin(member_tiers, member_tiers.c.member_id == members.c.id)
                         .outerjoin(tiers, tiers.c.id == member_tiers.c.tier_id))
            .where(members.c.id > after_id, members.c.joined_at < period.end)
            .order_by(members.c.id).limit(limit))).all()
        if not page:
            return []
        # Balance at the period's end: the ledger sum before it, for this page's members only (the
        # member/created_at index answers it), not one aggregate over the whole ledger.
        balances = dict((await self._conn.execute(
            select(points_entries.c.member_id, func.sum(points_entries.c.amount))
            .where(points_entries.c.member_id.in_([r.id for r in page]), points_entries.c.created_at < period.end)
            .group_by(points_entries.c.member_id))).all())
        return [(r.id, r.member_code, r.joined_at, r.code or "", int(balances.get(r.id) or 0)) for r in page]
