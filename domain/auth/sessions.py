"""Sessions: a short-lived access token plus a rotating refresh token.

Refresh tokens are opaque, stored hashed, and belong to a family. Each refresh uses the
presented token up and issues the next one; presenting a used token again means it was
stolen or replayed, so the whole family is revoked.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.auth.viewer import Role, StaffGrant
from domain.errors import Unauthenticated
from domain.events import AccessEnded
from domain.ports import RefreshTokenRecord, TokenIssuer, UnitOfWork


@dataclass(frozen=True)
class SessionPolicy:
    refresh_ttl_seconds: int = 30 * 24 * 3600


@dataclass(frozen=True)
class AuthSession:
    role: Role
    subject_id: int
    access_token: str
    access_expires_at: datetime
    refresh_token: str
    refresh_expires_at: datetime


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class SessionIssuer:
    """What opening a session needs besides the transaction: the token signer and the refresh policy."""

    tokens: TokenIssuer
    policy: SessionPolicy

    async def open(self, uow: UnitOfWork, role: Role, subject_id: int, now: datetime,
                   family_id: str | None = None) -> AuthSession:
        """Issue an access token and a refresh token (inside the caller's transaction)."""
        refresh = secrets.token_urlsafe(32)
        refresh_expires = now + timedelta(seconds=self.policy.refresh_ttl_seconds)
        family = family_id or secrets.token_hex(16)
        await uow.refresh_tokens.add(hash_refresh_token(refresh), family, role, subject_id, now, refresh_expires)
        staff = None
        if role is Role.STAFF:
            account = await uow.staff.get(subject_id)
            staff = StaffGrant(account.role, account.version) if account is not None else None
        access = self.tokens.issue_access(role, subject_id, now, session_id=family, staff=staff)
        return AuthSession(role, subject_id, access.token, access.expires_at, refresh, refresh_expires)


async def refresh_session(uow: UnitOfWork, issuer: SessionIssuer, refresh_token: str, now: datetime) -> AuthSession:
    async with uow:
        record = await uow.refresh_tokens.find(hash_refresh_token(refresh_token))
        if record is None or record.revoked_at is not None or record.expires_at <= now:
            raise Unauthenticated("This session has ended; sign in again.")
        if not await _subject_still_allowed(uow, record.role, record.subject_id):
            await _end_family(uow, record, now)
            await uow.commit()
            raise Unauthenticated("This account can no longer sign in.")
        if record.used_at is not None or not await uow.refresh_tokens.mark_used(record.id, now):
            # Reuse of a rotated token: whoever holds the family is not to be trusted.
            await _end_family(uow, record, now)
            await uow.commit()
            raise Unauthenticated("This refresh token was already used; sign in again.")
        session = await issuer.open(uow, record.role, record.subject_id, now, family_id=record.family_id)
        await uow.commit()
        return session


async def _subject_still_allowed(uow: UnitOfWork, role: Role, subject_id: int) -> bool:
    if role is Role.STAFF:
        account = await uow.staff.get(subject_id)
        return account is not None and account.active
    if role is Role.MEMBER:
        member = await uow.members.get(subject_id)
        return member is not None and not member.is_erased
    return True


async def sign_out(uow: UnitOfWork, refresh_token: str, now: datetime) -> None:
    """End the session the token belongs to. Unknown tokens are ignored so nothing leaks."""
    async with uow:
        record = await uow.refresh_tokens.find(hash_refresh_token(refresh_token))
        if record is not None:
            await _end_family(uow, record, now)
            await uow.commit()


async def _end_family(uow: UnitOfWork, record: RefreshTokenRecord, now: datetime) -> None:
    """Revoke the family's refresh tokens; its open websockets (on any worker) close after commit."""
    await uow.refresh_tokens.revoke_family(record.family_id, now)
    uow.publish_after_commit(AccessEnded(record.role.value, record.subject_id, record.family_id, "SESSION_ENDED"))
