"""Entitlement kinds, what each tier grants, and the uses made at stores."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Row, and_, delete, func, insert, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.entitlements.model import EntitlementKind, EntitlementPeriod, EntitlementUse, Grant
from domain.store.tables import coupon_stacking, entitlement_kinds, entitlement_uses, tier_entitlements


def _kind(row: Row) -> EntitlementKind:
    return EntitlementKind(row.id, row.code, row.name_zh, row.name_en, row.unit_zh, row.unit_en, row.active)


def _grant(row: Row) -> Grant:
    return Grant(row.tier_id, row.kind_id, row.quota, EntitlementPeriod(row.period) if row.period else None,
                 row.discount_pct, tuple(row.categories or ()))


def _use(row: Row) -> EntitlementUse:
    return EntitlementUse(row.id, row.member_id, row.kind_id, row.tier_id, row.quantity, row.store_id, row.staff_id,
                          row.period_start, row.idempotency_key, row.used_at)


class SqlEntitlementRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def kinds(self) -> list[EntitlementKind]:
        rows = await self._conn.execute(select(entitlement_kinds).order_by(entitlement_kinds.c.code))
        return [_kind(r) for r in rows]

    async def kind_by_code(self, code: str) -> EntitlementKind | None:
        row = (await self._conn.execute(select(entitlement_kinds).where(entitlement_kinds.c.code == code))).first()
        return _kind(row) if row else None

    async def save_kind(self, kind: EntitlementKind) -> EntitlementKind:
        values = dict(code=kind.code, name_zh=kind.name_zh, name_en=kind.name_en, unit_zh=kind.unit_zh,
                      unit_en=kind.unit_en, active=kind.active)
        statement = (update(entitlement_kinds).where(entitlement_kinds.c.id == kind.id).values(**values)
                     if kind.id else insert(entitlement_kinds).values(**values))
        return _kind((await self._conn.execute(statement.returning(*entitlement_kinds.c))).one())

    async def grants(self, tier_ids: list[int] | None = None) -> list[Grant]:
        query = select(tier_entitlements).order_by(tier_entitlements.c.tier_id, tier_entitlements.c.kind_id)
        if tier_ids is not None:
            query = query.where(tier_entitlements.c.tier_id.in_(tier_ids))
        return [_grant(r) for r in await self._conn.execute(query)]

    async def replace_grants(self, tier_id: int, grants: list[Grant]) -> None:
        await self._conn.execute(delete(tier_entitlements).where(tier_entitlements.c.tier_id == tier_id))
        if grants:
            await self._conn.execute(insert(tier_entitlements), [
                {"tier_id": tier_id, "kind_id": g.kind_id, "quota": g.quota,
                 "period": g.period.value if g.period else None, "discount_pct": g.discount_pct,
                 "categories": list(g.categories)} for g in grants])

    async def used_since(self, member_id: int, starts: dict[int, datetime]) -> dict[int, int]:
        # One statement for every kind, each with its own period start (index member, kind, used_at).
        u = entitlement_uses.c
        rows = await self._conn.execute(
            select(u.kind_id, func.sum(u.quantity))
            .where(u.member_id == member_id,
                   or_(*(and_(u.kind_id == kind_id, u.used_at >= start) for kind_id, start in starts.items())))
            .group_by(u.kind_id))
        return {int(kind_id): int(total) for kind_id, total in rows}

    async def add_use(self, member_id: int, kind_id: int, tier_id: int, quantity: int, store_id: str,
                      staff_id: int, period_start: datetime | None, idempotency_key: str,
                      now: datetime) -> EntitlementUse:
        row = (await self._conn.execute(insert(entitlement_uses).values(
            member_id=member_id, kind_id=kind_id, tier_id=tier_id, quantity=quantity, store_id=store_id,
            staff_id=staff_id, period_start=period_start, idempotency_key=idempotency_key, used_at=now,
        ).returning(*entitlement_uses.c))).one()
        return _use(row)

    async def use(self, use_id: int) -> EntitlementUse | None:
        row = (await self._conn.execute(select(entitlement_uses).where(entitlement_uses.c.id == use_id))).first()
        return _use(row) if row else None

    async def uses(self, member_id: int, limit: int,
                   before: tuple[datetime, int] | None = None) -> list[EntitlementUse]:
        u = entitlement_uses.c
        query = select(entitlement_uses).where(u.member_id == member_id)
        if before is not None:
            query = query.where(tuple_(u.used_at, u.id) < tuple_(*before))
        rows = await self._conn.execute(query.order_by(u.used_at.desc(), u.id.desc()).limit(limit))
        return [_use(r) for r in rows]

    async def stacking(self) -> dict[str, bool]:
        rows = await self._conn.execute(select(coupon_stacking))
        return {r.coupon_kind: r.with_member_price for r in rows}

    async def replace_stacking(self, rules: dict[str, bool]) -> None:
        await self._conn.execute(delete(coupon_stacking))
        if rules:
            await self._conn.execute(insert(coupon_stacking), [
                {"coupon_kind": kind, "with_member_price": combines} for kind, combines in rules.items()])

    async def uses_by_ids(self, use_ids: list[int]) -> dict[int, EntitlementUse]:
        rows = await self._conn.execute(select(entitlement_uses).where(entitlement_uses.c.id.in_(use_ids)))
        return {r.id: _use(r) for r in rows}
