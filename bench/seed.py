"""Bulk-load one member's ledger history with SQLAlchemy Core.

Calling the earning use case 100,000 times would take longer than everything it is meant to
measure, so rows are written directly. They look like what the use cases leave behind: four
purchases earn 10 points each, then a redemption spends 30 from the oldest lots first, with
lot moves recording which lots paid. The account row is written last, and `verify` checks the
ledger invariant (balance == sum of entries == sum of lots' remaining) before anything is timed.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from api.progress import ProgressBar
from domain.store.tables import points_accounts, points_entries, points_lot_moves, points_lots

BATCH = 5_000
EARN_POINTS = 10
REDEEM_POINTS = 30
REDEEM_EVERY = 5  # every fifth entry is a redemption: the balance grows, most lots end up spent
STEP = timedelta(minutes=1)  # distinct timestamps, newest an hour ago, so nothing is pending


@dataclass
class Plan:
    entries: list[dict] = field(default_factory=list)
    lot_remaining: dict[int, int] = field(default_factory=dict)  # earn entry index -> points left
    moves: list[tuple[int, int, int]] = field(default_factory=list)  # (redeem index, earn index, points)

    @property
    def rows(self) -> int:
        return len(self.entries) + len(self.lot_remaining) + len(self.moves)


def plan_history(member_id: int, count: int, now: datetime) -> Plan:
    """Oldest first; redemptions consume the oldest open lots, as domain.points.ledger.debit does."""
    plan, open_lots = Plan(), deque[int]()
    start = now - timedelta(hours=1) - STEP * count
    for i in range(count):
        redeem = i % REDEEM_EVERY == REDEEM_EVERY - 1
        entry = dict(member_id=member_id, kind="REDEEM" if redeem else "EARN",
                     amount=-REDEEM_POINTS if redeem else EARN_POINTS,
                     reason="Reward redemption" if redeem else f"Purchase seed-{i}",
                     source_type="redemption" if redeem else "purchase",
                     source_ref=f"bench/{member_id}/{i}", idempotency_key=f"bench/{member_id}/{i}",
                     actor_role="member" if redeem else "staff", actor_id=member_id if redeem else 1,
                     details={}, created_at=start + STEP * i)
        plan.entries.append(entry)
        if not redeem:
            plan.lot_remaining[i] = EARN_POINTS
            open_lots.append(i)
            continue
        wanted = REDEEM_POINTS
        while wanted:
            oldest = open_lots[0]
            take = min(wanted, plan.lot_remaining[oldest])
            plan.lot_remaining[oldest] -= take
            plan.moves.append((i, oldest, take))
            wanted -= take
            if plan.lot_remaining[oldest] == 0:
                open_lots.popleft()
    return plan


def _chunks(rows: list[dict]) -> list[list[dict]]:
    # Chunks only so the progress bar moves; SQLAlchemy splits each into multi-row INSERTs itself.
    return [rows[i:i + BATCH] for i in range(0, len(rows), BATCH)]


async def _insert_returning_ids(conn: AsyncConnection, table, rows: list[dict], bar: ProgressBar) -> list[int]:
    ids: list[int] = []
    # sort_by_parameter_order: ids come back in the order of `rows`, so they can be matched up.
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    for chunk in _chunks(rows):
        ids.extend((await conn.execute(statement, chunk)).scalars())
        bar.advance(len(chunk))
    return ids


@dataclass(frozen=True)
class Seeded:
    balance: int
    open_lots: int


async def load_history(engine: AsyncEngine, member_id: int, count: int, now: datetime) -> Seeded:
    """Writes `count` entries for a member that has no ledger yet."""
    plan = plan_history(member_id, count, now)
    bar = ProgressBar(plan.rows, f"loading {count:,} entries (entries, lots, moves)")
    async with engine.begin() as conn:
        entry_ids = await _insert_returning_ids(conn, points_entries, plan.entries, bar)
        earn_indexes = list(plan.lot_remaining)
        lot_ids = await _insert_returning_ids(conn, points_lots, [
            dict(member_id=member_id, entry_id=entry_ids[i], original=EARN_POINTS, remaining=plan.lot_remaining[i],
                 earned_at=plan.entries[i]["created_at"], available_at=plan.entries[i]["created_at"],
                 expires_at=now + timedelta(days=730))
            for i in earn_indexes
        ], bar)
        lot_of = dict(zip(earn_indexes, lot_ids, strict=True))
        moves = [dict(entry_id=entry_ids[r], lot_id=lot_of[e], amount=-points) for r, e, points in plan.moves]
        for chunk in _chunks(moves):
            await conn.execute(insert(points_lot_moves), chunk)
            bar.advance(len(chunk))
        balance = sum(e["amount"] for e in plan.entries)
        await conn.execute(insert(points_accounts).values(
            member_id=member_id, balance=balance, version=count, updated_at=plan.entries[-1]["created_at"]))
    return Seeded(balance, sum(1 for left in plan.lot_remaining.values() if left))


async def verify(engine: AsyncEngine, member_id: int, count: int, balance: int) -> None:
    """Fails loudly rather than timing a ledger the application could never have produced."""
    async with engine.connect() as conn:
        entries = (await conn.execute(
            select(func.count(), func.sum(points_entries.c.amount)).where(points_entries.c.member_id == member_id)
        )).one()
        remaining = await conn.scalar(select(func.sum(points_lots.c.remaining))
                                      .where(points_lots.c.member_id == member_id))
        account = await conn.scalar(select(points_accounts.c.balance).where(points_accounts.c.member_id == member_id))
    found = (entries[0], entries[1], remaining, account)
    if found != (count, balance, balance, balance):
        raise RuntimeError(f"seeded ledger is inconsistent: (count, entries, lots, account) = {found}")


async def analyze(engine: AsyncEngine) -> None:
    """Refresh planner statistics as autovacuum would soon after a bulk load; without them the
    planner guesses from an empty table and the first queries measure a bad plan."""
    async with engine.begin() as conn:
        for table in (points_entries, points_lots, points_lot_moves, points_accounts):
            await conn.exec_driver_sql(f"ANALYZE {table.name}")
