"""Staff password guessing is throttled per username and per IP, unlocked only by an audited staff
action, and a flood of guesses does not slow unrelated queries (issue #13 item 6)."""

from __future__ import annotations

import asyncio
import statistics
import time

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


async def test_a_flood_of_guesses_does_not_slow_other_queries(api: ApiClient) -> None:
    await create_staff(api.container.uow(), "ops-cat", "right password 123", "Cat", api.container.now())

    async def timed_health() -> float:
        started = time.perf_counter()
        await api.data("{ tiers { id } }")
        return time.perf_counter() - started

    quiet = statistics.median([await timed_health() for _ in range(10)])
    flood = [asyncio.create_task(api.post(SIGN_IN, {"u": f"flood-{i % 7}", "p": f"guess {i}"}))
             for i in range(200)]
    await asyncio.sleep(0)
    during = statistics.median([await timed_health() for _ in range(10)])
    await asyncio.gather(*flood)
    assert during < max(quiet * 5, 0.05), f"median {during * 1000:.1f} ms under flood vs {quiet * 1000:.1f} ms"
