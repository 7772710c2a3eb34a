"""Operator (staff) accounts: created from the CLI, signed in with username and password."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime

from domain.auth.passwords import hash_password, verify_password
from domain.auth.sessions import AuthSession, SessionPolicy, open_session
from domain.auth.viewer import Role
from domain.errors import BadUserInput, Conflict, Unauthenticated
from domain.ports import StaffAccount, TokenIssuer, UnitOfWork

_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{2,39}")
MIN_PASSWORD = 12
# Verifying against a throwaway hash keeps unknown usernames as slow as wrong passwords.
_DUMMY_HASH = hash_password("not-a-real-password")


async def create_staff(
    uow: UnitOfWork, username: str, password: str, display_name: str, now: datetime
) -> StaffAccount:
    name = username.strip().lower()
    if not _USERNAME.fullmatch(name):
        raise BadUserInput.for_field("username", "Use 3-40 lowercase letters, digits, '.', '_' or '-'.")
    if len(password) < MIN_PASSWORD:
        raise BadUserInput.for_field("password", f"Use at least {MIN_PASSWORD} characters.")
    password_hash = await asyncio.to_thread(hash_password, password)
    async with uow:
        await uow.lock(f"staff:{name}")
        if await uow.staff.get_by_username(name) is not None:
            raise Conflict(f"Staff account {name!r} already exists.")
        account = await uow.staff.add(name, password_hash, display_name.strip() or name, now)
        await uow.commit()
    return account


async def sign_in_staff(
    uow: UnitOfWork, tokens: TokenIssuer, username: str, password: str, now: datetime, policy: SessionPolicy
) -> AuthSession:
    async with uow:
        account = await uow.staff.get_by_username(username.strip().lower())
    # scrypt is deliberately slow: keep it off the event loop and outside any transaction.
    valid = await asyncio.to_thread(verify_password, password, account.password_hash if account else _DUMMY_HASH)
    if account is None or not valid or not account.active:
        raise Unauthenticated("Wrong username or password.")
    async with uow:
        session = await open_session(uow, tokens, Role.STAFF, account.id, now, policy)
        await uow.commit()
    return session
