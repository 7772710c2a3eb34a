"""A points payment on one order: a hold on lots that ends captured, released or expired."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class HoldStatus(StrEnum):
    HELD = "HELD"
    CAPTURED = "CAPTURED"
    RELEASED = "RELEASED"
    EXPIRED = "EXPIRED"


class QuoteLimit(StrEnum):
    """What stops points from paying an order at all (a quote of 0 points says why)."""

    PAYMENT_OFF = "PAYMENT_OFF"
    BELOW_MINIMUM_ORDER = "BELOW_MINIMUM_ORDER"
    NO_ELIGIBLE_ITEMS = "NO_ELIGIBLE_ITEMS"
    NOT_ENOUGH_POINTS = "NOT_ENOUGH_POINTS"


@dataclass(frozen=True)
class Hold:
    id: int
    member_id: int
    source: str
    order_id: str
    store_id: str
    points: int
    covers_cents: int
    order_cents: int
    status: HoldStatus
    entry_id: int | None
    points_refunded: int
    expires_at: datetime
    created_at: datetime
    updated_at: datetime

    def status_at(self, now: datetime) -> HoldStatus:
        """A hold past its time is expired even before release_expired_holds writes it so."""
        if self.status is HoldStatus.HELD and self.expires_at <= now:
            return HoldStatus.EXPIRED
        return self.status


@dataclass(frozen=True)
class Quote:
    order_cents: int
    eligible_cents: int  # the order less excluded categories
    limit_cents: int  # the most points may pay by the program's rules (share cap, eligible lines)
    usable_points: int  # spendable (not held) points less the minimum balance to keep
    max_points: int
    covers_cents: int
    points_per_yuan: int
    step_cents: int  # points pay whole multiples of this many cents (so no fraction of a point is charged)
    blocked_by: QuoteLimit | None
