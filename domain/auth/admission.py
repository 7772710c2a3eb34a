"""Staff and partner tokens are checked against the account on every request and websocket (re)check.

Access tokens are stateless, but a staff account's role, stores and standing change while its
tokens live: the token carries the role and the account version it was issued for, and a token
whose version is not the account's current one (role changed, stores reassigned, password reset,
deactivated) is refused at once. The client refreshes (a deactivated account cannot) and gets a
token for the account as it is now. A clerk's assigned stores are read here, so the use cases'
store checks see the current assignment.

A partner's tokens are refused once the partner is deactivated or its secrets are revoked: every
token issued up to and including that second (`iat` has whole seconds, so a token of the same second
may predate the revocation; failing closed, one fetched right after it waits a second)."""

from __future__ import annotations

from dataclasses import replace

from domain.auth.viewer import Role, StaffRole, Viewer
from domain.ports import UnitOfWork

DEACTIVATED = "ACCOUNT_DEACTIVATED"
OUTDATED = "TOKEN_OUTDATED"


REVOKED = "TOKEN_REVOKED"


async def admit_staff(uow: UnitOfWork, viewer: Viewer) -> Viewer:
    """The viewer with its stores filled in, or a rejected viewer saying why; members pass unchanged."""
    if viewer.role is Role.PARTNER and viewer.subject_id is not None:
        return await _admit_partner(uow, viewer, viewer.subject_id)
    if viewer.role is not Role.STAFF or viewer.subject_id is None:
        return viewer
    async with uow.read_only():
        account = await uow.staff.get(viewer.subject_id)
    if account is None or not account.active:
        return Viewer.rejected("This staff account was deactivated.", DEACTIVATED)
    if viewer.staff_version != account.version or viewer.staff_role is not account.role:
        return Viewer.rejected("This staff account changed; refresh the session.", OUTDATED)
    stores = frozenset(account.store_ids) if account.role is StaffRole.STORE_CLERK else None
    return replace(viewer, store_ids=stores)


async def _admit_partner(uow: UnitOfWork, viewer: Viewer, partner_id: int) -> Viewer:
    async with uow.read_only():
        partner = await uow.partners.get(partner_id)
    if partner is None or not partner.active:
        return Viewer.rejected("This partner account was deactivated.", DEACTIVATED)
    cutoff = partner.tokens_valid_after
    if cutoff is not None and (viewer.issued_at or 0) <= int(cutoff.timestamp()):
        return Viewer.rejected("This token was revoked; fetch a new one.", REVOKED)
    return viewer
