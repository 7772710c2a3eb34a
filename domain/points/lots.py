"""Pure rules over lots: which to consume, in what order, and the calendar arithmetic of expiry."""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.points.model import Lot


@dataclass(frozen=True)
class Take:
    lot_id: int
    amount: int
    expires_at: datetime | None = None  # the lot's, when the store returned it with the take


def add_months(moment: datetime, months: int) -> datetime:
    """Same day-of-month `months` later, clamped to the month's last day (Jan 31 + 1 = Feb 28/29)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def oldest_first(lots: Iterable[Lot]) -> list[Lot]:
    return sorted(lots, key=lambda lot: (lot.earned_at, lot.id))


def plan_consumption(lots: Iterable[Lot], amount: int, now: datetime) -> tuple[list[Take], int]:
    """Take `amount` from spendable lots, oldest first. Returns the takes and what could not be covered."""
    if amount < 0:
        raise ValueError("amount must not be negative")
    takes: list[Take] = []
    left = amount
    for lot in oldest_first(lot for lot in lots if lot.is_spendable(now)):
        if left == 0:
            break
        take = min(lot.remaining, left)
        takes.append(Take(lot.id, take))
        left -= take
    return takes, left


def totals(lots: Iterable[Lot], now: datetime, soon_days: int) -> tuple[int, int, int, datetime | None]:
    """(available, pending, expiring within soon_days, next moment the split changes by itself)."""
    available = pending = expiring = 0
    horizon = now + timedelta(days=soon_days)
    next_change: datetime | None = None

    def note(moment: datetime) -> None:
        nonlocal next_change
        if moment > now and (next_change is None or moment < next_change):
            next_change = moment

    for lot in lots:
        if lot.remaining <= 0:
            continue
        if lot.is_pending(now):
            pending += lot.remaining
            note(lot.available_at)
        elif lot.expires_at > now:
            available += lot.remaining
            if lot.expires_at <= horizon:
                expiring += lot.remaining
            note(lot.expires_at)
            note(lot.expires_at - timedelta(days=soon_days))
    return available, pending, expiring, next_change
