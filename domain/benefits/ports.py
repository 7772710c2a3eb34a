"""Storage the catalog use cases need."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from domain.benefits.model import Redemption, RedemptionStatus, Reward


class RewardSort(StrEnum):
    PRICE_ASC = "PRICE_ASC"
    PRICE_DESC = "PRICE_DESC"
    NEWEST = "NEWEST"


@dataclass(frozen=True)
class RewardFilter:
    category: str | None = None
    max_price: int | None = None
    max_tier_rank: int | None = None
    on_offer_at: datetime | None = None


class RewardRepository(Protocol):
    async def save(self, reward: Reward, now: datetime) -> Reward: ...
    async def get(self, reward_id: int) -> Reward | None: ...
    async def get_many(self, reward_ids: list[int]) -> dict[int, Reward]: ...
    async def take_stock(self, reward_id: int, quantity: int) -> bool:
        """Atomically take stock when enough is left (always true for unlimited stock)."""
        ...

    async def return_stock(self, reward_id: int, quantity: int) -> None: ...
    async def browse(self, flt: RewardFilter, sort: RewardSort, after: tuple[int, int] | None,
                     limit: int) -> list[Reward]: ...
    async def count_member_redemptions(self, member_id: int, stores: Collection[str] | None = None) -> int: ...
    async def redeemed_quantities(self, member_id: int, reward_ids: list[int],
                                  since: datetime) -> list[tuple[int, datetime, int]]: ...
    async def redeemed_since(self, member_id: int, reward_id: int, since: datetime) -> int: ...
    async def add_redemption(self, member_id: int, reward_id: int, quantity: int, points: int, code: str,
                             entry_id: int, now: datetime, expires_at: datetime, cash_cents: int = 0,
                             payment_reference: str | None = None) -> Redemption: ...
    async def redemption_by_payment(self, payment_reference: str) -> Redemption | None: ...
    async def redemption(self, redemption_id: int, for_update: bool = False) -> Redemption | None: ...
    async def redemptions_by_ids(self, redemption_ids: list[int]) -> dict[int, Redemption]: ...
    async def redemption_by_code(self, code: str, for_update: bool = False) -> Redemption | None: ...
    async def set_status(self, redemption_id: int, expected: RedemptionStatus, new: RedemptionStatus,
                         now: datetime, store_id: str | None = None) -> bool: ...
    async def member_redemptions(self, member_id: int, before: int | None, limit: int,
                                 stores: Collection[str] | None = None) -> list[Redemption]:
        """Newest first; `stores`: only those used at these stores (None: all)."""
        ...
