"""Points-payment holds and the lot points they reserve (points_lots.held)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Row, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.payments.model import Hold, HoldStatus
from domain.store.tables import points_entries, points_hold_lots, points_holds, points_lot_moves, points_lots


def _hold(row: Row) -> Hold:
    return Hold(row.id, row.member_id, row.source, row.order_id, row.store_id, row.points, row.covers_cents,
                row.order_cents, HoldStatus(row.status), row.entry_id, row.points_refunded, row.expires_at,
                row.created_at, row.updated_at)


class SqlHoldRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def get(self, source: str, order_id: str) -> Hold | None:
        row = (await self._conn.execute(select(points_holds).where(
            points_holds.c.source == source, points_holds.c.order_id == order_id))).first()
        return _hold(row) if row else None

    async def by_id(self, hold_id: int) -> Hold | None:
        row = (await self._conn.execute(select(points_holds).where(points_holds.c.id == hold_id))).first()
        return _hold(row) if row else None

    async def add(self, member_id: int, source: str, order_id: str, store_id: str, points: int, covers_cents: int,
                  order_cents: int, expires_at: datetime, now: datetime) -> Hold:
        row = (await self._conn.execute(insert(points_holds).values(
            member_id=member_id, source=source, order_id=order_id, store_id=store_id, points=points,
            covers_cents=covers_cents, order_cents=order_cents, status=HoldStatus.HELD.value, expires_at=expires_at,
            created_at=now, updated_at=now,
        ).returning(*points_holds.c))).one()
        return _hold(row)

    async def hold_lot(self, hold_id: int, lot_id: int, amount: int) -> None:
        lots = points_lots.c
        result = await self._conn.execute(update(points_lots).where(
            lots.id == lot_id, lots.remaining - lots.held >= amount).values(held=lots.held + amount))
        if result.rowcount != 1:
            raise RuntimeError(f"lot {lot_id} cannot hold {amount} points")
        await self._conn.execute(insert(points_hold_lots).values(hold_id=hold_id, lot_id=lot_id, amount=amount))

    async def unhold_lots(self, hold_id: int) -> list[tuple[int, int]]:
        rows = list(await self._conn.execute(
            select(points_hold_lots.c.lot_id, points_hold_lots.c.amount)
            .where(points_hold_lots.c.hold_id == hold_id).order_by(points_hold_lots.c.lot_id)))
        lots = points_lots.c
        for lot_id, amount in rows:
            result = await self._conn.execute(update(points_lots).where(lots.id == lot_id, lots.held >= amount)
                                              .values(held=lots.held - amount))
            if result.rowcount != 1:
                raise RuntimeError(f"lot {lot_id} does not hold {amount} points")
        return [(int(lot_id), int(amount)) for lot_id, amount in rows]

    async def set_status(self, hold_id: int, old: HoldStatus, new: HoldStatus, now: datetime,
                         entry_id: int | None = None) -> bool:
        values: dict[str, object] = {"status": new.value, "updated_at": now}
        if entry_id is not None:
            values["entry_id"] = entry_id
        result = await self._conn.execute(update(points_holds).where(
            points_holds.c.id == hold_id, points_holds.c.status == old.value).values(**values))
        return result.rowcount == 1

    async def add_refunded(self, hold_id: int, points: int, now: datetime) -> None:
        await self._conn.execute(update(points_holds).where(points_holds.c.id == hold_id).values(
            points_refunded=points_holds.c.points_refunded + points, updated_at=now))

    async def expired(self, now: datetime, limit: int) -> list[Hold]:
        rows = await self._conn.execute(select(points_holds).where(
            points_holds.c.status == HoldStatus.HELD.value, points_holds.c.expires_at <= now,
        ).order_by(points_holds.c.expires_at, points_holds.c.id).limit(limit))
        return [_hold(r) for r in rows]

    async def member_expired(self, member_id: int, now: datetime) -> list[Hold]:
        rows = await self._conn.execute(select(points_holds).where(
            points_holds.c.member_id == member_id, points_holds.c.status == HoldStatus.HELD.value,
            points_holds.c.expires_at <= now).order_by(points_holds.c.id))
        return [_hold(r) for r in rows]

    async def returned_by_lot(self, member_id: int, source_ref: str) -> dict[int, int]:
        """Points earlier refunds of this order's points payment gave back, per lot."""
        e, m = points_entries.c, points_lot_moves.c
        rows = await self._conn.execute(
            select(m.lot_id, func.sum(m.amount)).join(points_entries, e.id == m.entry_id)
            .where(e.member_id == member_id, e.source_type == "payment", e.source_ref == source_ref, e.amount > 0)
            .group_by(m.lot_id))
        return {int(lot_id): int(amount) for lot_id, amount in rows}
