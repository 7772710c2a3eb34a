"""Storage for login codes, refresh tokens, staff accounts and the audit log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Row, and_, delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.auth.viewer import Role, StaffRole
from domain.ports import LoginCodeRecord, RefreshTokenRecord, StaffAccount, StaffChange
from domain.privacy.model import Erasure
from domain.store.json_scrub import scrub_json_rows
from domain.store.tables import audit_log, login_codes, refresh_tokens, staff_accounts, staff_stores


class SqlLoginCodeRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, phone: str, code_hash: str, now: datetime, expires_at: datetime) -> None:
        await self._conn.execute(
            insert(login_codes).values(phone=phone, code_hash=code_hash, created_at=now, expires_at=expires_at)
        )

    async def created_since(self, phone: str, since: datetime) -> list[datetime]:
        rows = await self._conn.scalars(
            select(login_codes.c.created_at).where(login_codes.c.phone == phone, login_codes.c.created_at > since)
        )
        return list(rows)

    async def latest_live(self, phone: str, now: datetime) -> LoginCodeRecord | None:
        row = (
            await self._conn.execute(
                select(login_codes)
                .where(login_codes.c.phone == phone, login_codes.c.consumed_at.is_(None),
                       login_codes.c.expires_at > now)
                .order_by(login_codes.c.created_at.desc(), login_codes.c.id.desc())
                .limit(1)
            )
        ).first()
        if row is None:
            return None
        return LoginCodeRecord(row.id, row.phone, row.code_hash, row.created_at, row.expires_at,
                               row.attempts, row.consumed_at)

    async def claim_attempt(self, code_id: int, max_attempts: int) -> bool:
        # One statement: concurrent guesses cannot all slip under the limit.
        result = await self._conn.execute(
            update(login_codes)
            .where(login_codes.c.id == code_id, login_codes.c.attempts < max_attempts,
                   login_codes.c.consumed_at.is_(None))
            .values(attempts=login_codes.c.attempts + 1)
        )
        return result.rowcount == 1

    async def consume(self, code_id: int, now: datetime) -> bool:
        result = await self._conn.execute(
            update(login_codes)
            .where(login_codes.c.id == code_id, login_codes.c.consumed_at.is_(None))
            .values(consumed_at=now)
        )
        return result.rowcount == 1

    async def erase_member(self, erasure: Erasure) -> None:
        await self._conn.execute(delete(login_codes).where(login_codes.c.phone.in_(erasure.identifiers)))


class SqlRefreshTokenRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, token_hash: str, family_id: str, role: Role, subject_id: int,
                  now: datetime, expires_at: datetime) -> None:
        await self._conn.execute(
            insert(refresh_tokens).values(
                token_hash=token_hash, family_id=family_id, role=role.value, subject_id=subject_id,
                created_at=now, expires_at=expires_at,
            )
        )

    async def find(self, token_hash: str) -> RefreshTokenRecord | None:
        row = (await self._conn.execute(
            select(refresh_tokens).where(refresh_tokens.c.token_hash == token_hash)
        )).first()
        if row is None:
            return None
        return RefreshTokenRecord(row.id, row.family_id, Role(row.role), row.subject_id, row.expires_at,
                                  row.used_at, row.revoked_at)

    async def mark_used(self, token_id: int, now: datetime) -> bool:
        # Conditional update: of two concurrent refreshes with one token, only one wins.
        result = await self._conn.execute(
            update(refresh_tokens)
            .where(refresh_tokens.c.id == token_id, refresh_tokens.c.used_at.is_(None),
                   refresh_tokens.c.revoked_at.is_(None))
            .values(used_at=now)
        )
        return result.rowcount == 1

    async def revoke_family(self, family_id: str, now: datetime) -> None:
        await self._conn.execute(
            update(refresh_tokens)
            .where(refresh_tokens.c.family_id == family_id, refresh_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    async def revoke_subject(self, role: Role, subject_id: int, now: datetime) -> None:
        """Every live refresh token of one subject stops working (a merged member, a deactivated staff account)."""
        await self._conn.execute(
            update(refresh_tokens)
            .where(refresh_tokens.c.role == role.value, refresh_tokens.c.subject_id == subject_id,
                   refresh_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now))

    async def erase_member(self, erasure: Erasure) -> None:
        """Signed out everywhere: no refresh token of the member works again."""
        await self._conn.execute(
            update(refresh_tokens)
            .where(refresh_tokens.c.role == Role.MEMBER.value, refresh_tokens.c.subject_id == erasure.member_id,
                   refresh_tokens.c.revoked_at.is_(None))
            .values(revoked_at=erasure.now)
        )


def _staff(row: Row, store_ids: Sequence[str] = ()) -> StaffAccount:
    return StaffAccount(row.id, row.username, row.password_hash, row.display_name, row.active,
                        StaffRole(row.role), row.version, tuple(sorted(store_ids)), row.created_at)


class SqlStaffRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def _with_stores(self, row: Row | None) -> StaffAccount | None:
        if row is None:
            return None
        stores = (await self._conn.execute(
            select(staff_stores.c.store_id).where(staff_stores.c.staff_id == row.id))).scalars().all()
        return _staff(row, stores)

    async def get(self, staff_id: int) -> StaffAccount | None:
        """One statement (every staff request runs it, see domain/auth/admission): the account joined
        to its stores, one row per store."""
        rows = (await self._conn.execute(
            select(staff_accounts, staff_stores.c.store_id.label("assigned_store"))
            .outerjoin(staff_stores, staff_stores.c.staff_id == staff_accounts.c.id)
            .where(staff_accounts.c.id == staff_id))).all()
        if not rows:
            return None
        return _staff(rows[0], [r.assigned_store for r in rows if r.assigned_store is not None])

    async def get_by_username(self, username: str) -> StaffAccount | None:
        row = (await self._conn.execute(
            select(staff_accounts).where(staff_accounts.c.username == username)
        )).first()
        return await self._with_stores(row)

    async def add(self, username: str, password_hash: str, display_name: str, now: datetime,
                  role: StaffRole = StaffRole.HQ_ADMIN, store_ids: Sequence[str] = ()) -> StaffAccount:
        result = await self._conn.execute(
            insert(staff_accounts)
            .values(username=username, password_hash=password_hash, display_name=display_name, created_at=now,
                    role=role.value)
            .returning(*staff_accounts.c)
        )
        row = result.one()
        await self._set_stores(row.id, store_ids)
        return _staff(row, store_ids)

    async def _set_stores(self, staff_id: int, store_ids: Sequence[str]) -> None:
        await self._conn.execute(delete(staff_stores).where(staff_stores.c.staff_id == staff_id))
        if store_ids:
            await self._conn.execute(insert(staff_stores), [{"staff_id": staff_id, "store_id": s} for s in store_ids])

    async def change(self, staff_id: int, change: StaffChange) -> StaffAccount | None:
        values: dict[str, object] = {"version": staff_accounts.c.version + 1}
        if change.role is not None:
            values["role"] = change.role.value
        if change.active is not None:
            values["active"] = change.active
        if change.password_hash is not None:
            values["password_hash"] = change.password_hash
        row = (await self._conn.execute(
            update(staff_accounts).where(staff_accounts.c.id == staff_id).values(**values)
            .returning(*staff_accounts.c))).first()
        if row is None:
            return None
        if change.store_ids is not None:
            await self._set_stores(staff_id, change.store_ids)
        return await self._with_stores(row)

    async def page(self, limit: int, after_id: int | None) -> list[StaffAccount]:
        query = select(staff_accounts).order_by(staff_accounts.c.id).limit(limit)
        if after_id is not None:
            query = query.where(staff_accounts.c.id > after_id)
        rows = (await self._conn.execute(query)).all()
        if not rows:
            return []
        stores: dict[int, list[str]] = {r.id: [] for r in rows}
        for staff_id, store_id in (await self._conn.execute(
                select(staff_stores.c.staff_id, staff_stores.c.store_id)
                .where(staff_stores.c.staff_id.in_(list(stores))))).all():
            stores[staff_id].append(store_id)
        return [_staff(r, stores[r.id]) for r in rows]


class SqlAuditLog:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def record(self, actor: Role, actor_id: int, action: str, target: str,
                     detail: dict[str, object], now: datetime) -> None:
        await self._conn.execute(
            insert(audit_log).values(actor_role=actor.value, actor_id=actor_id, action=action, target=target,
                                     detail=detail, created_at=now)
        )

    async def record_many(self, actor: Role, actor_id: int, action: str, targets: Sequence[str],
                          detail: dict[str, object], now: datetime) -> None:
        if targets:
            await self._conn.execute(insert(audit_log), [
                dict(actor_role=actor.value, actor_id=actor_id, action=action, target=t, detail=detail,
                     created_at=now) for t in targets])

    async def erase_member(self, erasure: Erasure) -> None:
        """Entries stay (who did what, when) but lose the member's personal values."""
        tied = or_(audit_log.c.target == f"member:{erasure.member_id}",
                   and_(audit_log.c.actor_role == Role.MEMBER.value, audit_log.c.actor_id == erasure.member_id))
        await scrub_json_rows(self._conn, audit_log, "detail", erasure.identifiers, erasure.names, tied)
