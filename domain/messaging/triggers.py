"""Scheduled triggers that enqueue messages, each evaluated as set-based statements over all members
(never a loop per member). Each message key names what it is about, so a trigger run twice (or over
overlapping windows) queues nothing new:

- points expiring within N days: `points-expiring:<program-local expiry day>`, one reminder per member
  and lot window (several lots expiring the same day make one);
- tier changed (the last 2 days): `tier-changed:<change id>`;
- coupon issued (the last 2 days; journeys announce their own): `coupon-issued:<coupon id>`;
- coupon expiring within 3 days: `coupon-expiring:<coupon id>`;
- event starting within 24 h, to signed-up members: `event-starting:<event id>`;
- birthday today, and in 3 days (program-local days): `birthday:<year>`, `birthday-soon:<year>`.
  A 29 February birthday is only matched in leap years;
- badge awarded (the last 2 days; streak badges carry the check-in streak news):
  `badge-awarded:<award id>`;
- referral qualified (the last 2 days; the referrer's reward entry): `referral-qualified:<entry id>`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from domain.clock import Clock
from domain.messaging.templates import template
from domain.ports import UnitOfWork

BIRTHDAY_NOTICE_DAYS = 3
# A look-back longer than the schedule, so a missed run is caught up by the next one.
LOOKBACK = timedelta(days=2)


@dataclass(frozen=True)
class TriggerSpec:
    name: str
    kind: str
    horizon: timedelta


def specs(points_expiring_days: int) -> list[TriggerSpec]:
    return [
        TriggerSpec("points-expiring", "POINTS_EXPIRING", timedelta(days=points_expiring_days)),
        TriggerSpec("tier-changed", "TIER_CHANGED", LOOKBACK),
        TriggerSpec("coupon-issued", "COUPON_ISSUED", LOOKBACK),
        TriggerSpec("coupon-expiring", "COUPON_EXPIRING", timedelta(days=3)),
        TriggerSpec("event-starting", "EVENT_STARTING", timedelta(hours=24)),
        TriggerSpec("birthday", "BIRTHDAY", timedelta(0)),
        TriggerSpec("birthday-soon", "BIRTHDAY_SOON", timedelta(days=BIRTHDAY_NOTICE_DAYS)),
        TriggerSpec("badge-awarded", "BADGE_AWARDED", LOOKBACK),
        TriggerSpec("referral-qualified", "REFERRAL_QUALIFIED", LOOKBACK),
    ]


async def _run(new_uow: Callable[[], UnitOfWork], clock: Clock, spec: TriggerSpec) -> int:
    now = clock.now()
    found = template(spec.kind)
    offset = now.astimezone(clock.zone).utcoffset() or timedelta()
    zone_name = str(getattr(clock.zone, "key", "UTC"))
    reason = f"trigger:{spec.name}" + (f":{spec.horizon.days}d" if spec.name == "points-expiring" else "")
    async with new_uow() as uow:
        queued = await uow.messaging.enqueue_trigger(spec.name, now, spec.horizon, zone_name,
                                                     int(offset.total_seconds()), found.channels, found.kind,
                                                     found.category, reason)
        await uow.commit()
    return queued


async def remind_expiring_points(new_uow: Callable[[], UnitOfWork], clock: Clock, days: int = 7) -> dict[str, int]:
    """Queue a POINTS_EXPIRING message for every member whose open lots expire within `days` days."""
    return {"queued": await _run(new_uow, clock, specs(days)[0])}


async def run_message_triggers(new_uow: Callable[[], UnitOfWork], clock: Clock,
                               points_expiring_days: int = 7) -> dict[str, int]:
    """Every scheduled message trigger once; counts of rows queued per trigger."""
    return {spec.name: await _run(new_uow, clock, spec) for spec in specs(points_expiring_days)}
