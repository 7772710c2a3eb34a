"""Ledger storage: accounts (locked per transaction), entries, lots and lot moves."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy import Row, and_, bindparam, case, exists, func, insert, or_, select, true, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.points.model import Entry, EntryKind, Lot
from domain.points.ports import NewEntry
from domain.privacy.model import Erasure
from domain.store.ledger_statements import (
    PG_CREDIT,
    PG_DEBIT,
    as_taken,
    chosen_lots,
    entry_params,
    written_entry,
)
from domain.store.tables import members, points_accounts, points_entries, points_holds, points_lot_moves, points_lots

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
    free = lots.remaining - lots.held  # held points are reserved for a payment's capture
    return select(
        func.coalesce(func.sum(case((spendable, free), else_=0)), 0),
        func.coalesce(func.sum(case((lots.available_at > now, lots.remaining), else_=0)), 0),
        func.coalesce(func.sum(case((spendable & (lots.expires_at <= horizon), free), else_=0)), 0),
        func.min(case((lots.available_at > now, lots.available_at))),
        func.min(case((spendable, lots.expires_at))),
        func.min(case((spendable & (lots.expires_at > horizon), lots.expires_at))),
        func.coalesce(func.sum(lots.held), 0),
    ).where(lots.member_id == bindparam("member_id", type_=lots.member_id.type), lots.remaining > 0)


_LOT_TOTALS = _lot_totals_statement()


def _upsert(conn: AsyncConnection):
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(points_accounts)


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
        # (balance, version) of the accounts this transaction moved, as their last update returned them.
        self._accounts: dict[int, tuple[int, int]] = {}
        self._paid_with_points: set[int] = set()  # locked members with a captured points payment
        self._locked: dict[int, int] = {}  # account locks this transaction holds, with the balance then

    def note_moved(self, member_ids: Sequence[int]) -> None:
        self.moved.update(member_ids)

    async def lock_account(self, member_id: int, now: datetime) -> int:
        return (await self.lock_accounts([member_id], now))[member_id]

    async def lock_accounts(self, member_ids: Sequence[int], now: datetime) -> dict[int, int]:
        # Always in ascending id order, so two transactions locking the same pair cannot deadlock.
        # One statement per account: an upsert whose no-op update takes the row lock (as FOR UPDATE
        # would) and hands back the balance, created or not.
        balances: dict[int, int] = {}
        for member_id in sorted(set(member_ids)):
            if member_id in self._locked:  # already held by this transaction: no second round trip
                balances[member_id] = self._accounts.get(member_id, (self._locked[member_id], 0))[0]
                continue
            # The same round trip tells whether the member has a captured points payment, so a
            # purchase only looks for its order's payment when there can be one.
            # (SQLite allows no subquery in RETURNING: there the purchase always looks.)
            paid = (exists().where(points_holds.c.member_id == points_accounts.c.member_id,
                                   points_holds.c.status == "CAPTURED")
                    if self._conn.dialect.name == "postgresql" else true())
            row = (await self._conn.execute(
                _upsert(self._conn).values(member_id=member_id, balance=0, version=0, updated_at=now)
                .on_conflict_do_update(index_elements=["member_id"],
                                       set_={"member_id": points_accounts.c.member_id})
                .returning(points_accounts.c.balance, paid)
            )).one()
            balances[member_id] = self._locked[member_id] = int(row[0])
            if row[1]:
                self._paid_with_points.add(member_id)
        return balances

    def may_have_points_payment(self, member_id: int) -> bool:
        """After lock_account: False when the member has no captured points payment at all."""
        return member_id not in self._locked or member_id in self._paid_with_points

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
        row = (await self._conn.execute(
            update(points_accounts)
            .where(points_accounts.c.member_id == member_id)
            .values(balance=points_accounts.c.balance + delta, version=points_accounts.c.version + 1,
                    updated_at=now)
            .returning(points_accounts.c.balance, points_accounts.c.version)
        )).one()
        self._accounts[member_id] = (int(row.balance), int(row.version))
        return int(row.version)

    async def credit_lots(self, new: NewEntry, now: datetime, lots: Sequence[tuple[int, datetime, datetime]]
                          ) -> tuple[Entry, int]:
        """A credit entry, its lots ((amount, available_at, expires_at) each) and the account moved by
        `new.amount`: one statement on PostgreSQL whatever the number of lots. Returns the entry and
        the account's new version. The caller holds the account lock."""
        if self._conn.dialect.name != "postgresql":
            entry = await self.add_entry(new, now)
            await self._conn.execute(insert(points_lots), [
                dict(member_id=new.member_id, entry_id=entry.id, original=amount, remaining=amount, earned_at=now,
                     available_at=available_at, expires_at=expires_at) for amount, available_at, expires_at in lots])
            return entry, await self.bump_account(new.member_id, new.amount, now)
        self.moved.add(new.member_id)
        params = entry_params(new, now)
        params.update(amounts=[a for a, _, _ in lots], availables=[a for _, a, _ in lots],
                      expiries=[e for _, _, e in lots])
        row = (await self._conn.execute(PG_CREDIT, params)).one()
        self._accounts[new.member_id] = (int(row.balance), int(row.version))
        return written_entry(row.entry_id, new, now), int(row.version)

    async def debit_lots(self, new: NewEntry, now: datetime, first_lot_ids: Sequence[int], allow_shortfall: bool
                         ) -> tuple[Entry | None, list[tuple[int, int, datetime]], int, int]:
        """Take `-new.amount` points: the named lots first (pending or not), then spendable lots oldest
        first, chosen and updated set-based, their moves inserted together, the entry written with the
        amount actually taken (details carry `shortfall` when short) and the account moved. On
        PostgreSQL all of it is one statement, whatever the number of lots. Nothing is written when
        nothing could be taken, or when the debit is short and `allow_shortfall` is false.
        Returns (entry or None, [(lot id, points taken, lot expiry)], points coverable, new version)."""
        wanted = -new.amount
        if self._conn.dialect.name != "postgresql":
            return await self._debit_lots_stepwise(new, now, wanted, list(first_lot_ids), allow_shortfall)
        params = entry_params(new, now)
        params.update(first=list(first_lot_ids), wanted=wanted, allow=allow_shortfall)
        rows = (await self._conn.execute(PG_DEBIT, params)).all()
        taken = int(rows[0].taken)
        if rows[0].entry_id is None:
            return None, [], taken, 0
        self.moved.add(new.member_id)
        self._accounts[new.member_id] = (int(rows[0].balance), int(rows[0].version))
        takes = sorted(((int(r.lot_id), int(r.take), r.expires_at) for r in rows if r.lot_id is not None),
                       key=lambda t: t[0])
        return written_entry(rows[0].entry_id, as_taken(new, taken, wanted), now), takes, taken, int(rows[0].version)

    async def _debit_lots_stepwise(self, new: NewEntry, now: datetime, wanted: int, first: list[int],
                                   allow_shortfall: bool) -> tuple[Entry | None, list[tuple[int, int, datetime]],
                                                                   int, int]:
        # SQLite (tests, the embedded default): the same choice in a fixed five statements.
        rows = (await self._conn.execute(chosen_lots(first), {"member_id": new.member_id, "now": now,
                                                                "wanted": wanted})).all()
        takes = [(int(r.id), int(r.take), r.expires_at) for r in rows]
        taken = sum(t for _, t, _ in takes)
        if taken == 0 or (taken < wanted and not allow_shortfall):
            return None, [], taken, 0
        entry = await self.add_entry(as_taken(new, taken, wanted), now)
        lots = points_lots.c
        await self._conn.execute(
            update(points_lots).where(lots.id.in_([i for i, _, _ in takes]))
            .values(remaining=lots.remaining - case({i: t for i, t, _ in takes}, value=lots.id)))
        await self._conn.execute(insert(points_lot_moves), [
            dict(entry_id=entry.id, lot_id=i, amount=-t) for i, t, _ in takes])
        version = await self.bump_account(new.member_id, -taken, now)
        return entry, takes, taken, version

    async def add_lot(self, member_id: int, entry_id: int, amount: int, earned_at: datetime,
                      available_at: datetime, expires_at: datetime) -> int:
        return int(await self._conn.scalar(
            insert(points_lots).values(
                member_id=member_id, entry_id=entry_id, original=amount, remaining=amount, earned_at=earned_at,
                available_at=available_at, expires_at=expires_at,
            ).returning(points_lots.c.id)
        ))

    async def open_lots(self, member_id: int) -> list[Lot]:
        """`remaining` net of points-payment holds: what any debit (or expiry) may take."""
        free = (points_lots.c.remaining - points_lots.c.held).label("remaining")
        rows = await self._conn.execute(
            select(*(c for c in points_lots.c if c.name != "remaining"), free)
            .where(points_lots.c.member_id == member_id, points_lots.c.remaining - points_lots.c.held > 0)
            .order_by(points_lots.c.earned_at, points_lots.c.id)
        )
        return [_lot(r) for r in rows]

    async def lot_totals(self, member_id: int, now: datetime, horizon: datetime) -> tuple[int, int, int, list, int]:
        """(available, pending, expiring by horizon, [moments the split next changes], held) in one query."""
        row = (await self._conn.execute(_LOT_TOTALS, {"member_id": member_id, "now": now, "horizon": horizon})).one()
        return int(row[0]), int(row[1]), int(row[2]), [row[3], row[4], row[5]], int(row[6])

    async def lot(self, lot_id: int) -> Lot | None:
        row = (await self._conn.execute(select(points_lots).where(points_lots.c.id == lot_id))).first()
        return _lot(row) if row else None

    async def take_from_lot(self, entry_id: int, lot_id: int, amount: int) -> None:
        result = await self._conn.execute(
            update(points_lots)
            .where(points_lots.c.id == lot_id, points_lots.c.remaining - points_lots.c.held >= amount)
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
        if member_id in self._accounts:  # moved by this transaction: the RETURNING of that move
            return self._accounts[member_id]
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
            .where(points_lots.c.remaining - points_lots.c.held > 0, points_lots.c.expires_at <= now)
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
