"""Ledger moves inside an open unit of work: every credit makes a lot, every debit consumes lots.

The caller holds the member's account lock (lock_account) for the whole transaction, so
balance, lots and entries move together and concurrent spends queue instead of overdrawing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from domain.errors import InsufficientPoints
from domain.events import PointsChanged
from domain.points.lots import Take, oldest_first, plan_consumption
from domain.points.model import Entry, Lot
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
    entry = await uow.points.add_entry(new, now)
    await uow.points.add_lot(new.member_id, entry.id, new.amount, now, available_at, expires_at)
    version = await uow.points.bump_account(new.member_id, new.amount, now)
    uow.publish_after_commit(PointsChanged(new.member_id, version, entry.id))
    return entry


async def credit_lots(uow: UnitOfWork, new: NewEntry, now: datetime, lots: list[tuple[int, datetime]]) -> Entry:
    """A credit split into lots that keep the expiry of the points they came from (gifts)."""
    entry = await uow.points.add_entry(new, now)
    for amount, expires_at in lots:
        await uow.points.add_lot(new.member_id, entry.id, amount, now, now, expires_at)
    version = await uow.points.bump_account(new.member_id, new.amount, now)
    uow.publish_after_commit(PointsChanged(new.member_id, version, entry.id))
    return entry


async def debit(uow: UnitOfWork, new: NewEntry, now: datetime, *, first_lot_ids: tuple[int, ...] = (),
                allow_shortfall: bool = False) -> Debit:
    """Consume `-new.amount` points: the named lots first (a refund takes back its own purchase's
    points, pending or not), then spendable lots oldest first. Without allow_shortfall a debit
    that cannot be covered raises InsufficientPoints and writes nothing."""
    wanted = -new.amount
    if wanted <= 0:
        raise ValueError("a debit is negative")
    lots = await uow.points.open_lots(new.member_id)
    takes, left = _plan(lots, wanted, now, first_lot_ids)
    if left and not allow_shortfall:
        raise InsufficientPoints(f"Not enough points: {wanted - left} available, {wanted} needed.",
                                 available=wanted - left, needed=wanted)
    taken = wanted - left
    if taken == 0:
        return Debit(None, [], left)
    details = dict(new.details or {})
    if left:
        details["shortfall"] = left
    entry = await uow.points.add_entry(replace(new, amount=-taken, details=details), now)
    for take in takes:
        await uow.points.take_from_lot(entry.id, take.lot_id, take.amount)
    version = await uow.points.bump_account(new.member_id, -taken, now)
    uow.publish_after_commit(PointsChanged(new.member_id, version, entry.id))
    return Debit(entry, takes, left)


async def require_spendable(uow: UnitOfWork, member_id: int, amount: int, now: datetime) -> None:
    """What debit would refuse, checked without writing (for answers that must not depend on
    anything but the member's own points)."""
    _takes, left = _plan(await uow.points.open_lots(member_id), amount, now, ())
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
        await uow.points.return_to_lot(entry.id, lot_id, -amount)
    version = await uow.points.bump_account(new.member_id, new.amount, now)
    uow.publish_after_commit(PointsChanged(new.member_id, version, entry.id))
    return entry


def _plan(lots: list[Lot], wanted: int, now: datetime, first_lot_ids: tuple[int, ...]) -> tuple[list[Take], int]:
    takes: list[Take] = []
    left = wanted
    for lot in oldest_first(lot for lot in lots if lot.id in first_lot_ids and lot.remaining > 0):
        take = min(lot.remaining, left)
        if take:
            takes.append(Take(lot.id, take))
            left -= take
    rest, left = plan_consumption((lot for lot in lots if lot.id not in first_lot_ids), left, now)
    return takes + rest, left
