"""Tiers: configured levels qualified by rolling 12-month spend."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class QualifyMode(StrEnum):
    """How a tier's qualification paths combine."""

    ANY = "ANY"  # one configured path is enough
    ALL = "ALL"  # every configured path must be met


class QualifyPath(StrEnum):
    SPEND = "SPEND"  # qualifying spend in cents (purchases less refunds)
    PURCHASES = "PURCHASES"  # purchases not wholly refunded
    TIER_POINTS = "TIER_POINTS"  # qualifying points: earned, less earnings reversed; spending never lowers them


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
    # Qualification paths besides spend (threshold_cents, unless spend_path is off); null: not a path.
    min_purchases: int | None = None
    min_tier_points: int | None = None
    qualify_mode: QualifyMode = QualifyMode.ANY
    spend_path: bool = True

    def paths(self) -> dict[QualifyPath, int]:
        """Each configured path and what it requires."""
        out: dict[QualifyPath, int] = {}
        if self.spend_path:
            out[QualifyPath.SPEND] = self.threshold_cents
        if self.min_purchases is not None:
            out[QualifyPath.PURCHASES] = self.min_purchases
        if self.min_tier_points is not None:
            out[QualifyPath.TIER_POINTS] = self.min_tier_points
        return out


@dataclass(frozen=True)
class QualifyingFigures:
    """A member's figures in the qualification window."""

    spend_cents: int
    purchases: int = 0
    tier_points: int = 0

    def value(self, path: QualifyPath) -> int:
        return {QualifyPath.SPEND: self.spend_cents, QualifyPath.PURCHASES: self.purchases,
                QualifyPath.TIER_POINTS: self.tier_points}[path]


@dataclass(frozen=True)
class PathProgress:
    path: QualifyPath
    current: int
    required: int

    @property
    def remaining(self) -> int:
        return max(0, self.required - self.current)


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
    figures: QualifyingFigures | None = None
    paths: list[PathProgress] = field(default_factory=list)  # towards the next tier
    mode: QualifyMode = QualifyMode.ANY
