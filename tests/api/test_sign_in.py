"""Members sign in with a texted code; sessions refresh with rotating refresh tokens."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from tests.support.client import SIGN_IN, ApiClient, error_codes

REFRESH = "mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken refreshToken role } }"
SIGN_OUT = "mutation($t: String!) { signOut(refreshToken: $t) { signedOut } }"
ME = "{ me { id phone memberCode joinedAt } }"


async def test_first_sign_in_creates_the_member_and_me_returns_it(api: ApiClient) -> None:
    code = await api.request_code("138 0013 8000")
    data = await api.data(SIGN_IN, {"phone": "+86 138-0013-8000", "code": code})
    assert data["signIn"]["isNewMember"] is True
    assert data["signIn"]["session"]["role"] == "MEMBER"
    token = data["signIn"]["session"]["accessToken"]

    me = (await api.data(ME, token=token))["me"]
    assert me["phone"] == "+8613800138000"
    assert me["id"] == data["signIn"]["member"]["id"]
    assert len(me["memberCode"]) == 8

    again = await api.sign_in("13800138000")
    assert again.member_id == me["id"], "the same phone is the same member"


async def test_a_wrong_code_is_refused_and_the_right_one_still_works(api: ApiClient) -> None:
    code = await api.request_code("13800138000")
    wrong = "000000" if code != "000000" else "111111"
    body = await api.gql(SIGN_IN, {"phone": "13800138000", "code": wrong})
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["fieldErrors"][0]["field"] == "code"
    assert (await api.data(SIGN_IN, {"phone": "13800138000", "code": code}))["signIn"]["member"]


async def test_a_code_works_once(api: ApiClient) -> None:
    code = await api.request_code("13800138000")
    await api.data(SIGN_IN, {"phone": "13800138000", "code": code})
    body = await api.gql(SIGN_IN, {"phone": "13800138000", "code": code})
    assert error_codes(body) == ["BAD_USER_INPUT"]


async def test_a_code_dies_after_too_many_wrong_attempts(api: ApiClient) -> None:
    code = await api.request_code("13800138000")
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(api.container.login_policy.max_attempts):
        await api.gql(SIGN_IN, {"phone": "13800138000", "code": wrong})
    body = await api.gql(SIGN_IN, {"phone": "13800138000", "code": code})
    assert error_codes(body) == ["BAD_USER_INPUT"], "the right code is refused once the attempts are used up"


async def test_an_expired_code_is_refused(api: ApiClient, monkeypatch) -> None:
    code = await api.request_code("13800138000")
    later = api.container.now() + timedelta(seconds=api.container.login_policy.ttl_seconds + 1)
    monkeypatch.setattr(api.container, "now", lambda: later)
    body = await api.gql(SIGN_IN, {"phone": "13800138000", "code": code})
    assert error_codes(body) == ["BAD_USER_INPUT"]


async def test_codes_are_rate_limited_per_phone(make_client, monkeypatch) -> None:
    api = make_client(login_code_resend_seconds=60)
    await api.request_code("13800138000")
    body = await api.gql('mutation { requestLoginCode(phone: "13800138000") { maskedPhone } }')
    assert error_codes(body) == ["RATE_LIMITED"]
    assert 0 < body["errors"][0]["extensions"]["retryAfterSeconds"] <= 60
    # Another phone is not affected.
    await api.request_code("13900139000")

    # Past the resend interval, up to the hourly cap.
    start = api.container.now()
    policy = api.container.login_policy
    for i in range(1, policy.max_per_hour):
        moment = start + timedelta(seconds=(policy.resend_interval_seconds + 1) * i)
        monkeypatch.setattr(api.container, "now", lambda moment=moment: moment)
        await api.request_code("13800138000")
    moment = start + timedelta(seconds=(policy.resend_interval_seconds + 1) * policy.max_per_hour)
    monkeypatch.setattr(api.container, "now", lambda: moment)
    body = await api.gql('mutation { requestLoginCode(phone: "13800138000") { maskedPhone } }')
    assert error_codes(body) == ["RATE_LIMITED"]


async def test_bad_phone_numbers_get_a_clear_error(api: ApiClient) -> None:
    for phone in ["", "12345", "+86123", "phone", "+0013800138000"]:
        body = await api.gql("mutation($p: String!) { requestLoginCode(phone: $p) { maskedPhone } }", {"p": phone})
        assert error_codes(body) == ["BAD_USER_INPUT"], phone


async def test_refresh_rotates_and_a_reused_refresh_token_ends_the_session(api: ApiClient) -> None:
    session = await api.sign_in("13800138000")
    first = (await api.data(REFRESH, {"t": session.refresh_token}))["refreshSession"]
    assert first["refreshToken"] != session.refresh_token
    assert (await api.data(ME, token=first["accessToken"]))["me"]["phone"] == "+8613800138000"

    replay = await api.gql(REFRESH, {"t": session.refresh_token})
    assert error_codes(replay) == ["UNAUTHENTICATED"]
    # The reuse revoked the whole family, including the token issued by the rotation.
    after = await api.gql(REFRESH, {"t": first["refreshToken"]})
    assert error_codes(after) == ["UNAUTHENTICATED"]


async def test_concurrent_refreshes_with_one_token_yield_one_session(api: ApiClient) -> None:
    session = await api.sign_in("13800138000")
    bodies = await asyncio.gather(*(api.gql(REFRESH, {"t": session.refresh_token}) for _ in range(5)))
    winners = [b for b in bodies if "errors" not in b]
    assert len(winners) <= 1
    assert all(error_codes(b) == ["UNAUTHENTICATED"] for b in bodies if "errors" in b)


async def test_sign_out_ends_the_refresh_token(api: ApiClient) -> None:
    session = await api.sign_in("13800138000")
    assert (await api.data(SIGN_OUT, {"t": session.refresh_token}))["signOut"]["signedOut"] is True
    assert error_codes(await api.gql(REFRESH, {"t": session.refresh_token})) == ["UNAUTHENTICATED"]
    # Signing out twice, or with nonsense, reveals nothing.
    assert (await api.data(SIGN_OUT, {"t": "not-a-token"}))["signOut"]["signedOut"] is True


async def test_concurrent_first_sign_ins_make_one_member(api: ApiClient) -> None:
    phones = ["13800138000"] * 4
    codes = []
    for _ in phones:
        codes.append(await api.request_code("13800138000"))
        break
    # One code, four devices racing with it: one wins, the member exists exactly once.
    bodies = await asyncio.gather(*(api.gql(SIGN_IN, {"phone": p, "code": codes[0]}) for p in phones))
    assert sum("errors" not in b for b in bodies) == 1
    winner = next(b for b in bodies if "errors" not in b)
    assert winner["data"]["signIn"]["isNewMember"] is True


HOME_FROM_SIGN_IN = """
mutation($phone: String!, $code: String!) {
  signIn(phone: $phone, code: $code) {
    session { accessToken refreshToken }
    member { id points { available } tier { current { code } } coupons(first: 5) { totalCount }
             availableCouponsCount }
  }
}
"""


async def test_the_sign_in_payload_resolves_member_fields_as_the_member_just_signed_in(api: ApiClient) -> None:
    from tests.support.program import configure_program

    await configure_program(api.container)
    code = await api.request_code("13800138000")
    body = await api.gql(HOME_FROM_SIGN_IN, {"phone": "13800138000", "code": code})
    assert "errors" not in body, body["errors"]
    signed_in = body["data"]["signIn"]
    assert signed_in["session"]["accessToken"], "the tokens of a used-up code must reach the app"
    assert signed_in["member"]["points"] == {"available": 0}
    assert signed_in["member"]["availableCouponsCount"] == 0
    assert signed_in["member"]["coupons"]["totalCount"] == 0
    assert signed_in["member"]["tier"]["current"]["code"]


async def test_a_session_established_by_a_mutation_lasts_for_that_request_only(api: ApiClient) -> None:
    """A refresh establishes the session's viewer for its own payload; the next request is anonymous again."""
    session = await api.sign_in("13800138000")
    body = await api.gql(REFRESH, {"t": session.refresh_token})
    assert "errors" not in body
    assert error_codes(await api.gql("{ me { id } }")) == ["UNAUTHENTICATED"]
