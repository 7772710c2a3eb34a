"""Points for engagement (check-ins, referrals, birthdays, community): the same rules and ledger path
as purchases, with a daily cap per activity."""

from __future__ import annotations

from dataclasses import dataclass

from domain.clock import Clock
from domain.points.expiry_policy import lot_expiry
from domain.points.ledger import credit
from domain.points.model import Entry, EntryKind
from domain.points.ports import NewEntry
from domain.points.rules import Activity, activity_points, capped
from domain.ports import UnitOfWork
from domain.program.services import load_settings


@dataclass(frozen=True)
class ActivityAward:
    """`key` pays once (ledger idempotency); `points` overrides the rule's amount (see activity_points)."""

    member_id: int
    activity: Activity
    source_ref: str
    key: str
    points: int | None = None
    # What the caller established under the account lock: this key was never paid and nothing of
    # this activity was credited today (a check-in knows it from the check-in days). Saves the
    # ledger look-ups, which cost a statement each per award.
    first_today: bool = False


async def award_activity(uow: UnitOfWork, clock: Clock, award: ActivityAward) -> Entry | None:
    """Inside the caller's transaction. Returns None when the rule pays nothing (no rule, cap
    reached) or this key was already paid. The daily cap counts the program-local day the
    activity happens (now)."""
    member_id, activity, source_ref, key = award.member_id, award.activity, award.source_ref, award.key
    now, today = clock.now(), clock.today()
    day_start, day_end = clock.day_bounds(today)
    source_type = f"activity:{activity.value}"
    if not award.first_today and await uow.points.entry_by_key(source_type, key) is not None:
        return None
    await uow.points.lock_account(member_id, now)
    rules = await uow.rules.rules()
    earned_today = 0
    if not award.first_today and capped(rules, activity, today):
        earned_today = await uow.points.credited_between(member_id, source_type, day_start, day_end)
    points = activity_points(rules, activity, today, earned_today, award.points)
    if points <= 0:
        return None
    settings = await load_settings(uow)
    return await credit(
        uow, NewEntry(member_id, EntryKind.EARN, points, activity.value.replace("_", " ").title(), source_type,
                      source_ref, key),
        now, now, lot_expiry(now, settings, clock.zone),
    )

