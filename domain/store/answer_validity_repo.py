"""When cached answers stop being true by the clock alone: the next coupon or reward validity
boundary, and the oldest purchase or ledger entry in the member's tier window (it leaves the window
at a known moment). One statement for whichever of them an answer depends on."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.offers.model import CouponStatus
from domain.store.tables import coupons, points_entries, purchases, rewards


class SqlAnswerValidityRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def next_moments(self, member_id: int, now: datetime, *, coupon_validity: bool,
                           tier_window_since: datetime | None, catalog_validity: bool) -> dict[str, datetime | None]:
        """Coupons: the next moment one of the member's usable coupons starts or ends. Tier window:
        the earliest purchase and ledger entry after `tier_window_since` (the caller turns them into
        the moment they leave the window). Catalog: the next start or end of an active reward."""
        parts: dict[str, Select] = {}
        c, r = coupons.c, rewards.c
        if coupon_validity:
            usable = (c.member_id == member_id, c.status == CouponStatus.AVAILABLE.value)
            parts["coupon_end"] = select(func.min(c.valid_until)).where(*usable, c.valid_until > now)
            parts["coupon_start"] = select(func.min(c.valid_from)).where(*usable, c.valid_from > now)
        if tier_window_since is not None:
            parts["oldest_purchase"] = select(func.min(purchases.c.purchased_at)).where(
                purchases.c.member_id == member_id, purchases.c.purchased_at > tier_window_since)
            parts["oldest_entry"] = select(func.min(points_entries.c.created_at)).where(
                points_entries.c.member_id == member_id, points_entries.c.created_at > tier_window_since)
        if catalog_validity:
            parts["reward_start"] = select(func.min(r.valid_from)).where(r.active.is_(True), r.valid_from > now)
            parts["reward_end"] = select(func.min(r.valid_until)).where(r.active.is_(True), r.valid_until > now)
        if not parts:
            return {}
        row = (await self._conn.execute(select(*[p.scalar_subquery().label(k) for k, p in parts.items()]))).one()
        return dict(row._mapping)
