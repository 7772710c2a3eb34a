"""Ledger moves inside an open unit of work: every credit makes a lot, every debit consumes lots.

The caller holds the member's account lock (lock_account) for the whole transaction, so
balance, lots and entries move together and concurrent spends queue instead of overdrawing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.errors import InsufficientPoints
from domain.events import PointsChanged
from domain.points.lots import Take
from domain.points.model import Entry
from domain.points.ports import NewEntry
from domain.ports import UnitOfWork


@dataclass(frozen=True)
class Debit:
    entry: Entry | None
    takes: list[Take]
    shortfall: int


async def credit(uow: UnitOfWork, new: NewEntry, now: datetime, available_at: datetime,
                 expires_at: datetime) -> Entry:
    if new.amount <= 0:
        raise ValueError("a credit is positive")
    entry, version = await uow.points.credit_lots(new, now, [(new.amount, available_at, expires_at)])
    uow.publish_after_commit(PointsChanged(new.member_id, version, entry.id))
    return entry


async def credit_lots(uow: UnitOfWork, new: NewEntry, now: datetime, lots: list[tuple[int, datetime]]) -> Entry:
    """A credit split into lots that keep the expiry of the points they came from (gifts)."""
    entry, version = await uow.points.credit_lots(new, now, [(amount, now, expires_at) for amount, expires_at in lots])
    uow.publish_after_commit(PointsChanged(new.member_id, version, entry.id))
    return entry


async def debit(uow: UnitOfWork, new: NewEntry, now: datetime, *, first_lot_ids: tuple[int, ...] = (),
                allow_shortfall: bool = False) -> Debit:
    """Consume `-new.amount` points: the named lots first (a refund takes back its own purchase's
    points, pending or not), then spendable lots oldest first. Without allow_shortfall a debit
    that cannot be covered raises InsufficientPoints and writes nothing.

    Set-based: the store chooses and updates the lots and records the moves in a fixed number of
    statements (one on PostgreSQL), however many lots the debit consumes."""
    wanted = -new.amount
    if wanted <= 0:
        raise ValueError("a debit is negative")
    entry, taken_lots, taken, version = await uow.points.debit_lots(new, now, first_lot_ids, allow_shortfall)
    left = wanted - taken
    if left and not allow_shortfall:
        raise InsufficientPoints(f"Not enough points: {taken} available, {wanted} needed.",
                                 available=taken, needed=wanted)
    if entry is None:
        return Debit(None, [], left)
    uow.publish_after_commit(PointsChanged(new.member_id, version, entry.id))
    return Debit(entry, [Take(lot_id, amount, expires_at) for lot_id, amount, expires_at in taken_lots], left)


async def require_spendable(uow: UnitOfWork, member_id: int, amount: int, now: datetime) -> None:
    """What debit would refuse, checked without writing (for answers that must not depend on
    anything but the member's own points)."""
    # One aggregate in the database: a member with years of purchases has thousands of open lots.
    available = (await uow.points.lot_totals(member_id, now, now))[0]
    left = max(0, amount - available)
    if left:
        raise InsufficientPoints(f"Not enough points: {amount - left} available, {amount} needed.",
                                 available=amount - left, needed=amount)


async def restore(uow: UnitOfWork, debit_entry_id: int, new: NewEntry, now: datetime) -> Entry:
    """Undo a debit: the points go back into the very lots they came from (keeping their expiry)."""
    moves = await uow.points.moves_for_entry(debit_entry_id)
    taken = -sum(amount for _lot, amount in moves)
    if taken != new.amount:
        raise ValueError(f"restoring {new.amount} points but the debit took {taken}")
    entry = await uow.points.add_entry(new, now)
    for lot_id, amount in moves:
        lot = await uow.points.lot(lot_id)
        if lot is not None and lot.member_id != new.member_id:
            # The debit was made under another member id that has since been merged into this one:
            # its lots stay with the merged-away account, so the points come back as a lot of this
            # member's, with the same expiry.
            await uow.points.add_lot(new.member_id, entry.id, -amount, now, now, lot.expires_at)
            continue
        await uow.points.return_to_lot(entry.id, lot_id, -amount)
    version = await uow.points.bump_account(new.member_id, new.amount, now)
    uow.publish_after_commit(PointsChanged(new.member_id, version, entry.id))
    return entry
