"""Refunds of an order paid partly with points: the points come back to the lots they were paid
from, in proportion to what is refunded.

Rounding: after refunds totalling R of an order of A cents paid with P points, the member has
had `P * R // A` points back in all (each refund returns that less what earlier refunds returned).
Rounding down at every step never returns more than was paid, and the refund that completes the
order (R == A) returns exactly what is left, so the points come back in full.

Which lots: the capture's lots, those expiring last first (the points most worth having back),
each up to what was taken from it less what earlier refunds returned to it. Points whose lot has
expired meanwhile come back as a new lot that expires REISSUE_GRACE_DAYS after the refund (the
member keeps them a while rather than seeing them expire at once, and the expiry job, which
writes each lot off once, never sees an expired lot refilled).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.auth.viewer import Viewer
from domain.events import PointsChanged
from domain.payments.model import HoldStatus
from domain.points.model import EntryKind
from domain.points.ports import NewEntry, Purchase
from domain.ports import UnitOfWork

REISSUE_GRACE_DAYS = 30


def points_to_return(paid: int, order_cents: int, refunded_before: int, refunding: int, returned: int) -> int:
    """Cumulative floor: never more than paid in all, everything once the whole order is refunded."""
    return paid * min(order_cents, refunded_before + refunding) // order_cents - returned


async def return_paid_points(uow: UnitOfWork, viewer: Viewer, purchase: Purchase, refund_id: str,
                             amount_cents: int, now: datetime) -> int:
    """Inside record_refund's transaction, under the member's account lock: give back the points
    share of this refund, if the order was paid partly with points (a captured payment). Returns
    the points given back. `purchase` is the order before this refund."""
    hold = await uow.holds.get(purchase.source, purchase.order_id)
    if hold is None or hold.status is not HoldStatus.CAPTURED or hold.entry_id is None:
        return 0
    back = points_to_return(hold.points, purchase.amount_cents, purchase.refunded_cents, amount_cents,
                            hold.points_refunded)
    if back <= 0:
        return 0
    taken = {lot_id: -amount for lot_id, amount in await uow.points.moves_for_entry(hold.entry_id)}
    returned = await uow.holds.returned_by_lot(hold.member_id, f"{hold.source}/{hold.order_id}")
    lots = [lot for lot in [await uow.points.lot(lot_id) for lot_id in taken] if lot is not None]
    entry = await uow.points.add_entry(NewEntry(
        hold.member_id, EntryKind.REVERSE, back, f"Refund {refund_id} of {hold.order_id}: points paid come back",
        "payment", f"{hold.source}/{hold.order_id}", f"pay-refund/{hold.source}/{hold.order_id}/{refund_id}",
        viewer.role, viewer.subject_id, {"orderId": hold.order_id, "refundId": refund_id, "holdId": hold.id},
    ), now)
    left = back
    reissue = 0
    for lot in sorted(lots, key=lambda lot: (lot.expires_at, lot.id), reverse=True):
        room = taken[lot.id] - returned.get(lot.id, 0)
        give = min(room, left)
        if give <= 0:
            continue
        if lot.expires_at > now:
            await uow.points.return_to_lot(entry.id, lot.id, give)
        else:
            reissue += give
        left -= give
    reissue += left  # nothing left to give back to: cannot happen while the sums agree
    if reissue:
        await uow.points.add_lot(hold.member_id, entry.id, reissue, now, now, now + timedelta(days=REISSUE_GRACE_DAYS))
    version = await uow.points.bump_account(hold.member_id, back, now)
    uow.publish_after_commit(PointsChanged(hold.member_id, version, entry.id))
    await uow.holds.add_refunded(hold.id, back, now)
    return back
