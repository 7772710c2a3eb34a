"""Until when a cached answer stays true by the clock alone: the earliest moment, after the one
the answer was computed at, when a clock-dependent group it reads would answer differently."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from domain.clock import Clock
from domain.points.lots import add_months
from domain.program.services import load_settings
from domain.response_cache.dependencies import Group
from domain.tiers.services import window_start


async def valid_until(uow: Any, member_id: int, groups: frozenset[Group], clock: Clock,
                      computed_at: datetime) -> datetime | None:
    """None: no clock dependency. `computed_at` is a moment taken before the answer was computed, so
    a boundary passed while it was computed still counts (the entry is then not kept at all).
    `uow` is a unit of work with `answer_validity` (domain/store/answer_validity_repo.py)."""
    now = computed_at
    moments: list[datetime | None] = []
    async with uow.read_only():
        settings = await load_settings(uow)
        if Group.MEMBER_ACCOUNT in groups:
            # The balance's split (available, pending, expiring soon) moves when a lot becomes
            # available, expires, or enters the expiring-soon window.
            window = timedelta(days=settings.expiring_soon_days)
            *_, (next_available, next_expiry, next_after), _held = await uow.points.lot_totals(
                member_id, now, now + window)
            moments += [next_available, next_expiry, next_after - window if next_after else None]
        rolling = Group.MEMBER_TIER in groups and not settings.tier_calendar_year
        found = await uow.answer_validity.next_moments(
            member_id, now, coupon_validity=Group.MEMBER_COUPONS in groups,
            tier_window_since=window_start(now, settings, clock.zone) if rolling else None,
            catalog_validity=Group.CATALOG in groups)
    for name, moment in found.items():
        if moment is not None and name.startswith("oldest_"):
            # The oldest purchase and entry in the rolling window leave it this long after they happened.
            moment = add_months(moment, settings.tier_window_months)
        moments.append(moment)
    if Group.MEMBER_TIER in groups and settings.tier_calendar_year:
        moments.append(clock.day_bounds(now.astimezone(clock.zone).date().replace(month=1, day=1).replace(
            year=now.astimezone(clock.zone).year + 1))[0])
    if Group.DAY in groups:
        moments.append(clock.day_bounds(clock.day_of(now))[1])
    present = [m for m in moments if m is not None]
    return min(present) if present else None
