"""Operator (staff) accounts: created from the CLI, signed in with username and password."""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.auth.passwords import hash_password, verify_password
from domain.auth.sessions import AuthSession, SessionIssuer
from domain.auth.sources import STORE_ID
from domain.auth.viewer import Role, StaffRole, Viewer
from domain.deps import Deps
from domain.errors import BadUserInput, Conflict, RateLimited, Unauthenticated
from domain.ports import StaffAccount, UnitOfWork

_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{2,39}")
MIN_PASSWORD = 12
# Verifying against a throwaway hash keeps unknown usernames as slow as wrong passwords.
_DUMMY_HASH = hash_password("not-a-real-password")


async def create_staff(
    uow: UnitOfWork, username: str, password: str, display_name: str, now: datetime,
    role: StaffRole = StaffRole.HQ_ADMIN, store_ids: Sequence[str] = (),
) -> StaffAccount:
    """The account as the CLI (and `createStaff`, which also audits) makes it."""
    name = username.strip().lower()
    if not _USERNAME.fullmatch(name):
        raise BadUserInput.for_field("username", "Use 3-40 lowercase letters, digits, '.', '_' or '-'.")
    if len(password) < MIN_PASSWORD:
        raise BadUserInput.for_field("password", f"Use at least {MIN_PASSWORD} characters.")
    stores = checked_stores(store_ids)
    password_hash = await asyncio.to_thread(hash_password, password)
    async with uow:
        await uow.lock(f"staff:{name}")
        if await uow.staff.get_by_username(name) is not None:
            raise Conflict(f"Staff account {name!r} already exists.")
        account = await uow.staff.add(name, password_hash, display_name.strip() or name, now, role, stores)
        await uow.commit()
    return account


MAX_STORES = 200


def checked_stores(store_ids: Sequence[str]) -> tuple[str, ...]:
    stores = tuple(sorted({s.strip() for s in store_ids}))
    if len(stores) > MAX_STORES or not all(STORE_ID.fullmatch(s) for s in stores):
        raise BadUserInput.for_field("storeIds", f"Up to {MAX_STORES} store ids of 1-64 letters, digits or . _ : -")
    return stores


@dataclass(frozen=True)
class StaffSignInGuard:
    """Password guessing: after `max_failures_per_user` wrong passwords an account locks for
    `lock_seconds`, doubling with each further failure up to `max_lock_seconds`, until the lock runs
    out or staff unlock it (audited). One address gets `max_failures_per_address` failures per window
    over all usernames. Counters live in the database (shared by workers, untouched by Redis outages).
    At most `hash_slots` password hashes run at once, `hash_queue` more may wait; beyond that a guess
    is turned away at once, so a flood queues neither threads nor the event loop."""

    max_failures_per_user: int = 5
    max_failures_per_address: int = 20
    window_seconds: int = 900
    lock_seconds: int = 60
    max_lock_seconds: int = 3600
    hash_slots: int = 2
    hash_queue: int = 8


class PasswordHasher:
    """Bounded concurrency for the slow hash, per process."""

    def __init__(self, guard: StaffSignInGuard) -> None:
        self._slots = asyncio.Semaphore(guard.hash_slots)
        self._room = guard.hash_slots + guard.hash_queue
        self._inside = 0

    async def verify(self, password: str, stored: str) -> bool:
        if self._inside >= self._room:
            raise RateLimited("Too many sign-in attempts right now; retry in a moment.", 1)
        self._inside += 1
        try:
            async with self._slots:
                # scrypt is deliberately slow: keep it off the event loop and outside any transaction.
                return await asyncio.to_thread(verify_password, password, stored)
        finally:
            self._inside -= 1


def _user_key(username: str) -> str:
    return f"staff-user:{username}"


def _address_key(address: str | None) -> str:
    return f"staff-ip:{address or 'unknown'}"


def _wait(until: datetime, now: datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds()))


@dataclass(frozen=True)
class StaffLogin:
    """What checking a password and opening a session needs: the lock rules and the (slow) hasher."""

    sessions: SessionIssuer
    guard: StaffSignInGuard
    hasher: PasswordHasher


@dataclass(frozen=True)
class StaffSignIn:
    """`address` is the caller's network address (per-address failure limit)."""

    username: str
    password: str
    address: str | None = None


async def sign_in_staff(cmd: StaffSignIn, deps: Deps, login: StaffLogin) -> AuthSession:
    uow, now, guard, hasher = deps.uow, deps.clock.now(), login.guard, login.hasher
    password, address = cmd.password, cmd.address
    name = cmd.username.strip().lower()[:80]
    async with uow:
        user = await uow.throttles.peek(_user_key(name), now, guard.window_seconds)
        origin = await uow.throttles.peek(_address_key(address), now, guard.window_seconds)
        account = await uow.staff.get_by_username(name)
    # Refused before the hash: a locked account costs nothing to ask about, and the right password
    # does not get through a lock either.
    if user.locked_until is not None and user.locked_until > now:
        raise RateLimited("Too many wrong passwords; this account is locked for a while.",
                          _wait(user.locked_until, now))
    if origin.count >= guard.max_failures_per_address:
        raise RateLimited("Too many wrong passwords from this address; try again later.", guard.window_seconds)
    valid = await hasher.verify(password, account.password_hash if account else _DUMMY_HASH)
    if account is None or not valid or not account.active:
        async with uow:
            failures = (await uow.throttles.bump(_user_key(name), now, guard.window_seconds)).count
            await uow.throttles.bump(_address_key(address), now, guard.window_seconds)
            if failures >= guard.max_failures_per_user:
                doubling = min(failures - guard.max_failures_per_user, 16)
                seconds = min(guard.lock_seconds * 2**doubling, guard.max_lock_seconds)
                await uow.throttles.lock(_user_key(name), now + timedelta(seconds=seconds))
            await uow.commit()
        raise Unauthenticated("Wrong username or password.")
    async with uow:
        await uow.throttles.clear(_user_key(name))
        session = await login.sessions.open(uow, Role.STAFF, account.id, now)
        await uow.commit()
    return session


async def unlock_staff_account(uow: UnitOfWork, viewer: Viewer, username: str, now: datetime) -> bool:
    """Lift a password lock early (after checking with the colleague); audited. False when none was set."""
    staff_id = viewer.require_staff()
    name = username.strip().lower()
    if not name:
        raise BadUserInput.for_field("username", "Name the account to unlock.")
    async with uow:
        cleared = await uow.throttles.clear(_user_key(name))
        await uow.audit.record(Role.STAFF, staff_id, "staff.unlocked", f"staff:{name}", {"hadLock": cleared}, now)
        await uow.commit()
    return cleared
