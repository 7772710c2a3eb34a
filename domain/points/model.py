"""The points ledger: append-only entries, and the lots that earnings create and spending consumes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class EntryKind(StrEnum):
    EARN = "EARN"
    REDEEM = "REDEEM"
    EXPIRE = "EXPIRE"
    ADJUST = "ADJUST"
    GIFT_OUT = "GIFT_OUT"
    GIFT_IN = "GIFT_IN"
    REVERSE = "REVERSE"
    MERGE_OUT = "MERGE_OUT"  # member merge: everything of the merged member leaves (balance → 0)
    MERGE_IN = "MERGE_IN"  # member merge: the kept member receives it, lot by lot, expiry kept


class SalesChannel(StrEnum):
    """Where an order was placed; channel share in the KPIs splits sales by it."""

    POS = "POS"
    APP = "APP"
    MINI_PROGRAM = "MINI_PROGRAM"
    ECOMMERCE = "ECOMMERCE"
    PARTNER = "PARTNER"
    IMPORT = "IMPORT"


@dataclass(frozen=True)
class Lot:
    """Points from one credit. `remaining` falls as spending, expiry or reversal consume it."""

    id: int
    member_id: int
    entry_id: int
    original: int
    remaining: int
    earned_at: datetime
    available_at: datetime
    expires_at: datetime

    def is_pending(self, now: datetime) -> bool:
        return self.available_at > now

    def is_spendable(self, now: datetime) -> bool:
        return self.remaining > 0 and self.available_at <= now < self.expires_at


@dataclass(frozen=True)
class Entry:
    id: int
    member_id: int
    kind: EntryKind
    amount: int
    reason: str
    source_type: str
    source_ref: str
    created_at: datetime
    details: dict[str, object] = field(default_factory=dict)
    # The ledger total right after this entry (the running sum in id order), where a read computed it.
    balance_after: int | None = None


@dataclass(frozen=True)
class Balance:
    """What a member sees. `total` is the ledger sum; available + held + pending + expired-unswept == total."""

    member_id: int
    total: int
    available: int
    pending: int
    expiring_soon: int
    expiring_window_days: int
    version: int
    # When the numbers change by the clock alone (a lot becomes available or expires).
    valid_until: datetime | None = None
    # Points reserved by open points-payment holds: in `total`, not in `available`.
    held: int = 0


class EntrySource(StrEnum):
    """What a ledger entry came from: the part of `source_type` before any ':' (e.g. `partner:3`)."""

    PURCHASE = "purchase"
    REFUND = "refund"
    REDEMPTION = "redemption"
    GIFT = "gift"
    ADJUSTMENT = "staff"
    TIER_REWARD = "tier"
    REFERRAL = "referral"
    EVENT = "event"
    EXPIRY = "expiry"
    PARTNER = "partner"
    PAYMENT = "payment"
    ACTIVITY = "activity"
    CHECK_IN_BONUS = "checkin-bonus"
    CHECK_IN_MAKEUP = "checkin-makeup"
    OTHER = "other"


def entry_source(source_type: str) -> tuple[EntrySource, str | None]:
    """(the source, the detail after ':', such as a partner id or an activity), for clients."""
    head, _, detail = source_type.partition(":")
    try:
        return EntrySource(head), detail or None
    except ValueError:
        return EntrySource.OTHER, source_type
