"""The per-store report's figures, each one indexed-range aggregate over one table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.store.tables import coupons, purchases, redemptions, refunds
from domain.stores.ports import StoreFigures


class SqlStoreReportRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def figures(self, store_id: str, start: datetime, end: datetime) -> StoreFigures:
        orders = (await self._conn.execute(
            select(func.count(), func.count(purchases.c.member_id.distinct()),
                   func.coalesce(func.sum(purchases.c.amount_cents), 0),
                   func.coalesce(func.sum(purchases.c.points_awarded), 0))
            .where(purchases.c.store_id == store_id, purchases.c.purchased_at >= start,
                   purchases.c.purchased_at < end))).one()
        refunded = await self._conn.scalar(
            select(func.coalesce(func.sum(refunds.c.amount_cents), 0))
            .select_from(refunds.join(purchases, purchases.c.id == refunds.c.purchase_id))
            .where(purchases.c.store_id == store_id, refunds.c.created_at >= start, refunds.c.created_at < end))
        # Coupon redemptions are keyed "store:<id>/<order>" (domain/auth/sources.py).
        used_coupons = (await self._conn.execute(
            select(func.count(), func.coalesce(func.sum(coupons.c.discount_cents), 0))
            .where(coupons.c.order_ref.like(f"store:{_escaped(store_id)}/%", escape="\\"),
                   coupons.c.redeemed_at >= start, coupons.c.redeemed_at < end))).one()
        vouchers = await self._conn.scalar(
            select(func.count()).select_from(redemptions)
            .where(redemptions.c.used_store_id == store_id, redemptions.c.used_at >= start,
                   redemptions.c.used_at < end))
        return StoreFigures(orders=int(orders[0]), members=int(orders[1]), sales_cents=int(orders[2]),
                            refunded_cents=int(refunded or 0), points_awarded=int(orders[3]),
                            coupons_redeemed=int(used_coupons[0]), coupon_discount_cents=int(used_coupons[1]),
                            vouchers_used=int(vouchers or 0))


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
