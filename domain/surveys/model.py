"""Surveys staff publish (NPS or satisfaction), the answers members give, and result tallies."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class SurveyKind(StrEnum):
    NPS = "NPS"  # "how likely are you to recommend us", 0-10
    SATISFACTION = "SATISFACTION"  # 1-5


class SurveyTrigger(StrEnum):
    AFTER_PURCHASE = "AFTER_PURCHASE"  # a purchase within N days before answering, optionally at given stores
    AFTER_EVENT = "AFTER_EVENT"  # attended (checked in at) a given event


class SurveyState(StrEnum):
    DRAFT = "DRAFT"
    PUBLISHED = "PUBLISHED"
    CLOSED = "CLOSED"


SCORE_RANGE: dict[SurveyKind, range] = {SurveyKind.NPS: range(11), SurveyKind.SATISFACTION: range(1, 6)}


@dataclass(frozen=True)
class Survey:
    id: int
    kind: SurveyKind
    question: str
    trigger: SurveyTrigger
    starts_at: datetime
    ends_at: datetime
    allow_comment: bool = False
    purchase_within_days: int | None = None
    store_ids: list[str] = field(default_factory=list)  # empty: a purchase at any store counts
    event_id: int | None = None
    points: int = 0
    state: SurveyState = SurveyState.DRAFT
    created_at: datetime | None = None

    @property
    def scores(self) -> range:
        return SCORE_RANGE[self.kind]

@dataclass(frozen=True)
class Answer:
    id: int
    survey_id: int
    member_id: int
    score: int
    comment: str | None
    tier_id: int | None  # the member's tier when they answered
    store_id: str | None  # the store of the purchase that made them eligible
    points_awarded: int
    idempotency_key: str
    answered_at: datetime


@dataclass(frozen=True)
class RecentPurchase:
    purchased_at: datetime
    store_id: str


@dataclass(frozen=True)
class ScoreCell:
    """How many answers gave `score` among members of one tier who qualified at one store."""

    tier_id: int | None
    store_id: str | None
    score: int
    count: int
