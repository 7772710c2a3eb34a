"""Tiers: configured levels qualified by rolling 12-month spend."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


@dataclass(frozen=True)
class Tier:
    id: int
    code: str
    name: str
    rank: int
    threshold_cents: int
    multiplier_pct: int = 100
    upgrade_reward_points: int = 0
    benefits: list[str] = field(default_factory=list)
    active: bool = True


class TierChangeReason(StrEnum):
    JOINED = "JOINED"
    UPGRADE = "UPGRADE"
    DOWNGRADE = "DOWNGRADE"
    RENEWED = "RENEWED"
    IMPORTED = "IMPORTED"  # set by import-members (a tier carried over from the old system)


@dataclass(frozen=True)
class MemberTier:
    member_id: int
    tier_id: int
    achieved_at: datetime
    held_until: datetime | None
    version: int = 1


@dataclass(frozen=True)
class TierChange:
    id: int
    member_id: int
    from_tier_id: int | None
    to_tier_id: int
    reason: TierChangeReason
    spend_cents: int
    created_at: datetime


@dataclass(frozen=True)
class TierProgress:
    current: Tier
    next: Tier | None
    spend_in_window_cents: int
    spend_to_next_cents: int
    window_start: datetime
    window_end: datetime
    held_until: datetime | None
