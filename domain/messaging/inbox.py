"""The member's inbox: a keyset page newest first, the unread count, marking read (idempotent)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from domain import cursors
from domain.deps import Deps
from domain.errors import BadUserInput, NotFound
from domain.messaging.model import Notification, Page
from domain.ports import UnitOfWork

MAX_PAGE = 100
MAX_MARK = 100


@dataclass(frozen=True)
class InboxPage:
    member_id: int
    first: int = 20
    after: str | None = None


async def notifications_page(query: InboxPage, deps: Deps) -> Page:
    if not 1 <= query.first <= MAX_PAGE:
        raise BadUserInput.for_field("first", f"Ask for 1 to {MAX_PAGE} notifications.")
    member_id = _own(deps, query.member_id)
    before = cursors.decode_time(query.after) if query.after else None
    async with deps.uow.read_only() as uow:
        found = await uow.messaging.notifications(member_id, before, query.first + 1)
    return Page(found[:query.first], len(found) > query.first)


async def unread_count(member_id: int, deps: Deps) -> int:
    member_id = _own(deps, member_id)
    async with deps.uow.read_only() as uow:
        return await uow.messaging.unread_count(member_id)


@dataclass(frozen=True)
class MarkRead:
    """`notification_ids` None: every notification of the member."""

    notification_ids: Sequence[int] | None


async def mark_read(cmd: MarkRead, deps: Deps) -> int:
    """Marks the member's notifications read; already-read ones stay as they were (a repeat changes
    nothing). Returns the unread count after. An id that is not the member's: NOT_FOUND, nothing marked."""
    member_id = deps.viewer.require_member()
    ids = list(dict.fromkeys(cmd.notification_ids)) if cmd.notification_ids is not None else None
    if ids is not None and not 1 <= len(ids) <= MAX_MARK:
        raise BadUserInput.for_field("ids", f"Name 1 to {MAX_MARK} notifications.")
    now = deps.clock.now()
    async with deps.uow as uow:
        if ids is None:
            await uow.messaging.mark_all_read(member_id, now)
        else:
            if await uow.messaging.owned(member_id, ids) != set(ids):
                raise NotFound("No such notification.")
            await uow.messaging.mark_read(member_id, ids, now)
        count = await uow.messaging.unread_count(member_id)
        await uow.commit()
    return count


def cursor_of(n: Notification) -> str:
    return cursors.encode(n.created_at, n.id)


def _own(deps: Deps, member_id: int) -> int:
    """A member reads their own inbox; staff may read any member's (support)."""
    deps.viewer.require_self_or_staff(member_id)
    return member_id


async def catchup(uow: UnitOfWork, member_id: int, after_id: int | None,
                  limit: int) -> tuple[list[Notification], bool, int]:
    """For the live stream: (missed notifications, resync?, cursor to continue after)."""
    async with uow:
        if after_id is None:
            return [], False, await uow.messaging.last_notification_id(member_id)
        if after_id < 0:
            raise BadUserInput.for_field("after", "Cursors are not negative.")
        found = await uow.messaging.notifications_after(member_id, after_id, limit + 1)
        if len(found) > limit:
            return [], True, await uow.messaging.last_notification_id(member_id)
        return found, False, found[-1].id if found else after_id


async def since(uow: UnitOfWork, member_id: int, after_id: int, limit: int) -> list[Notification]:
    async with uow:
        return await uow.messaging.notifications_after(member_id, after_id, limit)
