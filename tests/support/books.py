"""The ledger invariant, checked straight against the tables."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.store.tables import points_accounts, points_entries, points_lot_moves, points_lots


async def assert_books_balance(engine: AsyncEngine) -> dict[int, int]:
    """For every member: stored balance == ledger sum == open lots; no lot is negative;
    every lot's consumption is recorded as moves. Returns the balances."""
    async with engine.connect() as conn:
        ledger = dict((await conn.execute(
            select(points_entries.c.member_id, func.sum(points_entries.c.amount)).group_by(points_entries.c.member_id)
        )).all())
        stored = dict((await conn.execute(select(points_accounts.c.member_id, points_accounts.c.balance))).all())
        lots = dict((await conn.execute(
            select(points_lots.c.member_id, func.sum(points_lots.c.remaining)).group_by(points_lots.c.member_id)
        )).all())
        negative = await conn.scalar(select(func.count()).select_from(points_lots).where(points_lots.c.remaining < 0))
        consumed = dict((await conn.execute(
            select(points_lots.c.id, points_lots.c.original - points_lots.c.remaining)
        )).all())
        moved = dict((await conn.execute(
            select(points_lot_moves.c.lot_id, -func.sum(points_lot_moves.c.amount)).group_by(points_lot_moves.c.lot_id)
        )).all())
    members = set(ledger) | set(stored) | set(lots)
    for member_id in members:
        assert int(stored.get(member_id, 0)) == int(ledger.get(member_id, 0)) == int(lots.get(member_id, 0)), (
            member_id, stored.get(member_id), ledger.get(member_id), lots.get(member_id))
    assert negative == 0
    assert {k: int(v) for k, v in consumed.items() if v} == {k: int(v) for k, v in moved.items() if v}
    return {m: int(stored.get(m, 0)) for m in members}


async def assert_holds_balance(engine: AsyncEngine) -> dict[int, int]:
    """Points-payment holds: every lot's `held` is the sum of what open (HELD) holds reserve on it,
    never more than what is left in the lot. Returns held points per member."""
    from domain.store.tables import points_hold_lots, points_holds

    async with engine.connect() as conn:
        on_lots = dict((await conn.execute(
            select(points_lots.c.id, points_lots.c.held).where(points_lots.c.held != 0))).all())
        reserved = dict((await conn.execute(
            select(points_hold_lots.c.lot_id, func.sum(points_hold_lots.c.amount))
            .join(points_holds, points_holds.c.id == points_hold_lots.c.hold_id)
            .where(points_holds.c.status == "HELD").group_by(points_hold_lots.c.lot_id))).all())
        over = await conn.scalar(select(func.count()).select_from(points_lots).where(
            (points_lots.c.held < 0) | (points_lots.c.held > points_lots.c.remaining)))
        per_member = dict((await conn.execute(
            select(points_lots.c.member_id, func.sum(points_lots.c.held)).group_by(points_lots.c.member_id))).all())
    assert {k: int(v) for k, v in on_lots.items()} == {k: int(v) for k, v in reserved.items() if v}
    assert over == 0
    return {m: int(v) for m, v in per_member.items() if v}
