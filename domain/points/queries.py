"""What members and staff read: balances, history pages, expiring points, the leaderboard."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime

from domain import cursors
from domain.auth.viewer import Role, Viewer
from domain.deps import Deps
from domain.errors import BadUserInput
from domain.points.balance import BalanceRead, get_balance
from domain.points.model import Balance, Entry, EntryKind, Lot
from domain.points.ports import Purchase
from domain.ports import UnitOfWork

MAX_PAGE = 100


async def balance_for(query: BalanceRead, deps: Deps) -> Balance:
    """A member's balance, for themselves or staff. `soon_days` None: the program's expiring-soon
    window (the one the cache holds)."""
    deps.viewer.require_self_or_staff(query.member_id)
    if query.soon_days is not None and not 1 <= query.soon_days <= 365:
        raise BadUserInput.for_field("days", "Look 1 to 365 days ahead.")
    return await get_balance(query, deps)


async def running_totals(uow: UnitOfWork, keys: list[tuple[int, int]]) -> dict[tuple[int, int], int]:
    """The ledger total right after each (member_id, entry_id). Callers pass entries the viewer was
    already allowed to read (they come from a history page or a payload)."""
    by_member: dict[int, list[int]] = {}
    for member_id, entry_id in keys:
        by_member.setdefault(member_id, []).append(entry_id)
    found: dict[tuple[int, int], int] = {}
    async with uow.read_only():
        for member_id, entry_ids in by_member.items():
            for entry_id, total in (await uow.points.running_totals(member_id, entry_ids)).items():
                found[(member_id, entry_id)] = total
    return found


async def lots_of_entries(uow: UnitOfWork, entry_ids: list[int]) -> dict[int, Lot]:
    async with uow.read_only():
        return await uow.points.lots_of_entries(entry_ids)


async def expiry_schedule(uow: UnitOfWork, viewer: Viewer, member_id: int, now: datetime,
                          first: int) -> list[tuple[datetime, int]]:
    """When the member's points expire: the next `first` dates with the points expiring then
    (pending points included: they expire on their lot's date too)."""
    viewer.require_self_or_staff(member_id)
    if not 1 <= first <= 50:
        raise BadUserInput.for_field("first", "Ask for 1 to 50 expiry dates.")
    async with uow.read_only():
        return await uow.points.expiry_schedule(member_id, now, first)


@dataclass(frozen=True)
class PurchasePage:
    purchases: list[Purchase]
    has_next: bool
    total: int


async def member_purchases(uow: UnitOfWork, viewer: Viewer, member_id: int, first: int,
                           after: str | None) -> PurchasePage:
    """The member's own purchases (staff: anyone's; a clerk: those at their stores), newest first,
    keyset-paginated."""
    viewer.require_self_or_staff(member_id)
    if not 1 <= first <= MAX_PAGE:
        raise BadUserInput.for_field("first", f"Ask for 1 to {MAX_PAGE} purchases.")
    before = cursors.decode_time(after) if after else None
    async with uow.read_only():
        stores = viewer.store_ids if viewer.role is Role.STAFF else None
        rows = await uow.purchases.member_purchases(member_id, first + 1, before, stores)
        total = await uow.purchases.count_member_purchases(member_id, stores)
    return PurchasePage(rows[:first], len(rows) > first, total)


def encode_cursor(entry: Entry) -> str:
    return cursors.encode(entry.created_at, entry.id)


@dataclass(frozen=True)
class HistoryPage:
    entries: list[Entry]
    has_next: bool
    has_previous: bool = False


@dataclass(frozen=True)
class HistoryQuery:
    """Forwards with `first`/`after` (older entries); back with `last`/`before`. `kinds` None: all."""

    member_id: int
    first: int | None = None
    after: str | None = None
    kinds: list[EntryKind] | None = None
    last: int | None = None
    before: str | None = None


async def history(query: HistoryQuery, deps: Deps) -> HistoryPage:
    """Newest first, keyset-paginated on (created_at, id): page 1000 costs what page 1 costs.
    Forwards with `first`/`after` (older entries); back with `last`/`before` (the newer entries just
    above a cursor, e.g. after a pull-to-refresh in the middle of the list)."""
    uow, member_id, first, after, kinds = deps.uow, query.member_id, query.first, query.after, query.kinds
    last, before = query.last, query.before
    deps.viewer.require_self_or_staff(member_id)
    if last is not None or before is not None:
        if first is not None or after is not None:
            raise BadUserInput.for_field("last", "Page forwards (first/after) or backwards (last/before), not both.")
        if before is None:
            raise BadUserInput.for_field("before", "Paging back needs the cursor to page back from.")
        size = 20 if last is None else last
        if not 1 <= size <= MAX_PAGE:
            raise BadUserInput.for_field("last", f"Ask for 1 to {MAX_PAGE} entries.")
        than = cursors.decode_time(before)
        async with uow.read_only():
            rows = await uow.points.history_newer(member_id, kinds or None, than, size + 1)
        # rows are newest first; the extra one (if any) is the newest, beyond this page.
        return HistoryPage(rows[-size:] if len(rows) > size else rows, True, len(rows) > size)
    size = 20 if first is None else first
    if not 1 <= size <= MAX_PAGE:
        raise BadUserInput.for_field("first", f"Ask for 1 to {MAX_PAGE} entries.")
    older_than = cursors.decode_time(after) if after else None
    async with uow.read_only():
        rows = await uow.points.history(member_id, kinds or None, older_than, size + 1)
    return HistoryPage(rows[:size], len(rows) > size, after is not None)


@dataclass(frozen=True)
class LeaderboardRow:
    rank: int
    member_id: int
    display_name: str
    points: int


@dataclass(frozen=True)
class LeaderboardPage:
    rows: list[LeaderboardRow]
    has_next: bool


def leaderboard_cursor(row: LeaderboardRow) -> str:
    return base64.urlsafe_b64encode(f"{row.points}|{row.member_id}|{row.rank}".encode()).decode()


def _leaderboard_after(cursor: str) -> tuple[int, int, int]:
    try:
        points, member_id, rank = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return int(points), int(member_id), int(rank)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadUserInput.for_field("after", "That cursor is not one this API gave out.") from exc


async def leaderboard(uow: UnitOfWork, start: datetime, end: datetime, limit: int,
                      after: str | None = None) -> LeaderboardPage:
    """Points earned in the period; members who opted out are left out entirely. Keyset on
    (points, member id); ranks continue across pages."""
    if not 1 <= limit <= 100:
        raise BadUserInput.for_field("first", "Ask for 1 to 100 places.")
    points_after, member_after, rank = _leaderboard_after(after) if after else (0, 0, 0)
    async with uow.read_only():
        rows = await uow.points.leaderboard(start, end, limit + 1, (points_after, member_after) if after else None)
        names = await uow.members.names([member_id for member_id, _ in rows[:limit]])
    board: list[LeaderboardRow] = []
    for member_id, points in rows[:limit]:
        name, _opted_out = names.get(member_id, (None, False))
        board.append(LeaderboardRow(rank + len(board) + 1, member_id, _public_name(name), points))
    return LeaderboardPage(board, len(rows) > limit)


def _public_name(name: str | None) -> str:
    if not name:
        return "Member"
    return name[0] + "*" * min(len(name) - 1, 3) if len(name) > 1 else name
