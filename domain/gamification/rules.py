"""The rules, without I/O: how a ticket's roll is made and read, which month a badge counts."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date, datetime, time, tzinfo

from domain.errors import BadUserInput, FieldError
from domain.gamification.model import Badge, MemberBadge, Prize

ROLL_SPACE = 10_000  # rolls are 0..9,999, so weights in basis points map onto them one to one


def seed_hash(seed: str) -> str:
    """Published when the draw is created: after the draw ends, anyone can check the revealed
    seed against it, so the operator could not have changed the seed once tickets were sold."""
    return hashlib.sha256(seed.encode()).hexdigest()


def roll_for(seed: str, draw_id: int, member_id: int, key: str) -> int:
    """A ticket's roll, fixed by the secret seed and what the member sent (their idempotency key):
    the operator fixed the seed before seeing any ticket, the member picks the key, and once the
    seed is revealed every roll can be recomputed."""
    digest = hmac.new(seed.encode(), f"{draw_id}:{member_id}:{key}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") % ROLL_SPACE


def prize_for_roll(prizes: list[Prize], roll: int) -> Prize | None:
    """Prizes take consecutive ranges of the roll space in `position` order, each as wide as its
    weight; a roll past the last range wins nothing. Stock does not move the ranges (a sold-out
    prize's range still exists and wins nothing), so the odds shown are the odds drawn."""
    floor = 0
    for prize in sorted(prizes, key=lambda p: (p.position, p.id)):
        if floor <= roll < floor + prize.weight_bp:
            return prize
        floor += prize.weight_bp
    return None


def check_prizes(prizes: list[Prize]) -> None:
    errors = []
    if not 1 <= len(prizes) <= 20:
        errors.append(FieldError("prizes", "Give 1 to 20 prizes."))
    if sum(p.weight_bp for p in prizes) > ROLL_SPACE:
        errors.append(FieldError("prizes", "The chances add up to more than 100% (10,000 basis points)."))
    for i, p in enumerate(prizes):
        if not 1 <= p.weight_bp <= ROLL_SPACE:
            errors.append(FieldError(f"prizes.{i}.weightBp", "Give a chance of 1 to 10,000 basis points."))
        if not 0 <= p.stock <= 10_000_000:
            errors.append(FieldError(f"prizes.{i}.stock", "Give a stock of 0 to 10,000,000."))
        if not 1 <= len(p.name.strip()) <= 60:
            errors.append(FieldError(f"prizes.{i}.name", "Give a name of 1 to 60 characters."))
        if p.kind.value == "POINTS" and not 1 <= p.points <= 1_000_000:
            errors.append(FieldError(f"prizes.{i}.points", "A points prize gives 1 to 1,000,000 points."))
    if errors:
        raise BadUserInput("Some prizes are invalid.", errors)


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def previous_month(day: date) -> date:
    """The first day of the month before `day`'s."""
    return date(day.year - (day.month == 1), 12 if day.month == 1 else day.month - 1, 1)


def next_month(first: date) -> date:
    return date(first.year + (first.month == 12), 1 if first.month == 12 else first.month + 1, 1)


def month_bounds(first: date, zone: tzinfo) -> tuple[datetime, datetime]:
    """[start, end) of a program-local month."""
    return datetime.combine(first, time.min, zone), datetime.combine(next_month(first), time.min, zone)


def title_of(held: list[MemberBadge], now: datetime) -> Badge | None:
    """The badge whose title a member carries: the highest-ranked current one with a title (the
    newest on a tie)."""
    current = [b for b in held if b.current(now) and b.badge.title]
    return max(current, key=lambda b: (b.badge.rank, b.awarded_at)).badge if current else None
