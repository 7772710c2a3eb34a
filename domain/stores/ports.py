"""What the per-store report needs from storage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class StoreFigures:
    orders: int
    members: int  # distinct members who ordered
    sales_cents: int
    refunded_cents: int  # refunds made during the period (on any order of the store)
    points_awarded: int  # points earned on the period's orders
    coupons_redeemed: int
    coupon_discount_cents: int
    vouchers_used: int


class StoreReportRepository(Protocol):
    async def figures(self, store_id: str, start: datetime, end: datetime) -> StoreFigures:
        """What happened at the store in [start, end)."""
        ...
