"""Badges, challenges and draws as plain values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum


class BadgeRule(StrEnum):
    """How a badge is earned; `threshold` gives the number."""

    TOP_EARNERS_OF_MONTH = "TOP_EARNERS_OF_MONTH"  # the `threshold` members who earned most in a month
    QUALIFIED_REFERRALS = "QUALIFIED_REFERRALS"  # at least `threshold` invitees made a qualifying purchase
    CHECKIN_STREAK = "CHECKIN_STREAK"  # checked in `threshold` days in a row


@dataclass(frozen=True)
class Badge:
    id: int
    code: str
    name: str
    name_en: str
    title: str | None
    title_en: str | None
    rule: BadgeRule
    threshold: int
    rank: int
    active: bool

    @property
    def monthly(self) -> bool:
        return self.rule is BadgeRule.TOP_EARNERS_OF_MONTH


@dataclass(frozen=True)
class MemberBadge:
    badge: Badge
    period: str  # "2026-11" for a monthly badge, "" for a lasting one
    awarded_at: datetime
    expires_at: datetime | None

    def current(self, now: datetime) -> bool:
        return self.expires_at is None or self.expires_at > now


class ChallengeGoal(StrEnum):
    PURCHASES = "PURCHASES"  # number of purchases in the window
    SPEND = "SPEND"  # net spend in fen in the window
    CHECKIN_DAYS = "CHECKIN_DAYS"  # days checked in within the window (make-ups do not count)


@dataclass(frozen=True)
class Challenge:
    id: int
    name: str
    description: str
    goal: ChallengeGoal
    target: int
    reward_points: int
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class ProgressWindow:
    """A challenge's window as the store counts it: times for purchases, program-local days for
    check-ins (a check-in's day is the program's day, not UTC's)."""

    challenge_id: int
    goal: ChallengeGoal
    starts_at: datetime
    ends_at: datetime
    first_day: date
    last_day: date


@dataclass(frozen=True)
class ChallengeProgress:
    challenge: Challenge
    progress: int
    claimed: bool

    @property
    def completed(self) -> bool:
        return self.progress >= self.challenge.target


class PrizeKind(StrEnum):
    POINTS = "POINTS"  # credited to the member's points at once
    GOODS = "GOODS"  # a gift collected in store with the ticket's claim code


@dataclass(frozen=True)
class Prize:
    id: int
    position: int
    name: str
    kind: PrizeKind
    points: int
    weight_bp: int  # chance per ticket in basis points (1/10,000)
    stock: int
    initial_stock: int


@dataclass(frozen=True)
class Draw:
    id: int
    name: str
    ticket_points: int
    tickets_per_member: int | None
    seed_hash: str
    starts_at: datetime
    ends_at: datetime
    prizes: list[Prize]
    seed: str  # never shown before `ends_at`: see `revealed_seed`

    def open_at(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at

    def revealed_seed(self, now: datetime) -> str | None:
        return self.seed if now >= self.ends_at else None


@dataclass(frozen=True)
class Ticket:
    id: int
    draw_id: int
    member_id: int
    idempotency_key: str
    roll: int
    picked_prize_id: int | None
    prize_id: int | None
    claim_code: str | None
    entry_id: int
    created_at: datetime
