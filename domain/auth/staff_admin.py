"""Staff management by HQ admins: create accounts, change role or stores, reset passwords,
deactivate. Every change is audited and bumps the account's version, so the access tokens issued
before it are refused on their next request (domain/auth/admission.py); ending access also
revokes the refresh tokens and closes the account's open websockets on every worker."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from domain.auth.passwords import hash_password
from domain.auth.staff import MIN_PASSWORD, checked_stores, create_staff
from domain.auth.viewer import Role, StaffRole
from domain.deps import Deps
from domain.errors import BadUserInput, NotFound
from domain.events import AccessEnded
from domain.ports import StaffAccount, StaffChange, UnitOfWork

MAX_PAGE = 100


@dataclass(frozen=True)
class NewStaff:
    username: str
    display_name: str
    password: str
    role: StaffRole
    store_ids: tuple[str, ...] = ()


def _stores_for(role: StaffRole, store_ids: Sequence[str]) -> tuple[str, ...]:
    stores = checked_stores(store_ids)
    if role is StaffRole.STORE_CLERK and not stores:
        raise BadUserInput.for_field("storeIds", "A store clerk needs at least one store.")
    return stores


async def add_staff(cmd: NewStaff, deps: Deps) -> StaffAccount:
    actor = deps.viewer.require_staff()
    stores = _stores_for(cmd.role, cmd.store_ids)
    account = await create_staff(deps.uow, cmd.username, cmd.password, cmd.display_name, deps.clock.now(),
                                 cmd.role, stores)
    async with deps.uow:
        await deps.uow.audit.record(Role.STAFF, actor, "staff.created", f"staff:{account.id}",
                                    {"username": account.username, "role": account.role.value,
                                     "storeIds": list(account.store_ids)}, deps.clock.now())
        await deps.uow.commit()
    return account


async def _apply(deps: Deps, staff_id: int, change: StaffChange, action: str, detail: dict[str, object],
                 end_sessions: bool) -> StaffAccount:
    """One audited change in one transaction; the account's open sockets close after commit."""
    actor, uow, now = deps.viewer.require_staff(), deps.uow, deps.clock.now()
    async with uow:
        account = await uow.staff.change(staff_id, change)
        if account is None:
            raise NotFound("No such staff account.")
        await uow.audit.record(Role.STAFF, actor, action, f"staff:{staff_id}", detail, now)
        if end_sessions:
            await uow.refresh_tokens.revoke_subject(Role.STAFF, staff_id, now)
        # Its sockets were opened under the old role or stores: they close, the client reconnects
        # with a fresh token (a deactivated account cannot).
        reason = "ACCOUNT_DEACTIVATED" if change.active is False else "STAFF_CHANGED"
        uow.publish_after_commit(AccessEnded(Role.STAFF.value, staff_id, None, reason))
        await uow.commit()
    return account


def _not_self(deps: Deps, staff_id: int, what: str) -> None:
    # An admin locking themselves out (or demoting themselves) needs another admin to undo it.
    if deps.viewer.subject_id == staff_id:
        raise BadUserInput.for_field("staffId", f"Ask another admin to {what} your own account.")


async def deactivate_staff(staff_id: int, deps: Deps) -> StaffAccount:
    deps.viewer.require_staff()
    _not_self(deps, staff_id, "deactivate")
    return await _apply(deps, staff_id, StaffChange(active=False), "staff.deactivated", {}, end_sessions=True)


async def reset_staff_password(staff_id: int, password: str, deps: Deps) -> StaffAccount:
    deps.viewer.require_staff()
    if len(password) < MIN_PASSWORD:
        raise BadUserInput.for_field("password", f"Use at least {MIN_PASSWORD} characters.")
    password_hash = await asyncio.to_thread(hash_password, password)
    # The old password may be known to someone else: every session of the account ends.
    return await _apply(deps, staff_id, StaffChange(password_hash=password_hash), "staff.password-reset", {},
                        end_sessions=True)


async def assign_staff_stores(staff_id: int, store_ids: Sequence[str], deps: Deps) -> StaffAccount:
    deps.viewer.require_staff()
    stores = checked_stores(store_ids)
    async with deps.uow.read_only():
        current = await deps.uow.staff.get(staff_id)
    if current is None:
        raise NotFound("No such staff account.")
    _stores_for(current.role, stores)
    return await _apply(deps, staff_id, StaffChange(store_ids=stores), "staff.stores-assigned",
                        {"storeIds": list(stores), "before": list(current.store_ids)}, end_sessions=False)


async def change_staff_role(staff_id: int, role: StaffRole, store_ids: Sequence[str] | None,
                            deps: Deps) -> StaffAccount:
    deps.viewer.require_staff()
    _not_self(deps, staff_id, "change the role of")
    async with deps.uow.read_only():
        current = await deps.uow.staff.get(staff_id)
    if current is None:
        raise NotFound("No such staff account.")
    stores = _stores_for(role, current.store_ids if store_ids is None else store_ids)
    return await _apply(deps, staff_id, StaffChange(role=role, store_ids=stores), "staff.role-changed",
                        {"role": role.value, "before": current.role.value, "storeIds": list(stores)},
                        end_sessions=False)


@dataclass(frozen=True)
class StaffPage:
    accounts: list[StaffAccount]
    has_next: bool


async def list_staff(first: int, after_id: int | None, deps: Deps) -> StaffPage:
    deps.viewer.require_staff()
    if not 1 <= first <= MAX_PAGE:
        raise BadUserInput.for_field("first", f"Ask for 1 to {MAX_PAGE} accounts.")
    async with deps.uow.read_only():
        rows = await deps.uow.staff.page(first + 1, after_id)
    return StaffPage(rows[:first], len(rows) > first)


async def staff_account(uow: UnitOfWork, staff_id: int) -> StaffAccount | None:
    async with uow.read_only():
        return await uow.staff.get(staff_id)
