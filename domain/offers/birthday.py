"""Birthday rewards: once per year in the birthday month (or on the day), by tier: bonus points
and/or a birthday coupon. Keyed by member and year, so editing a birthday cannot pay twice."""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import UTC, date, datetime, tzinfo

from domain.offers.model import IssueSource
from domain.offers.services import CouponGrant, issue_by_setting
from domain.points.expiry_policy import lot_expiry
from domain.points.ledger import credit
from domain.points.model import EntryKind
from domain.points.ports import NewEntry
from domain.points.rules import Activity, RuleKind
from domain.ports import UnitOfWork
from domain.program.services import load_settings


def in_birthday_window(birthday: date, today: date, whole_month: bool) -> bool:
    if birthday.month != today.month:
        return False
    if whole_month:
        return True
    if birthday.month == 2 and birthday.day == 29 and not calendar.isleap(today.year):
        return today.day == 28  # leap-day birthdays are celebrated on the 28th in other years
    return birthday.day == today.day


async def grant_birthday(uow: UnitOfWork, member_id: int, now: datetime, today: date, zone: tzinfo) -> bool:
    """Inside the caller's transaction. True when something was granted now."""
    member = await uow.members.get(member_id)
    settings = await load_settings(uow)
    if member is None or member.birthday is None:
        return False
    if not in_birthday_window(member.birthday, today, bool(settings.birthday_whole_month)):
        return False
    key = f"birthday/{member_id}/{today.year}"
    source_type = f"activity:{Activity.BIRTHDAY.value}"
    if await uow.points.entry_by_key(source_type, key) is not None:
        return False
    granted = False
    rule = next((r for r in await uow.rules.rules()
                 if r.kind is RuleKind.ACTIVITY and r.activity is Activity.BIRTHDAY and r.runs_on(today)), None)
    tier = await uow.tiers.current_tier(member_id)
    if tier is not None and not tier.active:
        tier = None
    if rule is not None:
        points = rule.points * (tier.multiplier_pct if tier else 100) // 100
        await uow.points.lock_account(member_id, now)
        await credit(uow, NewEntry(member_id, EntryKind.EARN, points, "Happy birthday", source_type,
                                   str(today.year), key), now, now, lot_expiry(now, settings, zone))
        granted = True
    coupon = await issue_by_setting(uow, settings.birthday_coupon_template_id,
                                    CouponGrant(member_id, IssueSource.BIRTHDAY, key), now)
    return granted or coupon is not None


async def birthday_rewards(new_uow: Callable[[], UnitOfWork], now: datetime, today: date,
                           batch: int = 500, zone: tzinfo = UTC) -> dict[str, int]:
    """The daily job (`cli birthday-rewards`). Idempotent: the yearly key stops repeats."""
    counts = {"checked": 0, "granted": 0}
    after = 0
    while True:
        async with new_uow() as uow:
            member_ids = await uow.members.with_birthday_in_month(today.month, after, batch)
        if not member_ids:
            return counts
        for member_id in member_ids:
            async with new_uow() as uow:
                granted = await grant_birthday(uow, member_id, now, today, zone)
                await uow.commit()
            counts["checked"] += 1
            counts["granted"] += granted
        after = member_ids[-1]
