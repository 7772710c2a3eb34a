"""Storage the points-payment use cases need."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from domain.payments.model import Hold, HoldStatus


class HoldRepository(Protocol):
    async def get(self, source: str, order_id: str) -> Hold | None: ...
    async def by_id(self, hold_id: int) -> Hold | None: ...
    async def add(self, member_id: int, source: str, order_id: str, store_id: str, points: int, covers_cents: int,
                  order_cents: int, expires_at: datetime, now: datetime) -> Hold: ...
    async def hold_lot(self, hold_id: int, lot_id: int, amount: int) -> None:
        """Reserve `amount` free points of the lot for the hold (refused if they are not free)."""
        ...

    async def unhold_lots(self, hold_id: int) -> list[tuple[int, int]]:
        """Free what the hold reserves; returns (lot id, points) as they were held."""
        ...

    async def set_status(self, hold_id: int, old: HoldStatus, new: HoldStatus, now: datetime,
                         entry_id: int | None = None) -> bool: ...
    async def add_refunded(self, hold_id: int, points: int, now: datetime) -> None: ...
    async def expired(self, now: datetime, limit: int) -> list[Hold]:
        """Holds still HELD past their time, oldest first."""
        ...

    async def member_expired(self, member_id: int, now: datetime) -> list[Hold]: ...

    async def returned_by_lot(self, member_id: int, source_ref: str) -> dict[int, int]:
        """Points refunds of an order's points payment gave back so far, per lot (credits with
        source `payment` and this source reference)."""
        ...
