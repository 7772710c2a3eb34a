"""The hold timeout job (`cli release-expired-holds`, every minute): holds past their time free
their points. Idempotent: a hold ends once (HELD -> EXPIRED under the member's account lock), and a
run after another finds nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from domain.payments.model import HoldStatus
from domain.payments.services import end_hold
from domain.ports import UnitOfWork


async def release_expired_holds(new_uow: Callable[[], UnitOfWork], now: datetime, batch: int = 500,
                                progress: Callable[[int], None] | None = None) -> dict[str, int]:
    counts = {"holds": 0, "points": 0}
    while True:
        async with new_uow() as uow:
            due = await uow.holds.expired(now, batch)
        if not due:
            return counts
        for stale in due:
            async with new_uow() as uow:
                await uow.points.lock_account(stale.member_id, now)
                hold = await uow.holds.by_id(stale.id)
                # Captured or released meanwhile (or by a concurrent run): nothing to do.
                if hold is not None and hold.status is HoldStatus.HELD and hold.expires_at <= now:
                    await end_hold(uow, hold, HoldStatus.EXPIRED, now)
                    counts["holds"] += 1
                    counts["points"] += hold.points
                await uow.commit()
            if progress:
                progress(1)
