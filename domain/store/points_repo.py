"""Ledger storage: accounts (locked per transaction), entries, lots and lot moves."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy import Row, and_, bindparam, case, func, insert, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.points.model import Entry, EntryKind, Lot
from domain.points.ports import NewEntry
from domain.privacy.model import Erasure
from domain.store.dialect import insert_ignoring_conflict
from domain.store.tables import members, points_accounts, points_entries, points_lot_moves, points_lots

# Statements on the member read path, built once with bound parameters: building a select() and
# its cache key costs more Python than running it (the profile of the home query said so).
_MEMBER = bindparam("member_id", type_=points_entries.c.member_id.type)
_HISTORY = (select(points_entries).where(points_entries.c.member_id == _MEMBER)
            .order_by(points_entries.c.created_at.desc(), points_entries.c.id.desc()).limit(bindparam("limit")))
# A row comparison is an index bound; the equivalent OR is not, and would make deep pages walk
# every newer entry.
_HISTORY_BEFORE = _HISTORY.where(tuple_(points_entries.c.created_at, points_entries.c.id) < tuple_(
    bindparam("moment", type_=points_entries.c.created_at.type), bindparam("entry_id", type_=points_entries.c.id.type)))
_ACCOUNT = select(points_accounts.c.balance, points_accounts.c.version).where(
    points_accounts.c.member_id == bindparam("member_id", type_=points_accounts.c.member_id.type))


def _lot_totals_statement():
    lots = points_lots.c
    now = bindparam("now", type_=lots.available_at.type)
    horizon = bindparam("horizon", type_=lots.expires_at.type)
    spendable = (lots.available_at <= now) & (lots.expires_at > now)
    return select(
        func.coalesce(func.sum(case((spendable, lots.remaining), else_=0)), 0),
        func.coalesce(func.sum(case((lots.available_at > now, lots.remaining), else_=0)), 0),
        func.coalesce(func.sum(case((spendable & (lots.expires_at <= horizon), lots.remaining), else_=0)), 0),
        func.min(case((lots.available_at > now, lots.available_at))),
        func.min(case((spendable, lots.expires_at))),
        func.min(case((spendable & (lots.expires_at > horizon), lots.expires_at))),
    ).where(lots.member_id == bindparam("member_id", type_=lots.member_id.type), lots.remaining > 0)


_LOT_TOTALS = _lot_totals_statement()


def _entry(row: Row) -> Entry:
    return Entry(row.id, row.member_id, EntryKind(row.kind), row.amount, row.reason, row.source_type,
                 row.source_ref, row.created_at, dict(row.details or {}))


def _lot(row: Row) -> Lot:
    return Lot(row.id, row.member_id, row.entry_id, row.original, row.remaining, row.earned_at,
               row.available_at, row.expires_at)


class SqlPointsRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn
        # Accounts whose version this transaction moved: the unit of work writes their cached
        # balances through after the commit, so no use case has to remember to.
        self.moved: set[int] = set()

    def note_moved(self, member_ids: Sequence[int]) -> None:
        self.moved.update(member_ids)

    async def lock_account(self, member_id: int, now: datetime) -> int:
        return (await self.lock_accounts([member_id], now))[member_id]

    async def lock_accounts(self, member_ids: Sequence[int], now: datetime) -> dict[int, int]:
        # Always in ascending id order, so two transactions locking the same pair cannot deadlock.
        ordered = sorted(set(member_ids))
        for member_id in ordered:
            await self._conn.execute(
                insert_ignoring_conflict(self._conn, points_accounts, ["member_id"]).values(
                    member_id=member_id, balance=0, version=0, updated_at=now
                )
            )
        balances: dict[int, int] = {}
        for member_id in ordered:
            balances[member_id] = int(await self._conn.scalar(
                select(points_accounts.c.balance).where(points_accounts.c.member_id == member_id).with_for_update()
            ))
        return balances

    async def add_entry(self, entry: NewEntry, now: datetime) -> Entry:
        row = (await self._conn.execute(
            insert(points_entries).values(
                member_id=entry.member_id, kind=entry.kind.value, amount=entry.amount, reason=entry.reason[:200],
                source_type=entry.source_type, source_ref=entry.source_ref[:200],
                idempotency_key=entry.idempotency_key, actor_role=entry.actor_role.value if entry.actor_role else None,
                actor_id=entry.actor_id, details=entry.details or {}, created_at=now,
            ).returning(*points_entries.c)
        )).one()
        return _entry(row)

    async def bump_account(self, member_id: int, delta: int, now: datetime) -> int:
        self.moved.add(member_id)
        return int(await self._conn.scalar(
            update(points_accounts)
            .where(points_accounts.c.member_id == member_id)
            .values(balance=points_accounts.c.balance + delta, version=points_accounts.c.version + 1,
                    updated_at=now)
            .returning(points_accounts.c.version)
        ))

    async def add_lot(self, member_id: int, entry_id: int, amount: int, earned_at: datetime,
                      available_at: datetime, expires_at: datetime) -> int:
        return int(await self._conn.scalar(
            insert(points_lots).values(
                member_id=member_id, entry_id=entry_id, original=amount, remaining=amount, earned_at=earned_at,
                available_at=available_at, expires_at=expires_at,
            ).returning(points_lots.c.id)
        ))

    async def open_lots(self, member_id: int) -> list[Lot]:
        rows = await self._conn.execute(
            select(points_lots)
            .where(points_lots.c.member_id == member_id, points_lots.c.remaining > 0)
            .order_by(points_lots.c.earned_at, points_lots.c.id)
        )
        return [_lot(r) for r in rows]

    async def lot_totals(self, member_id: int, now: datetime, horizon: datetime) -> tuple[int, int, int, list]:
        """(available, pending, expiring by horizon, [moments the split next changes]) in one query."""
        row = (await self._conn.execute(_LOT_TOTALS, {"member_id": member_id, "now": now, "horizon": horizon})).one()
        return int(row[0]), int(row[1]), int(row[2]), [row[3], row[4], row[5]]

    async def lot(self, lot_id: int) -> Lot | None:
        row = (await self._conn.execute(select(points_lots).where(points_lots.c.id == lot_id))).first()
        return _lot(row) if row else None

    async def take_from_lot(self, entry_id: int, lot_id: int, amount: int) -> None:
        result = await self._conn.execute(
            update(points_lots)
            .where(points_lots.c.id == lot_id, points_lots.c.remaining >= amount)
            .values(remaining=points_lots.c.remaining - amount)
        )
        if result.rowcount != 1:
            raise RuntimeError(f"lot {lot_id} cannot give {amount} points")
        await self._conn.execute(insert(points_lot_moves).values(entry_id=entry_id, lot_id=lot_id, amount=-amount))

    async def return_to_lot(self, entry_id: int, lot_id: int, amount: int) -> None:
        result = await self._conn.execute(
            update(points_lots)
            .where(points_lots.c.id == lot_id, points_lots.c.remaining + amount <= points_lots.c.original)
            .values(remaining=points_lots.c.remaining + amount)
        )
        if result.rowcount != 1:
            raise RuntimeError(f"lot {lot_id} cannot take back {amount} points")
        await self._conn.execute(insert(points_lot_moves).values(entry_id=entry_id, lot_id=lot_id, amount=amount))

    async def moves_for_entry(self, entry_id: int) -> list[tuple[int, int]]:
        rows = await self._conn.execute(
            select(points_lot_moves.c.lot_id, points_lot_moves.c.amount)
            .where(points_lot_moves.c.entry_id == entry_id).order_by(points_lot_moves.c.id)
        )
        return [(r.lot_id, r.amount) for r in rows]

    async def entry_by_key(self, source_type: str, idempotency_key: str) -> Entry | None:
        row = (await self._conn.execute(
            select(points_entries).where(points_entries.c.source_type == source_type,
                                         points_entries.c.idempotency_key == idempotency_key)
        )).first()
        return _entry(row) if row else None

    async def entry(self, entry_id: int) -> Entry | None:
        row = (await self._conn.execute(select(points_entries).where(points_entries.c.id == entry_id))).first()
        return _entry(row) if row else None

    async def referral_earnings(self, member_id: int) -> tuple[int, int]:
        row = (await self._conn.execute(select(func.coalesce(func.sum(points_entries.c.amount), 0), func.count()).where(
            points_entries.c.member_id == member_id, points_entries.c.source_type == "referral",
            points_entries.c.idempotency_key.like("referrer/%")))).one()
        return int(row[0]), int(row[1])

    async def entries_after(self, member_id: int, after_id: int, limit: int) -> list[Entry]:
        """Oldest first, each with its running ledger total: the sum up to the cursor plus a window sum."""
        e = points_entries.c
        base = (select(func.coalesce(func.sum(e.amount), 0))
                .where(e.member_id == member_id, e.id <= after_id).scalar_subquery())
        page = (select(points_entries)
                .where(e.member_id == member_id, e.id > after_id).order_by(e.id).limit(limit).subquery())
        rows = await self._conn.execute(
            select(page, (base + func.sum(page.c.amount).over(order_by=page.c.id)).label("running"))
            .order_by(page.c.id)
        )
        return [replace(_entry(r), balance_after=int(r.running)) for r in rows]

    async def running_totals(self, member_id: int, entry_ids: Sequence[int]) -> dict[int, int]:
        """The ledger total right after each of these entries of one member."""
        if not entry_ids:
            return {}
        e = points_entries.c
        low, high = min(entry_ids), max(entry_ids)
        base = (select(func.coalesce(func.sum(e.amount), 0))
                .where(e.member_id == member_id, e.id < low).scalar_subquery())
        span = (select(e.id, (base + func.sum(e.amount).over(order_by=e.id)).label("running"))
                .where(e.member_id == member_id, e.id >= low, e.id <= high).subquery())
        rows = await self._conn.execute(select(span).where(span.c.id.in_(list(entry_ids))))
        return {r.id: int(r.running) for r in rows}

    async def lots_of_entries(self, entry_ids: Sequence[int]) -> dict[int, Lot]:
        """The lot each credit entry created (debits have none)."""
        if not entry_ids:
            return {}
        rows = await self._conn.execute(select(points_lots).where(points_lots.c.entry_id.in_(list(entry_ids))))
        return {r.entry_id: _lot(r) for r in rows}

    async def expiry_schedule(self, member_id: int, now: datetime, limit: int) -> list[tuple[datetime, int]]:
        """(expires at, points) of the member's open lots, soonest first, lots expiring together summed."""
        lots = points_lots.c
        rows = await self._conn.execute(
            select(lots.expires_at, func.sum(lots.remaining)).where(
                lots.member_id == member_id, lots.remaining > 0, lots.expires_at > now)
            .group_by(lots.expires_at).order_by(lots.expires_at).limit(limit))
        return [(at, int(points)) for at, points in rows]

    async def last_entry_id(self, member_id: int) -> int:
        found = await self._conn.scalar(select(func.max(points_entries.c.id))
                                        .where(points_entries.c.member_id == member_id))
        return int(found or 0)

    async def account_version(self, member_id: int) -> tuple[int, int]:
        row = (await self._conn.execute(_ACCOUNT, {"member_id": member_id})).first()
        return (int(row.balance), int(row.version)) if row else (0, 0)

    async def history(self, member_id: int, kinds: Sequence[EntryKind] | None,
                      before: tuple[datetime, int] | None, limit: int) -> list[Entry]:
        query = _HISTORY if before is None else _HISTORY_BEFORE
        params: dict[str, object] = {"member_id": member_id, "limit": limit}
        if before is not None:
            params["moment"], params["entry_id"] = before
        if kinds:
            query = query.where(points_entries.c.kind.in_([k.value for k in kinds]))
        rows = await self._conn.execute(query, params)
        return [_entry(r) for r in rows]

    async def history_newer(self, member_id: int, kinds: Sequence[EntryKind] | None,
                            than: tuple[datetime, int], limit: int) -> list[Entry]:
        """The `limit` entries just newer than `than`, returned newest first (a page scrolled back)."""
        e = points_entries.c
        query = (select(points_entries).where(e.member_id == member_id, tuple_(e.created_at, e.id) > tuple_(*than))
                 .order_by(e.created_at.asc(), e.id.asc()).limit(limit))
        if kinds:
            query = query.where(e.kind.in_([k.value for k in kinds]))
        rows = await self._conn.execute(query)
        return [_entry(r) for r in reversed(list(rows))]

    async def credited_between(self, member_id: int, source_type: str, start: datetime, end: datetime) -> int:
        return int(await self._conn.scalar(
            select(func.coalesce(func.sum(points_entries.c.amount), 0)).where(
                points_entries.c.member_id == member_id, points_entries.c.source_type == source_type,
                points_entries.c.amount > 0, points_entries.c.created_at >= start, points_entries.c.created_at < end,
            )
        ))

    async def debited_between(self, member_id: int, kind: EntryKind, start: datetime, end: datetime) -> int:
        return int(await self._conn.scalar(
            select(func.coalesce(func.sum(points_entries.c.amount), 0)).where(
                points_entries.c.member_id == member_id, points_entries.c.kind == kind.value,
                points_entries.c.created_at >= start, points_entries.c.created_at < end,
            )
        ))

    async def members_with_expired_lots(self, now: datetime, limit: int) -> list[int]:
        rows = await self._conn.scalars(
            select(points_lots.c.member_id)
            .where(points_lots.c.remaining > 0, points_lots.c.expires_at <= now)
            .group_by(points_lots.c.member_id).order_by(points_lots.c.member_id).limit(limit)
        )
        return [int(r) for r in rows]

    async def leaderboard(self, start: datetime, end: datetime, limit: int,
                          after: tuple[int, int] | None = None) -> list[tuple[int, int]]:
        """(member id, points earned), most first; `after` = (points, member id) of the previous page's last."""
        earned = func.sum(points_entries.c.amount).label("earned")
        query = (select(points_entries.c.member_id, earned)
                 .join(members, members.c.id == points_entries.c.member_id)
                 .where(points_entries.c.kind == EntryKind.EARN.value, members.c.leaderboard_opt_out.is_(False),
                        points_entries.c.created_at >= start, points_entries.c.created_at < end)
                 .group_by(points_entries.c.member_id))
        if after is not None:
            total = func.sum(points_entries.c.amount)
            query = query.having(or_(total < after[0], and_(total == after[0],
                                                            points_entries.c.member_id > after[1])))
        rows = await self._conn.execute(query.order_by(earned.desc(), points_entries.c.member_id).limit(limit))
        return [(int(r.member_id), int(r.earned)) for r in rows]

    async def erase_member(self, erasure: Erasure) -> None:
        """Amounts stay (the books, and balance == ledger sum); only free text the member wrote goes:
        gift messages, on their own entries and on the receivers' entries."""
        mine = and_(points_entries.c.member_id == erasure.member_id,
                    points_entries.c.kind.in_([EntryKind.GIFT_OUT.value, EntryKind.GIFT_IN.value]))
        sent = await self._conn.scalars(select(points_entries.c.idempotency_key).where(
            mine, points_entries.c.kind == EntryKind.GIFT_OUT.value))
        # The receiver's entry carries the same key with gift-in/ in front (domain/points/transfers.py),
        # so the unique key index finds it without scanning the ledger.
        received = [k.replace("gift-out/", "gift-in/", 1) for k in sent]
        await self._conn.execute(update(points_entries).where(mine).values(
            reason=case((points_entries.c.kind == EntryKind.GIFT_OUT.value, "Gift sent"), else_="Gift received")))
        for start in range(0, len(received), 500):
            await self._conn.execute(update(points_entries).where(
                points_entries.c.source_type == "gift",
                points_entries.c.idempotency_key.in_(received[start:start + 500]),
            ).values(reason="Gift received"))
