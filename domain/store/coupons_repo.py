"""Coupon templates (with atomic issue counts) and issued coupons."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Row, bindparam, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.offers.model import Coupon, CouponKind, CouponStatus, CouponTemplate, IssueSource
from domain.store.dialect import insert_ignoring_conflict
from domain.store.tables import coupon_templates, coupons

# The offers badge on every home screen: built once (see points_repo).
_AVAILABLE_COUNT = select(func.count()).select_from(coupons).where(
    coupons.c.member_id == bindparam("member_id", type_=coupons.c.member_id.type),
    coupons.c.status == CouponStatus.AVAILABLE.value,
    coupons.c.valid_until > bindparam("now", type_=coupons.c.valid_until.type),
)


def _template(row: Row) -> CouponTemplate:
    return CouponTemplate(
        id=row.id, name=row.name, kind=CouponKind(row.kind), value_cents=row.value_cents, percent=row.percent,
        cap_cents=row.cap_cents, min_spend_cents=row.min_spend_cents, categories=list(row.categories),
        stores=list(row.stores), valid_from=row.valid_from, valid_until=row.valid_until, valid_days=row.valid_days,
        per_member_limit=row.per_member_limit, total_quantity=row.total_quantity, issued_count=row.issued_count,
        claimable=row.claimable, active=row.active, shareable=row.shareable,
    )


def _coupon(row: Row) -> Coupon:
    return Coupon(row.id, row.template_id, row.member_id, row.code, CouponStatus(row.status),
                  IssueSource(row.source), row.issued_at, row.valid_from, row.valid_until, row.redeemed_at,
                  row.order_ref, row.discount_cents)


class SqlCouponRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn
        # Members whose coupons this transaction wrote: their cached responses are outdated after the commit.
        self.moved: set[int] = set()

    async def save_template(self, t: CouponTemplate, now: datetime) -> CouponTemplate:
        values = dict(
            name=t.name, kind=t.kind.value, value_cents=t.value_cents, percent=t.percent, cap_cents=t.cap_cents,
            min_spend_cents=t.min_spend_cents, categories=list(t.categories), stores=list(t.stores),
            valid_from=t.valid_from, valid_until=t.valid_until, valid_days=t.valid_days,
            per_member_limit=t.per_member_limit, total_quantity=t.total_quantity, claimable=t.claimable,
            active=t.active, shareable=t.shareable, updated_at=now,
        )
        if t.id:
            statement = update(coupon_templates).where(coupon_templates.c.id == t.id).values(**values)
        else:
            statement = insert(coupon_templates).values(**values)
        return _template((await self._conn.execute(statement.returning(*coupon_templates.c))).one())

    async def template(self, template_id: int) -> CouponTemplate | None:
        row = (await self._conn.execute(select(coupon_templates).where(coupon_templates.c.id == template_id))).first()
        return _template(row) if row else None

    async def claimable_templates(self, now: datetime) -> list[CouponTemplate]:
        query = select(coupon_templates).where(
            coupon_templates.c.claimable.is_(True), coupon_templates.c.active.is_(True),
            or_(coupon_templates.c.valid_from.is_(None), coupon_templates.c.valid_from <= now),
            or_(coupon_templates.c.valid_until.is_(None), coupon_templates.c.valid_until > now),
        )
        rows = await self._conn.execute(query.order_by(coupon_templates.c.id))
        return [_template(r) for r in rows]

    async def take_quantity(self, template_id: int, count: int) -> bool:
        result = await self._conn.execute(
            update(coupon_templates)
            .where(coupon_templates.c.id == template_id,
                   or_(coupon_templates.c.total_quantity.is_(None),
                       coupon_templates.c.issued_count + count <= coupon_templates.c.total_quantity))
            .values(issued_count=coupon_templates.c.issued_count + count)
        )
        return result.rowcount == 1

    async def issued_to(self, template_id: int, member_id: int) -> int:
        return int(await self._conn.scalar(
            select(func.count()).select_from(coupons)
            .where(coupons.c.template_id == template_id, coupons.c.member_id == member_id)
        ))

    async def add_coupon(self, template_id: int, member_id: int, code: str, source: IssueSource, issue_key: str,
                         now: datetime, valid_from: datetime, valid_until: datetime) -> Coupon | None:
        row = (await self._conn.execute(
            insert_ignoring_conflict(self._conn, coupons, ["issue_key"]).values(
                template_id=template_id, member_id=member_id, code=code, status=CouponStatus.AVAILABLE.value,
                source=source.value, issue_key=issue_key, issued_at=now, valid_from=valid_from,
                valid_until=valid_until,
            ).returning(*coupons.c)
        )).first()
        self.moved.add(member_id)
        return _coupon(row) if row else None

    async def coupon_by_code(self, code: str, for_update: bool = False) -> Coupon | None:
        query = select(coupons).where(coupons.c.code == code)
        row = (await self._conn.execute(query.with_for_update() if for_update else query)).first()
        return _coupon(row) if row else None

    async def coupon_by_order(self, order_ref: str) -> Coupon | None:
        row = (await self._conn.execute(select(coupons).where(coupons.c.order_ref == order_ref))).first()
        return _coupon(row) if row else None

    async def coupons_after(self, member_id: int, after_id: int, limit: int) -> list[Coupon]:
        rows = await self._conn.execute(
            select(coupons).where(coupons.c.member_id == member_id, coupons.c.id > after_id)
            .order_by(coupons.c.id).limit(limit)
        )
        return [_coupon(r) for r in rows]

    async def coupons_after_many(self, after: dict[int, int], limit: int) -> dict[int, list[Coupon]]:
        # One statement for every subscriber woken by the same campaign batch; each member's own cursor.
        found: dict[int, list[Coupon]] = {m: [] for m in after}
        if not after:
            return found
        rows = await self._conn.execute(
            select(coupons).where(or_(*(
                (coupons.c.member_id == member_id) & (coupons.c.id > after_id) for member_id, after_id in after.items()
            ))).order_by(coupons.c.id)
        )
        for r in rows:
            mine = found[r.member_id]
            if len(mine) < limit:
                mine.append(_coupon(r))
        return found

    async def last_coupon_id(self, member_id: int) -> int:
        found = await self._conn.scalar(select(func.max(coupons.c.id)).where(coupons.c.member_id == member_id))
        return int(found or 0)

    async def mark_redeemed(self, coupon_id: int, order_ref: str, discount_cents: int, now: datetime) -> bool:
        result = await self._conn.execute(
            update(coupons)
            .where(coupons.c.id == coupon_id, coupons.c.status == CouponStatus.AVAILABLE.value)
            .values(status=CouponStatus.REDEEMED.value, order_ref=order_ref, discount_cents=discount_cents,
                    redeemed_at=now)
            .returning(coupons.c.member_id)
        )
        row = result.first()
        if row is not None:
            self.moved.add(row.member_id)
        return row is not None

    @staticmethod
    def _by_status(query, status: CouponStatus | None, now: datetime):
        if status is CouponStatus.AVAILABLE:
            return query.where(coupons.c.status == status.value, coupons.c.valid_until > now)
        if status is CouponStatus.EXPIRED:
            return query.where(coupons.c.status == CouponStatus.AVAILABLE.value, coupons.c.valid_until <= now)
        if status is not None:
            return query.where(coupons.c.status == status.value)
        return query

    async def member_coupons(self, member_id: int, status: CouponStatus | None, now: datetime,
                             limit: int, before_id: int | None = None) -> list[Coupon]:
        """Newest first; keyset on id (`before_id`: the last id of the previous page)."""
        query = self._by_status(select(coupons).where(coupons.c.member_id == member_id), status, now)
        if before_id is not None:
            query = query.where(coupons.c.id < before_id)
        rows = await self._conn.execute(query.order_by(coupons.c.id.desc()).limit(limit))
        return [_coupon(r) for r in rows]

    async def count_coupons(self, member_id: int, status: CouponStatus | None, now: datetime) -> int:
        query = select(func.count()).select_from(coupons).where(coupons.c.member_id == member_id)
        return int(await self._conn.scalar(self._by_status(query, status, now)) or 0)

    async def coupons_by_ids(self, coupon_ids: list[int]) -> dict[int, Coupon]:
        if not coupon_ids:
            return {}
        return {r.id: _coupon(r) for r in await self._conn.execute(select(coupons).where(coupons.c.id.in_(coupon_ids)))}

    async def templates(self, template_ids: list[int]) -> dict[int, CouponTemplate]:
        if not template_ids:
            return {}
        rows = await self._conn.execute(select(coupon_templates).where(coupon_templates.c.id.in_(template_ids)))
        return {r.id: _template(r) for r in rows}

    async def claimed_counts(self, member_id: int, template_ids: list[int]) -> dict[int, int]:
        if not template_ids:
            return {}
        rows = await self._conn.execute(
            select(coupons.c.template_id, func.count()).where(coupons.c.member_id == member_id,
                                                              coupons.c.template_id.in_(template_ids))
            .group_by(coupons.c.template_id))
        return {int(t): int(n) for t, n in rows}

    async def count_available(self, member_id: int, now: datetime) -> int:
        return await self._conn.scalar(_AVAILABLE_COUNT, {"member_id": member_id, "now": now}) or 0

    async def count_available_many(self, member_ids: list[int], now: datetime) -> dict[int, int]:
        if not member_ids:
            return {}
        rows = await self._conn.execute(
            select(coupons.c.member_id, func.count()).where(
                coupons.c.member_id.in_(member_ids), coupons.c.status == CouponStatus.AVAILABLE.value,
                coupons.c.valid_until > now).group_by(coupons.c.member_id))
        return {int(m): int(n) for m, n in rows}
