"""The expiry job (`cli expire-points`): lots past their date become EXPIRE entries. Idempotent:
an expired lot is emptied, and each lot's expiry has its own idempotency key."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from domain.events import PointsChanged
from domain.points.model import EntryKind
from domain.points.ports import NewEntry
from domain.ports import UnitOfWork


async def expire_points(new_uow: Callable[[], UnitOfWork], now: datetime, batch: int = 500,
                        progress: Callable[[int], None] | None = None) -> dict[str, int]:
    counts = {"members": 0, "lots": 0, "points": 0}
    while True:
        async with new_uow() as uow:
            members = await uow.points.members_with_expired_lots(now, batch)
        if not members:
            return counts
        for member_id in members:
            async with new_uow() as uow:
                await uow.points.lock_account(member_id, now)
                for lot in await uow.points.open_lots(member_id):
                    if lot.expires_at > now or lot.remaining <= 0:
                        continue
                    entry = await uow.points.add_entry(
                        NewEntry(member_id, EntryKind.EXPIRE, -lot.remaining, "Points expired", "expiry",
                                 # Unique per write-off, not per lot: points a payment held past the
                                 # lot's date are written off later, once the hold ends.
                                 str(lot.id), f"expire/{lot.id}/{int(now.timestamp())}", details={"lotId": lot.id,
                                                                           "expiredAt": lot.expires_at.isoformat()}),
                        now,
                    )
                    await uow.points.take_from_lot(entry.id, lot.id, lot.remaining)
                    version = await uow.points.bump_account(member_id, -lot.remaining, now)
                    uow.publish_after_commit(PointsChanged(member_id, version, entry.id))
                    counts["lots"] += 1
                    counts["points"] += lot.remaining
                await uow.commit()
            counts["members"] += 1
            if progress:
                progress(1)
