"""Abuse cases around sign-in: guessing codes in parallel, toll fraud, reused or stale sessions."""

from __future__ import annotations

import asyncio

from tests.support.client import SIGN_IN, ApiClient, error_codes
from tests.support.roles import STAFF_SIGN_IN, staff_token

REFRESH = "mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken } }"
REQUEST = "mutation($p: String!) { requestLoginCode(phone: $p) { maskedPhone } }"


async def test_parallel_guesses_cannot_exceed_the_attempt_limit(api: ApiClient) -> None:
    code = await api.request_code("13800138000")
    wrongs = [f"{(int(code) + i) % 1_000_000:06d}" for i in range(1, 31)]
    bodies = await asyncio.gather(*(api.gql(SIGN_IN, {"phone": "13800138000", "code": w}) for w in wrongs))
    assert all(error_codes(b) == ["BAD_USER_INPUT"] for b in bodies)
    from sqlalchemy import select

    from domain.store.tables import login_codes

    async with api.container.engine.connect() as conn:
        attempts = await conn.scalar(select(login_codes.c.attempts))
    assert attempts == api.container.login_policy.max_attempts
    assert error_codes(await api.gql(SIGN_IN, {"phone": "13800138000", "code": code})) == ["BAD_USER_INPUT"]


async def test_parallel_code_requests_send_one_text(make_client) -> None:
    api = make_client(login_code_resend_seconds=60)
    bodies = await asyncio.gather(*(api.gql(REQUEST, {"p": "13800138000"}) for _ in range(10)))
    assert sum("errors" not in b for b in bodies) == 1
    assert {c for b in bodies for c in error_codes(b)} == {"RATE_LIMITED"}


async def test_codes_go_only_to_allowed_countries_and_ascii_digits(api: ApiClient) -> None:
    assert error_codes(await api.gql(REQUEST, {"p": "+14155550123"})) == ["BAD_USER_INPUT"]
    assert error_codes(await api.gql(REQUEST, {"p": "1380013800\u0660"})) == ["BAD_USER_INPUT"], "Arabic-Indic zero"
    assert "errors" not in await api.gql(REQUEST, {"p": "+85291234567"})


async def test_a_deactivated_operator_cannot_refresh(api: ApiClient) -> None:
    await staff_token(api, "ops-bob", "correct horse battery")
    session = (await api.data(STAFF_SIGN_IN.replace("accessToken role", "refreshToken"),
                              {"u": "ops-bob", "p": "correct horse battery"}))["signInStaff"]
    from sqlalchemy import update

    from domain.store.tables import staff_accounts

    async with api.container.engine.begin() as conn:
        await conn.execute(update(staff_accounts).where(staff_accounts.c.username == "ops-bob").values(active=False))
    assert error_codes(await api.gql(REFRESH, {"t": session["refreshToken"]})) == ["UNAUTHENTICATED"]
    body = await api.gql(STAFF_SIGN_IN, {"u": "ops-bob", "p": "correct horse battery"})
    assert error_codes(body) == ["UNAUTHENTICATED"]


async def test_wrong_staff_password_is_refused_like_an_unknown_user(api: ApiClient) -> None:
    await staff_token(api, "ops-carol", "correct horse battery")
    wrong = await api.gql(STAFF_SIGN_IN, {"u": "ops-carol", "p": "wrong password!!"})
    unknown = await api.gql(STAFF_SIGN_IN, {"u": "nobody-here", "p": "wrong password!!"})
    assert error_codes(wrong) == error_codes(unknown) == ["UNAUTHENTICATED"]
    assert wrong["errors"][0]["message"] == unknown["errors"][0]["message"]


async def test_concurrent_first_birthdays_set_it_once(api: ApiClient) -> None:
    s = await api.sign_in("13800138000")
    update = "mutation($b: Date!) { updateProfile(input: {birthday: $b}) { member { birthday } } }"
    days = [f"1990-01-{d:02d}" for d in range(1, 11)]
    bodies = await asyncio.gather(*(api.gql(update, {"b": d}, s.access_token) for d in days))
    assert sum("errors" not in b for b in bodies) == 1
    winner = next(b for b in bodies if "errors" not in b)["data"]["updateProfile"]["member"]["birthday"]
    me = await api.data("{ me { birthday } }", token=s.access_token)
    assert me["me"]["birthday"] == winner


async def test_odd_inputs_get_clear_errors_not_500s(api: ApiClient) -> None:
    s = await api.sign_in("13800138000")
    bad_url = await api.gql('mutation { updateProfile(input: {avatarUrl: "http://["}) { member { id } } }',
                            token=s.access_token)
    assert error_codes(bad_url) == ["BAD_USER_INPUT"]
    nested = b"{\"query\": " + b"[" * 20_000 + b"]" * 20_000 + b"}"
    r = await api.http.post("/graphql", content=nested, headers={"content-type": "application/json"})
    assert r.status_code == 400
    staff = await staff_token(api)
    huge = await api.gql('{ member(phone: "13800138000") { id } }', token=staff)
    assert "errors" not in huge
    overflow = await api.gql('mutation { correctBirthday(input: {memberId: "99999999999999999999999", '
                             'birthday: "1990-01-01", reason: "x"}) { member { id } } }', token=staff)
    assert error_codes(overflow) == ["BAD_USER_INPUT"]
