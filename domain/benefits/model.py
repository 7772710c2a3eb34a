"""The benefit catalog: points-priced rewards and the redemptions (vouchers) they produce."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class RewardKind(StrEnum):
    GOODS = "GOODS"
    COUPON = "COUPON"
    EXPERIENCE = "EXPERIENCE"
    DONATION = "DONATION"


class LimitPeriod(StrEnum):
    DAY = "DAY"
    MONTH = "MONTH"
    YEAR = "YEAR"
    EVER = "EVER"


class RedemptionStatus(StrEnum):
    ISSUED = "ISSUED"
    USED = "USED"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"


class Ineligibility(StrEnum):
    """Why a member cannot redeem a reward now (checked in this order)."""

    NOT_ON_OFFER = "NOT_ON_OFFER"
    TIER_TOO_LOW = "TIER_TOO_LOW"
    LIMIT_REACHED = "LIMIT_REACHED"
    OUT_OF_STOCK = "OUT_OF_STOCK"
    NOT_ENOUGH_POINTS = "NOT_ENOUGH_POINTS"


@dataclass(frozen=True)
class Eligibility:
    reason: Ineligibility | None  # None: the member can redeem one now
    remaining: int | None  # redemptions left in the current limit period; None: no per-member limit

    @property
    def eligible(self) -> bool:
        return self.reason is None


@dataclass(frozen=True)
class Reward:
    id: int
    name: str
    category: str
    kind: RewardKind
    points_price: int
    stock: int | None = None  # None: unlimited
    per_member_limit: int | None = None
    limit_period: LimitPeriod = LimitPeriod.EVER
    min_tier_rank: int = 0
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    voucher_valid_days: int = 30
    description: str = ""
    image_urls: list[str] = field(default_factory=list)
    active: bool = True
    created_at: datetime | None = None
    cash_price_cents: int = 0  # a points + cash reward: the cash part of one unit, settled outside

    def on_offer(self, now: datetime) -> bool:
        return self.active and (self.valid_from is None or self.valid_from <= now) and (
            self.valid_until is None or now < self.valid_until)


@dataclass(frozen=True)
class Redemption:
    id: int
    member_id: int
    reward_id: int
    quantity: int
    points_spent: int
    voucher_code: str
    status: RedemptionStatus
    entry_id: int
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    cancelled_at: datetime | None = None
    cash_paid_cents: int = 0
    payment_reference: str | None = None  # the external payment of the cash part
    used_store_id: str | None = None  # where staff accepted it

    def status_at(self, now: datetime) -> RedemptionStatus:
        if self.status is RedemptionStatus.ISSUED and self.expires_at <= now:
            return RedemptionStatus.EXPIRED
        return self.status
