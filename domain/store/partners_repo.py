"""Partner accounts, member links, burn authorisations and partner transactions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Row, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.partners.model import Partner, PartnerLink, PartnerTransaction
from domain.privacy.model import ERASED_PHONE_PREFIX, Erasure
from domain.store.tables import partner_auth_codes, partner_links, partner_transactions, partners


def _partner(row: Row) -> Partner:
    return Partner(row.id, row.name, row.client_id, list(row.secret_hashes), row.partner_units, row.program_points,
                   row.daily_earn_cap, row.daily_burn_cap, list(row.operations), row.active, row.tokens_valid_after)


def _link(row: Row) -> PartnerLink:
    return PartnerLink(row.partner_id, row.member_id, row.member_ref, row.share_phone, row.active)


def _txn(row: Row) -> PartnerTransaction:
    return PartnerTransaction(row.id, row.partner_id, row.txn_id, row.kind, row.member_id, row.partner_amount,
                              row.points, row.entry_id, row.created_at, row.reversed)


class SqlPartnerRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def save(self, partner: Partner) -> Partner:
        values = dict(name=partner.name, client_id=partner.client_id, secret_hashes=list(partner.secret_hashes),
                      partner_units=partner.partner_units, program_points=partner.program_points,
                      daily_earn_cap=partner.daily_earn_cap, daily_burn_cap=partner.daily_burn_cap,
                      operations=list(partner.operations), active=partner.active,
                      tokens_valid_after=partner.tokens_valid_after)
        statement = (update(partners).where(partners.c.id == partner.id).values(**values) if partner.id
                     else insert(partners).values(**values))
        return _partner((await self._conn.execute(statement.returning(*partners.c))).one())

    async def get(self, partner_id: int) -> Partner | None:
        row = (await self._conn.execute(select(partners).where(partners.c.id == partner_id))).first()
        return _partner(row) if row else None

    async def by_client_id(self, client_id: str) -> Partner | None:
        row = (await self._conn.execute(select(partners).where(partners.c.client_id == client_id))).first()
        return _partner(row) if row else None

    async def link(self, partner_id: int, member_id: int, member_ref: str, share_phone: bool,
                   now: datetime) -> PartnerLink:
        existing = await self.link_for(partner_id, member_id)
        if existing is None:
            await self._conn.execute(insert(partner_links).values(
                partner_id=partner_id, member_id=member_id, member_ref=member_ref, share_phone=share_phone,
                active=True, linked_at=now))
        else:
            await self._conn.execute(update(partner_links).where(
                partner_links.c.partner_id == partner_id, partner_links.c.member_id == member_id).values(
                share_phone=share_phone, active=True, linked_at=now))
        found = await self.link_for(partner_id, member_id)
        assert found is not None
        return found

    async def unlink(self, partner_id: int, member_id: int) -> bool:
        result = await self._conn.execute(update(partner_links).where(
            partner_links.c.partner_id == partner_id, partner_links.c.member_id == member_id,
            partner_links.c.active.is_(True)).values(active=False, share_phone=False))
        return result.rowcount == 1

    async def link_by_ref(self, partner_id: int, member_ref: str) -> PartnerLink | None:
        row = (await self._conn.execute(select(partner_links).where(
            partner_links.c.partner_id == partner_id, partner_links.c.member_ref == member_ref))).first()
        return _link(row) if row else None

    async def link_for(self, partner_id: int, member_id: int) -> PartnerLink | None:
        row = (await self._conn.execute(select(partner_links).where(
            partner_links.c.partner_id == partner_id, partner_links.c.member_id == member_id))).first()
        return _link(row) if row else None

    async def add_auth_code(self, partner_id: int, member_id: int, code_hash: str, max_points: int,
                            expires_at: datetime) -> None:
        await self._conn.execute(insert(partner_auth_codes).values(
            partner_id=partner_id, member_id=member_id, code_hash=code_hash, max_points=max_points,
            expires_at=expires_at))

    async def use_auth_code(self, partner_id: int, member_id: int, code_hash: str, points: int,
                            now: datetime) -> bool:
        # One conditional UPDATE: a replayed or concurrent second use matches nothing.
        result = await self._conn.execute(update(partner_auth_codes).where(
            partner_auth_codes.c.code_hash == code_hash, partner_auth_codes.c.partner_id == partner_id,
            partner_auth_codes.c.member_id == member_id, partner_auth_codes.c.used_at.is_(None),
            partner_auth_codes.c.expires_at > now, partner_auth_codes.c.max_points >= points).values(used_at=now))
        return result.rowcount == 1

    async def transaction(self, partner_id: int, txn_id: str) -> PartnerTransaction | None:
        row = (await self._conn.execute(select(partner_transactions).where(
            partner_transactions.c.partner_id == partner_id, partner_transactions.c.txn_id == txn_id))).first()
        return _txn(row) if row else None

    async def add_transaction(self, partner_id: int, txn_id: str, kind: str, member_id: int, partner_amount: int,
                              points: int, entry_id: int | None, now: datetime) -> PartnerTransaction:
        row = (await self._conn.execute(insert(partner_transactions).values(
            partner_id=partner_id, txn_id=txn_id, kind=kind, member_id=member_id, partner_amount=partner_amount,
            points=points, entry_id=entry_id, created_at=now).returning(*partner_transactions.c))).one()
        return _txn(row)

    async def mark_reversed(self, transaction_id: int) -> bool:
        result = await self._conn.execute(update(partner_transactions).where(
            partner_transactions.c.id == transaction_id, partner_transactions.c.reversed.is_(False))
            .values(reversed=True))
        return result.rowcount == 1

    async def points_between(self, partner_id: int, member_id: int | None, kind: str, start: datetime,
                             end: datetime) -> int:
        query = select(func.coalesce(func.sum(partner_transactions.c.points), 0)).where(
            partner_transactions.c.partner_id == partner_id, partner_transactions.c.kind == kind,
            partner_transactions.c.created_at >= start, partner_transactions.c.created_at < end)
        if member_id is not None:
            query = query.where(partner_transactions.c.member_id == member_id)
        return int(await self._conn.scalar(query))

    async def statement(self, partner_id: int, start: datetime, end: datetime) -> list[tuple[str, str, int, int]]:
        rows = await self._conn.execute(select(partner_transactions).where(
            partner_transactions.c.partner_id == partner_id, partner_transactions.c.created_at >= start,
            partner_transactions.c.created_at < end).order_by(partner_transactions.c.created_at))
        sums: dict[tuple[str, str], list[int]] = {}
        for row in rows:
            key = (row.created_at.date().isoformat(), row.kind)
            total = sums.setdefault(key, [0, 0])
            total[0] += row.partner_amount
            total[1] += row.points
        return [(day, kind, amount, points) for (day, kind), (amount, points) in sorted(sums.items())]



    async def member_refs(self, member_id: int) -> list[str]:
        return list(await self._conn.scalars(select(partner_links.c.member_ref)
                                             .where(partner_links.c.member_id == member_id)))

    async def stop_sharing_phone(self, member_id: int) -> None:
        await self._conn.execute(update(partner_links).where(partner_links.c.member_id == member_id)
                                 .values(share_phone=False))

    async def erase_member(self, erasure: Erasure) -> None:
        """Links are revoked and their references retired: a partner asking about the old reference
        finds nobody. Transactions stay for the partner statements."""
        rows = await self._conn.execute(select(partner_links.c.partner_id)
                                        .where(partner_links.c.member_id == erasure.member_id))
        for partner_id in [r.partner_id for r in rows]:
            await self._conn.execute(update(partner_links).where(
                partner_links.c.partner_id == partner_id, partner_links.c.member_id == erasure.member_id,
            ).values(active=False, share_phone=False,
                     member_ref=f"{ERASED_PHONE_PREFIX}{partner_id}:{erasure.member_id}"))
        await self._conn.execute(delete(partner_auth_codes).where(
            partner_auth_codes.c.member_id == erasure.member_id, partner_auth_codes.c.used_at.is_(None)))
