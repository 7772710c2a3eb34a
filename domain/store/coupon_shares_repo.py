"""Coupons given to friends (coupon_shares) and the giver's coupon retired while it is given."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Row, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.offers.model import CouponShare, CouponStatus, ShareStatus
from domain.privacy.model import Erasure
from domain.store.dialect import insert_ignoring_conflict
from domain.store.tables import coupon_shares, coupons


def _share(row: Row) -> CouponShare:
    return CouponShare(row.id, row.coupon_id, row.from_member_id, ShareStatus(row.status), row.created_at,
                       row.expires_at, row.to_member_id, row.to_phone, row.received_coupon_id, row.settled_at)


class SqlCouponShareRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn
        # Members whose coupons this transaction wrote: their cached responses are outdated after the commit.
        self.moved: set[int] = set()

    async def retire_coupon(self, coupon_id: int, member_id: int, now: datetime) -> bool:
        result = await self._conn.execute(
            update(coupons)
            .where(coupons.c.id == coupon_id, coupons.c.member_id == member_id,
                   coupons.c.status == CouponStatus.AVAILABLE.value, coupons.c.valid_until > now)
            .values(status=CouponStatus.SHARED.value))
        self.moved.add(member_id)
        return result.rowcount == 1

    async def restore_coupon(self, coupon_id: int) -> None:
        rows = await self._conn.execute(
            update(coupons).where(coupons.c.id == coupon_id, coupons.c.status == CouponStatus.SHARED.value)
            .values(status=CouponStatus.AVAILABLE.value).returning(coupons.c.member_id))
        self.moved.update(r.member_id for r in rows)

    async def add_share(self, share: CouponShare, token_hash: str | None) -> CouponShare | None:
        row = (await self._conn.execute(
            insert_ignoring_conflict(self._conn, coupon_shares, ["coupon_id"]).values(
                coupon_id=share.coupon_id, from_member_id=share.from_member_id, to_member_id=share.to_member_id,
                to_phone=share.to_phone, token_hash=token_hash, status=share.status.value,
                created_at=share.created_at, expires_at=share.expires_at, settled_at=share.settled_at,
            ).returning(*coupon_shares.c))).first()
        return _share(row) if row else None

    async def share(self, share_id: int) -> CouponShare | None:
        row = (await self._conn.execute(select(coupon_shares).where(coupon_shares.c.id == share_id))).first()
        return _share(row) if row else None

    async def share_by_token(self, token_hash: str) -> CouponShare | None:
        row = (await self._conn.execute(
            select(coupon_shares).where(coupon_shares.c.token_hash == token_hash))).first()
        return _share(row) if row else None

    async def settle(self, share_id: int, status: ShareStatus, to_member_id: int | None, now: datetime) -> bool:
        values: dict[str, object] = {"status": status.value, "settled_at": now}
        if to_member_id is not None:
            values["to_member_id"] = to_member_id
        result = await self._conn.execute(
            update(coupon_shares)
            .where(coupon_shares.c.id == share_id, coupon_shares.c.status == ShareStatus.PENDING.value)
            .values(**values))
        return result.rowcount == 1

    async def link_received(self, share_id: int, coupon_id: int) -> None:
        await self._conn.execute(
            update(coupon_shares).where(coupon_shares.c.id == share_id).values(received_coupon_id=coupon_id))

    async def erase_member(self, erasure: Erasure) -> None:
        # The phone is the only personal datum here; the share itself (who gave what) stays for the books.
        await self._conn.execute(
            update(coupon_shares)
            .where(or_(coupon_shares.c.to_member_id == erasure.member_id,
                       coupon_shares.c.to_phone.in_(erasure.identifiers)))
            .values(to_phone=None))
