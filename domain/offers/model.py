"""Coupons: templates configured by staff, and the coupons issued from them to members."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class CouponKind(StrEnum):
    CASH_OFF = "CASH_OFF"  # value_cents off
    PERCENT_OFF = "PERCENT_OFF"  # percent off, at most cap_cents
    SPEND_AND_SAVE = "SPEND_AND_SAVE"  # spend min_spend_cents, save value_cents (满减)
    BUY_ONE_GET_ONE = "BUY_ONE_GET_ONE"  # the cheaper of two eligible items free
    FREE_ITEM = "FREE_ITEM"  # one eligible item free, up to value_cents


class CouponStatus(StrEnum):
    AVAILABLE = "AVAILABLE"
    REDEEMED = "REDEEMED"
    EXPIRED = "EXPIRED"
    SHARED = "SHARED"  # given to a friend (shareCoupon): the friend holds a new coupon with its own code


class IssueSource(StrEnum):
    WELCOME = "WELCOME"
    BIRTHDAY = "BIRTHDAY"
    TIER_UPGRADE = "TIER_UPGRADE"
    STAFF = "STAFF"
    CLAIM = "CLAIM"
    CODE = "CODE"  # claimed with a code from a batch (claimCouponCode)
    SHARE = "SHARE"  # given by a friend (shareCoupon); such a coupon cannot be given on again
    AUTOMATION = "AUTOMATION"  # a journey or campaign step (domain/automation)


class NotClaimableReason(StrEnum):
    LIMIT_REACHED = "LIMIT_REACHED"  # the member holds as many as one member may claim
    SOLD_OUT = "SOLD_OUT"  # every coupon of the offer has been handed out


@dataclass(frozen=True)
class CouponTemplate:
    id: int
    name: str
    kind: CouponKind
    value_cents: int = 0
    percent: int = 0
    cap_cents: int | None = None
    min_spend_cents: int = 0
    categories: list[str] = field(default_factory=list)  # empty: every category
    stores: list[str] = field(default_factory=list)  # empty: every store
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    valid_days: int | None = None  # counted from issue, when set
    per_member_limit: int | None = 1
    total_quantity: int | None = None
    issued_count: int = 0
    claimable: bool = False
    active: bool = True
    shareable: bool = False  # a member may give an unused coupon of it to a friend, once


@dataclass(frozen=True)
class Coupon:
    id: int
    template_id: int
    member_id: int
    code: str
    status: CouponStatus
    source: IssueSource
    issued_at: datetime
    valid_from: datetime
    valid_until: datetime
    redeemed_at: datetime | None = None
    order_ref: str | None = None
    discount_cents: int | None = None

    def status_at(self, now: datetime) -> CouponStatus:
        if self.status is CouponStatus.AVAILABLE and now >= self.valid_until:
            return CouponStatus.EXPIRED
        return self.status


@dataclass(frozen=True)
class OfferForMember:
    """A claimable offer as one member sees it."""

    template: CouponTemplate
    claimed: int

    @property
    def remaining_for_member(self) -> int | None:
        limit = self.template.per_member_limit
        return None if limit is None else max(0, limit - self.claimed)

    @property
    def remaining_quantity(self) -> int | None:
        total = self.template.total_quantity
        return None if total is None else max(0, total - self.template.issued_count)

    @property
    def not_claimable(self) -> NotClaimableReason | None:
        if self.remaining_for_member == 0:
            return NotClaimableReason.LIMIT_REACHED
        if self.remaining_quantity == 0:
            return NotClaimableReason.SOLD_OUT
        return None


class CodeStatus(StrEnum):
    AVAILABLE = "AVAILABLE"  # printed or handed out, not used yet
    CLAIMED = "CLAIMED"  # a member put it in their wallet: the coupon carries the same code
    REDEEMED = "REDEEMED"  # used at a till without being claimed


@dataclass(frozen=True)
class CodeBatch:
    """Unique single-use codes of one template (for print or a partner). `valid_until` is fixed when
    the batch is made: the template's end, or `valid_days` counted from the batch's creation."""

    id: int
    template_id: int
    label: str
    quantity: int
    created_at: datetime
    valid_until: datetime


@dataclass(frozen=True)
class CouponCode:
    id: int
    batch_id: int
    code: str
    status: CodeStatus
    member_id: int | None = None
    coupon_id: int | None = None
    order_ref: str | None = None
    discount_cents: int | None = None
    used_at: datetime | None = None


class ShareStatus(StrEnum):
    PENDING = "PENDING"  # a link waits for the friend to sign up and accept it
    ACCEPTED = "ACCEPTED"  # the friend holds the coupon
    CANCELLED = "CANCELLED"  # the giver took an unaccepted link back; their coupon is usable again


@dataclass(frozen=True)
class CouponShare:
    id: int
    coupon_id: int
    from_member_id: int
    status: ShareStatus
    created_at: datetime
    expires_at: datetime
    to_member_id: int | None = None
    to_phone: str | None = None
    received_coupon_id: int | None = None
    settled_at: datetime | None = None
