"""Scheduled triggers that enqueue messages, evaluated as one set-based statement over all members
(never a loop per member). Each message key names its window, so a trigger run twice (or every hour)
queues nothing new: `points-expiring:<expiry day>` gives one reminder per member and lot window."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from domain.clock import Clock
from domain.messaging.templates import template
from domain.ports import UnitOfWork

POINTS_EXPIRING = "POINTS_EXPIRING"


async def remind_expiring_points(new_uow: Callable[[], UnitOfWork], clock: Clock, days: int = 7) -> dict[str, int]:
    """Queue a POINTS_EXPIRING message for every member whose open lots expire within `days` days,
    one per member and program-local expiry day, on the template's channels."""
    now = clock.now()
    found = template(POINTS_EXPIRING)
    offset = now.astimezone(clock.zone).utcoffset() or timedelta()
    zone_name = str(getattr(clock.zone, "key", "UTC"))
    async with new_uow() as uow:
        queued = await uow.messaging.enqueue_points_expiring(
            now, now + timedelta(days=days), zone_name, int(offset.total_seconds()), found.channels, found.kind,
            found.category, f"trigger:points-expiring:{days}d")
        await uow.commit()
    return {"queued": queued}
