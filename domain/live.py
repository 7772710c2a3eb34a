"""What live subscriptions read: a member's changes since a cursor, so a client that reconnects
with the last cursor it saw gets everything it missed, from the database, before live events."""

from __future__ import annotations

from domain.auth.viewer import Viewer
from domain.benefits.model import Redemption
from domain.errors import BadUserInput
from domain.offers.model import Coupon
from domain.points.model import Entry
from domain.ports import UnitOfWork

BACKLOG_LIMIT = 500


def own_member(viewer: Viewer) -> int:
    """Members subscribe to their own streams only."""
    return viewer.require_member()


async def entries_since(uow: UnitOfWork, member_id: int, after_id: int) -> list[Entry]:
    if after_id < 0:
        raise BadUserInput.for_field("after", "Cursors are not negative.")
    async with uow:
        return await uow.points.entries_after(member_id, after_id, BACKLOG_LIMIT)


async def coupons_since(uow: UnitOfWork, member_id: int, after_id: int) -> list[Coupon]:
    if after_id < 0:
        raise BadUserInput.for_field("after", "Cursors are not negative.")
    async with uow:
        return await uow.coupons.coupons_after(member_id, after_id, BACKLOG_LIMIT)


async def redemption(uow: UnitOfWork, member_id: int, redemption_id: int) -> Redemption | None:
    async with uow:
        found = await uow.rewards.redemption(redemption_id)
    return found if found and found.member_id == member_id else None
