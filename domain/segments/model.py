"""What the segments job stores per member, and the filters staff select members with."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Stage(StrEnum):
    NEW = "NEW"
    ACTIVE = "ACTIVE"
    DORMANT = "DORMANT"
    CHURNED = "CHURNED"
    WON_BACK = "WON_BACK"


@dataclass(frozen=True)
class RfmScore:
    """One member in one window. Only members with at least one purchase in the window have one:
    members without are outside every cell of that window rather than scored 0.

    Scores are quintiles 1-5 (5 best: most recent, most frequent, biggest spender) over the members
    scored in that window, and 0 only between the job's two steps (stored, not yet ranked)."""

    member_id: int
    window_days: int
    last_purchase_at: datetime
    recency_days: int
    frequency: int
    monetary_cents: int
    previous_monetary_cents: int
    trend_bp: int | None
    r_score: int
    f_score: int
    m_score: int
    top_categories: list[str] = field(default_factory=list)

    @property
    def cell(self) -> str:
        return f"{self.r_score}{self.f_score}{self.m_score}"


@dataclass(frozen=True)
class Lifecycle:
    member_id: int
    stage: Stage
    since: datetime  # when the job moved the member into this stage
    last_purchase_at: datetime | None


@dataclass(frozen=True)
class StageChange:
    member_id: int
    from_stage: Stage | None  # None: the member's first stage
    to_stage: Stage
    at: datetime
    id: int = 0  # 0 until stored


@dataclass(frozen=True)
class ScoreRange:
    low: int = 1
    high: int = 5


@dataclass(frozen=True)
class RfmFilter:
    """Members scored in `window_days` whose scores are in every given range and, when cells are
    given, whose cell ("RFM" digits, e.g. "545") is one of them."""

    window_days: int
    recency: ScoreRange | None = None
    frequency: ScoreRange | None = None
    monetary: ScoreRange | None = None
    cells: list[str] | None = None


@dataclass(frozen=True)
class SegmentFilter:
    """As staff give it; every criterion given must hold (within one criterion: any of the values)."""

    stages: list[str] | None = None
    tier_codes: list[str] | None = None
    tags: list[str] | None = None
    rfm: RfmFilter | None = None

    @property
    def empty(self) -> bool:
        return not (self.stages or self.tier_codes or self.tags or self.rfm)


@dataclass(frozen=True)
class MemberQuery:
    """A checked SegmentFilter, in the terms storage filters on."""

    stages: list[Stage] | None = None
    tier_ids: list[int] | None = None
    include_untiered: bool = False  # members without a tier row are on the base tier
    tags: list[str] | None = None
    rfm: RfmFilter | None = None


@dataclass(frozen=True)
class MemberInsights:
    member_id: int
    lifecycle: Lifecycle | None  # None until the job has run since the member joined
    rfm: list[RfmScore]
