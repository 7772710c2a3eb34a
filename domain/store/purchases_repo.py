"""Purchases and refunds, and the qualifying spend they add up to."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import Row, func, insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.points.model import SalesChannel
from domain.points.ports import Purchase, Refund
from domain.points.rules import LineItem
from domain.store.spend_query import QUALIFYING_SPEND
from domain.store.tables import purchases, refunds


def _purchase(row: Row) -> Purchase:
    return Purchase(
        row.id, row.member_id, row.source, row.order_id, row.store_id, row.amount_cents, row.refunded_cents,
        row.points_awarded, row.points_reversed, row.shortfall_points, row.entry_id, row.purchased_at,
        [LineItem(i["category"], i["amount_cents"], i.get("sku"), i.get("quantity", 1)) for i in row.items],
        # Orders recorded before channels existed all came through the POS mutation.
        SalesChannel(row.channel or SalesChannel.POS.value),
    )


def _refund(row: Row) -> Refund:
    return Refund(row.id, row.purchase_id, row.refund_id, row.amount_cents, row.points_reversed,
                  row.shortfall_points, row.entry_id, row.created_at)


class SqlPurchaseRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn
        # Members whose purchases (the tier window) this transaction wrote: their cached responses
        # are outdated after the commit.
        self.moved: set[int] = set()

    async def member_purchases(self, member_id: int, limit: int, before: tuple[datetime, int] | None = None,
                               stores: Collection[str] | None = None) -> list[Purchase]:
        """Newest first; keyset on (purchased_at, id) (index ix_purchases_member_purchased).
        `stores`: only purchases at these stores (None: all)."""
        query = select(purchases).where(purchases.c.member_id == member_id)
        if stores is not None:
            query = query.where(purchases.c.store_id.in_(list(stores)))
        if before is not None:
            query = query.where(tuple_(purchases.c.purchased_at, purchases.c.id) < tuple_(*before))
        rows = await self._conn.execute(
            query.order_by(purchases.c.purchased_at.desc(), purchases.c.id.desc()).limit(limit))
        return [_purchase(r) for r in rows]

    async def count_member_purchases(self, member_id: int, stores: Collection[str] | None = None) -> int:
        query = select(func.count()).select_from(purchases).where(purchases.c.member_id == member_id)
        if stores is not None:
            query = query.where(purchases.c.store_id.in_(list(stores)))
        return int(await self._conn.scalar(query) or 0)

    async def get(self, source: str, order_id: str) -> Purchase | None:
        row = (await self._conn.execute(
            select(purchases).where(purchases.c.source == source, purchases.c.order_id == order_id)
        )).first()
        return _purchase(row) if row else None

    async def add(self, member_id: int, source: str, order_id: str, store_id: str, amount_cents: int,
                  items: list[LineItem], purchased_at: datetime, now: datetime, *, points: int = 0,
                  entry_id: int | None = None, channel: SalesChannel = SalesChannel.POS) -> Purchase:
        row = (await self._conn.execute(
            insert(purchases).values(
                member_id=member_id, source=source, order_id=order_id, store_id=store_id,
                amount_cents=amount_cents, items=[i.__dict__ for i in items], purchased_at=purchased_at,
                created_at=now, points_awarded=points, entry_id=entry_id, channel=channel.value,
                item_quantity=sum(i.quantity for i in items),
            ).returning(*purchases.c)
        )).one()
        self.moved.add(member_id)
        return _purchase(row)

    async def set_points(self, purchase_id: int, points: int, entry_id: int) -> None:
        rows = await self._conn.execute(
            update(purchases).where(purchases.c.id == purchase_id).values(points_awarded=points, entry_id=entry_id)
            .returning(purchases.c.member_id)
        )
        self.moved.update(r.member_id for r in rows)

    async def add_refund(self, purchase: Purchase, refund_id: str, amount_cents: int, points_reversed: int,
                         shortfall: int, entry_id: int | None, now: datetime) -> Refund:
        self.moved.add(purchase.member_id)
        await self._conn.execute(
            update(purchases).where(purchases.c.id == purchase.id).values(
                refunded_cents=purchases.c.refunded_cents + amount_cents,
                points_reversed=purchases.c.points_reversed + points_reversed,
                shortfall_points=purchases.c.shortfall_points + shortfall,
            )
        )
        row = (await self._conn.execute(
            insert(refunds).values(
                purchase_id=purchase.id, refund_id=refund_id, amount_cents=amount_cents,
                points_reversed=points_reversed, shortfall_points=shortfall, entry_id=entry_id, created_at=now,
            ).returning(*refunds.c)
        )).one()
        return _refund(row)

    async def refund(self, purchase_id: int, refund_id: str) -> Refund | None:
        row = (await self._conn.execute(
            select(refunds).where(refunds.c.purchase_id == purchase_id, refunds.c.refund_id == refund_id)
        )).first()
        return _refund(row) if row else None

    async def spend_since(self, member_id: int, since: datetime) -> int:
        return int(await self._conn.scalar(QUALIFYING_SPEND, {"member_id": member_id, "since": since}))
