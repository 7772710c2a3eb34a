"""Staff password guessing is throttled per username and per IP, unlocked only by an audited staff
action, and a flood of guesses hashes a few at a time while other queries are answered (issue #13 item 6)."""

from __future__ import annotations

import asyncio
import threading
import time

import domain.auth.staff as staff_module
from domain.auth.staff import create_staff
from tests.support.client import ApiClient, error_codes
from tests.support.roles import staff_token

SIGN_IN = "mutation($u: String!, $p: String!) { signInStaff(username: $u, password: $p) { accessToken } }"
UNLOCK = "mutation($u: String!) { unlockStaffAccount(username: $u) { unlocked } }"
AUDIT_ACTIONS = "SELECT action, target FROM audit_log WHERE action = 'staff.unlocked'"


async def test_wrong_passwords_lock_the_account_until_an_audited_unlock(api: ApiClient) -> None:
    await create_staff(api.container.uow(), "ops-bob", "right password 123", "Bob", api.container.now())
    codes = [error_codes(await api.gql(SIGN_IN, {"u": "ops-bob", "p": f"guess-{i}"})) for i in range(8)]
    assert codes[:5] == [["UNAUTHENTICATED"]] * 5
    assert codes[5:] == [["RATE_LIMITED"]] * 3
    locked = await api.gql(SIGN_IN, {"u": "ops-bob", "p": "right password 123"})
    assert error_codes(locked) == ["RATE_LIMITED"], "the right password does not get through a lock"
    assert locked["errors"][0]["extensions"]["retryAfterSeconds"] > 0

    admin = await staff_token(api)
    assert (await api.data(UNLOCK, {"u": "ops-bob"}, admin))["unlockStaffAccount"]["unlocked"] is True
    assert (await api.data(SIGN_IN, {"u": "ops-bob", "p": "right password 123"}))["signInStaff"]["accessToken"]
    async with api.container.engine.connect() as conn:
        from sqlalchemy import text
        rows = (await conn.execute(text(AUDIT_ACTIONS))).all()
    assert [tuple(r) for r in rows] == [("staff.unlocked", "staff:ops-bob")]


async def test_guesses_over_many_usernames_from_one_address_are_throttled(api: ApiClient) -> None:
    codes = [error_codes(await api.gql(SIGN_IN, {"u": f"user-{i}", "p": "wrong password"})) for i in range(25)]
    assert ["RATE_LIMITED"] in codes[:21], codes
    assert codes[-1] == ["RATE_LIMITED"]


async def test_members_cannot_unlock_staff_accounts(api: ApiClient) -> None:
    member = await api.sign_in("13800138000")
    assert error_codes(await api.gql(UNLOCK, {"u": "ops-bob"}, member.access_token)) == ["FORBIDDEN"]


async def test_a_flood_of_guesses_hashes_a_few_at_a_time_while_other_queries_are_answered(
        api: ApiClient, monkeypatch) -> None:
    """The hash is the expensive part of a guess: at most `hash_slots` run at once (in threads, off
    the event loop), so a flood cannot take every core from the other requests. Asserted on what the
    server does, not on timings (those belong in bench/)."""
    await create_staff(api.container.uow(), "ops-cat", "right password 123", "Cat", api.container.now())
    lock, running, peak = threading.Lock(), 0, 0
    real = staff_module.verify_password

    def counted(password: str, stored: str) -> bool:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        try:
            time.sleep(0.02)  # a hash takes a while: let the flood pile up behind the slots
            return real(password, stored)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(staff_module, "verify_password", counted)
    flood = [asyncio.create_task(api.post(SIGN_IN, {"u": "ops-cat", "p": f"guess {i}"})) for i in range(60)]
    await asyncio.sleep(0)
    assert (await api.data("{ tiers { id } }"))["tiers"] is not None, "other queries are answered during the flood"
    answers = [error_codes(r.json()) for r in await asyncio.gather(*flood)]
    assert peak >= 1, "the flood reached the password check"
    assert peak <= api.container.staff_guard.hash_slots, f"{peak} hashes ran at once"
    assert all(codes in (["UNAUTHENTICATED"], ["RATE_LIMITED"]) for codes in answers), answers
