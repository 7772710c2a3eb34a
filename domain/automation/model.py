"""Journeys and campaigns as data, the holdout rule, and the storage port."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from domain.privacy.model import Erasure
from domain.segments.model import MemberQuery, SegmentFilter


class AutomationKind(StrEnum):
    JOURNEY = "JOURNEY"  # members enter when its trigger fires, then go through its steps
    CAMPAIGN = "CAMPAIGN"  # a segment at a scheduled time, once


class Trigger(StrEnum):
    STAGE_DORMANT = "STAGE_DORMANT"  # lifecycle stage became DORMANT (compute-segments)
    STAGE_CHURNED = "STAGE_CHURNED"
    JOINED_NO_PURCHASE = "JOINED_NO_PURCHASE"  # `trigger_days` days after joining, no purchase yet
    SEGMENT = "SEGMENT"  # campaigns: the segment filter at the scheduled time


class ActionKind(StrEnum):
    SEND_MESSAGE = "SEND_MESSAGE"
    ISSUE_COUPON = "ISSUE_COUPON"
    ADD_TAG = "ADD_TAG"


class AutomationStatus(StrEnum):
    DRAFT = "DRAFT"
    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"
    DONE = "DONE"  # a campaign that has run


class EnrollmentStatus(StrEnum):
    ACTIVE = "ACTIVE"  # steps still to run
    HELD_OUT = "HELD_OUT"  # the holdout: counted in results, no action taken
    COMPLETED = "COMPLETED"
    EXITED = "EXITED"  # reached the goal (a purchase) before the last step


@dataclass(frozen=True)
class Step:
    """After `delay_days` (from entry for the first step, from the previous step after that), one action.
    ISSUE_COUPON gives `coupon_template_id` and, with `message_kind`, tells the member; SEND_MESSAGE sends
    `message_kind`; ADD_TAG adds `tag`. `only_if_coupon_unused`: skip unless the journey's coupon is unused."""

    action: ActionKind
    delay_days: int = 0
    message_kind: str | None = None
    coupon_template_id: int | None = None
    tag: str | None = None
    only_if_coupon_unused: bool = False


MAX_STEPS = 5
BASIS_POINTS = 10_000


@dataclass(frozen=True)
class Automation:
    id: int
    kind: AutomationKind
    name: str
    trigger: Trigger
    steps: list[Step]
    holdout_bp: int  # share of entrants held out, in basis points (1000 = 10%)
    period_days: int  # a member enters at most once per this many days
    goal_days: int  # the goal: a purchase within this many days of entering
    status: AutomationStatus
    trigger_days: int = 0
    segment: SegmentFilter | None = None
    scheduled_at: datetime | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class Enrollment:
    id: int
    automation_id: int
    member_id: int
    status: EnrollmentStatus
    step: int  # index of the next step to run
    entered_at: datetime
    next_at: datetime | None
    coupon_id: int | None


@dataclass(frozen=True)
class GroupResult:
    members: int
    converted: int

    @property
    def conversion_bp(self) -> int:
        return self.converted * BASIS_POINTS // self.members if self.members else 0


@dataclass(frozen=True)
class Results:
    automation_id: int
    treatment: GroupResult
    holdout: GroupResult
    goal_days: int
    lift_bp: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "lift_bp", self.treatment.conversion_bp - self.holdout.conversion_bp)


def holdout_bucket(automation_id: int, member_id: int) -> int:
    """0..9999, stable per (automation, member): the same member is always in or out of one journey's
    holdout, independently of other journeys. The SQL in the store computes the same expression."""
    return ((member_id * 2654435761 + automation_id * 40503) % 1000003) % BASIS_POINTS


class AutomationRepository(Protocol):
    async def save(self, automation: Automation, now: datetime) -> Automation: ...
    async def get(self, automation_id: int, for_update: bool = False) -> Automation | None: ...
    async def newest(self, limit: int) -> list[Automation]: ...
    async def set_status(self, automation_id: int, status: AutomationStatus, now: datetime) -> None: ...
    async def active(self, now: datetime) -> list[Automation]:
        """Active journeys, and active campaigns whose time has come."""
        ...

    async def count_entrants(self, automation: Automation, now: datetime, segment: MemberQuery | None) -> int:
        """How many members would enter now (the preview)."""
        ...

    async def enroll(self, automation: Automation, now: datetime, segment: MemberQuery | None) -> int:
        """Set-based: every member the trigger selects now, not in the journey within its period, enters
        (treatment or holdout by `holdout_bucket`); returns how many entered."""
        ...

    async def exit_on_goal(self, automation_id: int, now: datetime) -> int:
        """Set-based: active entrants who purchased since entering leave the journey."""
        ...

    async def due(self, now: datetime, limit: int) -> list[Enrollment]:
        """Active entrants whose next step is due, locked (SKIP LOCKED on PostgreSQL)."""
        ...

    async def advance(self, enrollment_id: int, step: int, next_at: datetime | None, status: EnrollmentStatus,
                      coupon_id: int | None) -> None: ...
    async def coupon_unused(self, coupon_id: int, now: datetime) -> bool: ...
    async def results(self, automation_id: int, goal_days: int) -> tuple[tuple[int, int], tuple[int, int]]:
        """((treatment members, converted), (holdout members, converted))."""
        ...

    async def enrollments_of(self, member_ids: Sequence[int]) -> list[Enrollment]: ...
    async def erase_member(self, erasure: Erasure) -> None: ...
