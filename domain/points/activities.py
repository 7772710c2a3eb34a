"""Points for engagement (check-ins, referrals, birthdays, community): the same rules and ledger path
as purchases, with a daily cap per activity."""

from __future__ import annotations

from datetime import date, datetime

from domain.points.ledger import credit
from domain.points.lots import add_months
from domain.points.model import Entry, EntryKind
from domain.points.ports import NewEntry
from domain.points.rules import Activity, activity_points
from domain.ports import UnitOfWork
from domain.program.services import load_settings


async def award_activity(uow: UnitOfWork, member_id: int, activity: Activity, source_ref: str, key: str,
                         now: datetime, today: date, day_start: datetime, day_end: datetime,
                         points: int | None = None) -> Entry | None:
    """Inside the caller's transaction. Returns None when the rule pays nothing (no rule, cap
    reached) or this key was already paid. `points` overrides the rule's amount (see activity_points)."""
    source_type = f"activity:{activity.value}"
    if await uow.points.entry_by_key(source_type, key) is not None:
        return None
    await uow.points.lock_account(member_id, now)
    rules = await uow.rules.rules()
    earned_today = await uow.points.credited_between(member_id, source_type, day_start, day_end)
    points = activity_points(rules, activity, today, earned_today, points)
    if points <= 0:
        return None
    settings = await load_settings(uow)
    return await credit(
        uow, NewEntry(member_id, EntryKind.EARN, points, activity.value.replace("_", " ").title(), source_type,
                      source_ref, key),
        now, now, add_months(now, settings.points_expiry_months),
    )


async def earn_for_activity(uow: UnitOfWork, member_id: int, activity: Activity, source_ref: str, key: str,
                            now: datetime, today: date, day_start: datetime, day_end: datetime) -> Entry | None:
    async with uow:
        entry = await award_activity(uow, member_id, activity, source_ref, key, now, today, day_start, day_end)
        await uow.commit()
    return entry
