"""Events use cases publish after their transaction commits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class MemberProfileChanged:
    member_id: int
    version: int

    @property
    def channel(self) -> str:
        return f"member:{self.member_id}:profile"


@dataclass(frozen=True)
class PointsChanged:
    member_id: int
    version: int
    entry_id: int

    @property
    def channel(self) -> str:
        return f"member:{self.member_id}:points"


@dataclass(frozen=True)
class TierChanged:
    member_id: int
    from_tier_id: int | None
    to_tier_id: int

    @property
    def channel(self) -> str:
        return f"member:{self.member_id}:tier"


@dataclass(frozen=True)
class RedemptionUpdated:
    member_id: int
    redemption_id: int
    status: str

    @property
    def channel(self) -> str:
        return f"member:{self.member_id}:redemptions"


@dataclass(frozen=True)
class OfferIssued:
    member_id: int
    coupon_id: int
    template_id: int
    source: str

    @property
    def channel(self) -> str:
        return f"member:{self.member_id}:offers"


@dataclass(frozen=True)
class ContentReported:
    target: str
    target_id: int
    reason: str

    @property
    def channel(self) -> str:
        return "staff:reports"


@dataclass(frozen=True)
class AccessEnded:
    """A subject's sessions ended: one family (sign-out, a replayed refresh token) or, with
    `family_id` None, all of them (erasure). Open websockets of those sessions close on it."""

    role: str
    subject_id: int
    family_id: str | None
    reason: str  # SESSION_ENDED or ACCOUNT_ERASED

    @property
    def channel(self) -> str:
        return f"access:{self.role}:{self.subject_id}"


@dataclass(frozen=True)
class BadgeAwarded:
    """A member earned a badge (the app shows it at once; the messaging area announces it)."""

    member_id: int
    badge_code: str
    period: str

    @property
    def channel(self) -> str:
        return f"member:{self.member_id}:badges"


@dataclass(frozen=True)
class NotificationReceived:
    member_id: int
    notification_id: int

    @property
    def channel(self) -> str:
        return f"member:{self.member_id}:notifications"


# Events only the outbox reads (domain/webhooks/catalogue.py): nothing subscribes to them live, so
# the unit of work does not publish them on pub/sub (`broadcast = False`).
@dataclass(frozen=True)
class MemberCreated:
    member_id: int
    broadcast: ClassVar[bool] = False

    @property
    def channel(self) -> str:
        return f"member:{self.member_id}:created"


@dataclass(frozen=True)
class PurchaseRecorded:
    member_id: int
    purchase_id: int
    store_id: str
    order_id: str
    amount_cents: int
    points: int
    broadcast: ClassVar[bool] = False

    @property
    def channel(self) -> str:
        return f"member:{self.member_id}:purchases"


@dataclass(frozen=True)
class PurchaseRefunded:
    member_id: int
    purchase_id: int
    store_id: str
    order_id: str
    refund_id: str
    amount_cents: int
    points_reversed: int
    broadcast: ClassVar[bool] = False

    @property
    def channel(self) -> str:
        return f"member:{self.member_id}:purchases"


@dataclass(frozen=True)
class CouponRedeemed:
    member_id: int
    coupon_id: int
    template_id: int
    order_ref: str
    discount_cents: int
    broadcast: ClassVar[bool] = False

    @property
    def channel(self) -> str:
        return f"member:{self.member_id}:offers"


@dataclass(frozen=True)
class PartnerTransacted:
    partner_id: int
    member_id: int
    transaction_id: str
    kind: str
    points: int
    partner_amount: int
    broadcast: ClassVar[bool] = False

    @property
    def channel(self) -> str:
        return f"partner:{self.partner_id}:transactions"


Event = (MemberProfileChanged | PointsChanged | TierChanged | RedemptionUpdated | OfferIssued | ContentReported
         | AccessEnded | BadgeAwarded | NotificationReceived | MemberCreated | PurchaseRecorded | PurchaseRefunded
         | CouponRedeemed | PartnerTransacted)
