"""What live subscriptions read: a member's changes since a cursor, so a client that reconnects
with the last cursor it saw gets what it missed, from the database, before live events.

A stream opened without a cursor starts from "now" (the current state, then live events): the
history is a paged query, not something to push at every connect. A client whose cursor is further
behind than the replay limit gets one resync (the current state and a fresh cursor) instead of the
backlog, so a long-offline app never waits behind thousands of old items for the new one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from domain.auth.viewer import Viewer
from domain.benefits.model import Redemption
from domain.errors import BadUserInput
from domain.offers.model import Coupon
from domain.points.model import Entry
from domain.ports import UnitOfWork

T = TypeVar("T")


@dataclass(frozen=True)
class Catchup(Generic[T]):
    """What to send after (re)subscribing: the missed items, or a resync to `cursor` when too far behind."""

    items: list[T]
    resync: bool
    cursor: int  # the id the stream continues after


def own_member(viewer: Viewer) -> int:
    """Members subscribe to their own streams only."""
    return viewer.require_member()


def _check_cursor(after_id: int) -> None:
    if after_id < 0:
        raise BadUserInput.for_field("after", "Cursors are not negative.")


async def points_catchup(uow: UnitOfWork, member_id: int, after_id: int | None, limit: int) -> Catchup[Entry]:
    """after_id None: no replay, continue after the newest entry."""
    async with uow:
        if after_id is None:
            return Catchup([], False, await uow.points.last_entry_id(member_id))
        _check_cursor(after_id)
        found = await uow.points.entries_after(member_id, after_id, limit + 1)
        if len(found) > limit:
            return Catchup([], True, await uow.points.last_entry_id(member_id))
        return Catchup(found, False, found[-1].id if found else after_id)


async def entries_since(uow: UnitOfWork, member_id: int, after_id: int, limit: int) -> list[Entry]:
    """Live: the entries after the last one sent (a few, unless the client stalls)."""
    async with uow:
        return await uow.points.entries_after(member_id, after_id, limit)


async def coupons_catchup(uow: UnitOfWork, member_id: int, after_id: int | None, limit: int) -> Catchup[Coupon]:
    async with uow:
        if after_id is None:
            return Catchup([], False, await uow.coupons.last_coupon_id(member_id))
        _check_cursor(after_id)
        found = await uow.coupons.coupons_after(member_id, after_id, limit + 1)
        if len(found) > limit:
            return Catchup([], True, await uow.coupons.last_coupon_id(member_id))
        return Catchup(found, False, found[-1].id if found else after_id)


async def coupons_since(uow: UnitOfWork, member_id: int, after_id: int, limit: int) -> list[Coupon]:
    async with uow:
        return await uow.coupons.coupons_after(member_id, after_id, limit)


async def coupons_since_many(uow: UnitOfWork, after: dict[int, int], limit: int) -> dict[int, list[Coupon]]:
    """coupons_since for every stream woken by the same events (one campaign batch reaches hundreds
    of members at once): one read instead of one per stream. Each stream checked its member first."""
    async with uow:
        return await uow.coupons.coupons_after_many(after, limit)


async def available_coupons_counts(uow: UnitOfWork, member_ids: list[int], now: datetime) -> dict[int, int]:
    """The wallet badge of many streams in one read; each stream checked its member first."""
    async with uow:
        return await uow.coupons.count_available_many(member_ids, now)


async def redemption(uow: UnitOfWork, member_id: int, redemption_id: int) -> Redemption | None:
    async with uow:
        found = await uow.rewards.redemption(redemption_id)
    return found if found and found.member_id == member_id else None
