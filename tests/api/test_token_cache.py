"""Verified access tokens are kept per worker for their remaining lifetime only, and dropped when the
session ends (sign-out) or the member is erased."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from domain.auth.viewer import Role
from tests.support.client import ApiClient, error_codes

ME = "{ me { id } }"
SIGN_OUT = "mutation($t: String!) { signOut(refreshToken: $t) { __typename } }"
ERASE = "mutation($c: String!) { requestErasure(input: {confirmation: $c}) { memberId } }"


async def test_a_cached_token_is_dropped_on_sign_out(api: ApiClient) -> None:
    session = await api.sign_in("13800138000")
    other = await api.sign_in("13800138000")  # a second session of the same member stays
    for s in (session, other):
        assert (await api.data(ME, token=s.access_token))["me"]["id"]
    tokens = api.container.tokens
    assert tokens.is_cached(session.access_token) and tokens.is_cached(other.access_token)
    await api.data(SIGN_OUT, {"t": session.refresh_token})
    assert not tokens.is_cached(session.access_token)
    assert tokens.is_cached(other.access_token)


async def test_a_cached_token_is_dropped_on_erasure_and_refused(api: ApiClient) -> None:
    session = await api.sign_in("13800138000")
    await api.data(ME, token=session.access_token)
    assert api.container.tokens.is_cached(session.access_token)
    await api.data(ERASE, {"c": "erase my data"}, session.access_token)
    assert not api.container.tokens.is_cached(session.access_token)
    assert error_codes(await api.gql(ME, token=session.access_token)) == ["UNAUTHENTICATED"]


async def test_a_cached_token_is_not_served_past_its_expiry(api: ApiClient) -> None:
    member = await api.sign_in("13800138000")
    ttl = api.container.settings.access_ttl_seconds
    # A token with two seconds left, issued through the same keys.
    almost = api.container.tokens.issue_access(Role.MEMBER, int(member.member_id or 0),
                                               api.container.now() - timedelta(seconds=ttl - 2)).token
    assert (await api.data(ME, token=almost))["me"]["id"] == member.member_id
    assert api.container.tokens.is_cached(almost)
    await asyncio.sleep(2.5)
    body = await api.gql(ME, token=almost)
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert body["errors"][0]["extensions"]["reason"] == "TOKEN_EXPIRED"
    assert not api.container.tokens.is_cached(almost)
