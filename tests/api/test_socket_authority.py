"""Open websockets lose their authority with the token that opened them: at its expiry, on sign-out of
its session, on erasure (also when those happen on another worker), and sockets and subscriptions
per member are capped (issue #13 items 3 and 11, issue #15 item 14)."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
import websockets

from tests.support.client import ApiClient
from tests.support.live_server import served
from tests.support.roles import staff_token

PROTOCOL = "graphql-transport-ws"
PROFILE_SUB = "subscription { profileChanged { id } }"
SIGN_OUT = "mutation($t: String!) { signOut(refreshToken: $t) { signedOut } }"
STAFF_ERASE = """mutation($m: ID!) { eraseMember(input: {memberId: $m, confirmation: "ERASE MY DATA",
  reason: "letter"}) { memberId } }"""


async def receive(ws: websockets.ClientConnection, seconds: float = 5) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), seconds))


async def open_socket(host: str, token: str) -> websockets.ClientConnection:
    ws = await websockets.connect(f"ws://{host}/graphql", subprotocols=[PROTOCOL])
    await ws.send(json.dumps({"type": "connection_init", "payload": {"accessToken": token}}))
    assert (await receive(ws))["type"] == "connection_ack"
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": PROFILE_SUB}}))
    assert (await receive(ws))["type"] == "next"
    return ws


async def closed_with(ws: websockets.ClientConnection, seconds: float) -> tuple[int, dict]:
    with pytest.raises(websockets.ConnectionClosed) as exc:
        while True:
            await receive(ws, seconds)
    assert exc.value.rcvd is not None, "the server must close with a code, not drop the connection"
    return exc.value.rcvd.code, json.loads(exc.value.rcvd.reason)


def two_workers(make_client, redis_url: str, **settings) -> tuple[ApiClient, ApiClient]:
    prefix = f"ws:{time.monotonic_ns()}:"
    return (make_client(redis_url=redis_url, redis_prefix=prefix, **settings),
            make_client(redis_url=redis_url, redis_prefix=prefix, **settings))


async def test_a_socket_closes_when_its_access_token_expires(make_client) -> None:
    api: ApiClient = make_client(access_ttl_seconds=2)
    member = await api.sign_in("13800138000")
    async with served(api.app) as host:
        ws = await open_socket(host, member.access_token)
        started = time.monotonic()
        code, reason = await closed_with(ws, 5)
        assert (code, reason) == (4401, {"code": "UNAUTHENTICATED", "reason": "TOKEN_EXPIRED"})
        assert time.monotonic() - started < 4


async def test_a_client_can_renew_its_socket_in_band(make_client) -> None:
    api: ApiClient = make_client(access_ttl_seconds=6)
    member = await api.sign_in("13800138000")
    async with served(api.app) as host:
        ws = await open_socket(host, member.access_token)
        await asyncio.sleep(3)
        fresh = await api.sign_in("13800138000")  # what refreshSession gives an app, a new access token
        await ws.send(json.dumps({"type": "ping", "payload": {"accessToken": fresh.access_token}}))
        pong = await receive(ws)
        assert pong["type"] == "pong" and pong["payload"]["renewed"] is True
        await asyncio.sleep(3.5)  # past the first token's expiry (6 s), before the second's (9 s)
        await ws.send(json.dumps({"type": "ping"}))
        assert (await receive(ws))["type"] == "pong", "the renewed socket is still open"
        await ws.close()


@pytest.mark.redis
async def test_sign_out_on_another_worker_closes_that_sessions_sockets_only(make_client, redis_url: str) -> None:
    here, there = two_workers(make_client, redis_url)
    phone_session = await here.sign_in("13800138000")
    tablet_session = await here.sign_in("13800138000")
    async with served(here.app) as host:
        phone = await open_socket(host, phone_session.access_token)
        tablet = await open_socket(host, tablet_session.access_token)
        await there.data(SIGN_OUT, {"t": phone_session.refresh_token})
        assert await closed_with(phone, 5) == (4401, {"code": "UNAUTHENTICATED", "reason": "SESSION_ENDED"})
        await tablet.send(json.dumps({"type": "ping"}))
        assert (await receive(tablet))["type"] == "pong", "another session's socket stays open"
        await tablet.close()


@pytest.mark.redis
async def test_erasure_on_another_worker_closes_the_members_sockets(make_client, redis_url: str) -> None:
    here, there = two_workers(make_client, redis_url)
    member = await here.sign_in("13800138000")
    staff = await staff_token(there)
    async with served(here.app) as host:
        ws = await open_socket(host, member.access_token)
        await there.data(STAFF_ERASE, {"m": member.member_id}, staff)
        assert await closed_with(ws, 5) == (4403, {"code": "FORBIDDEN", "reason": "ACCOUNT_ERASED"})


async def test_sockets_per_member_and_subscriptions_per_socket_are_capped(make_client) -> None:
    api: ApiClient = make_client(ws_max_sockets_per_subject=2, ws_max_subscriptions_per_socket=2)
    member = await api.sign_in("13800138000")
    async with served(api.app) as host:
        first = await open_socket(host, member.access_token)
        second = await open_socket(host, member.access_token)
        third = await websockets.connect(f"ws://{host}/graphql", subprotocols=[PROTOCOL])
        await third.send(json.dumps({"type": "connection_init", "payload": {"accessToken": member.access_token}}))
        assert await closed_with(third, 5) == (4429, {"code": "RATE_LIMITED", "reason": "TOO_MANY_SOCKETS"})

        await first.send(json.dumps({"id": "2", "type": "subscribe", "payload": {"query": PROFILE_SUB}}))
        assert (await receive(first))["type"] == "next"
        await first.send(json.dumps({"id": "3", "type": "subscribe", "payload": {"query": PROFILE_SUB}}))
        refused = await receive(first)
        assert refused["type"] == "error" and refused["id"] == "3"

        await second.close()
        await asyncio.sleep(0.2)
        again = await open_socket(host, member.access_token)  # a closed socket frees its slot
        await again.close()
        await first.close()


@pytest.mark.redis
async def test_the_socket_cap_holds_across_workers(make_client, redis_url: str) -> None:
    here, there = two_workers(make_client, redis_url, ws_max_sockets_per_subject=2)
    member = await here.sign_in("13800138000")
    async with served(here.app) as host_here, served(there.app) as host_there:
        one = await open_socket(host_here, member.access_token)
        two = await open_socket(host_there, member.access_token)
        third = await websockets.connect(f"ws://{host_there}/graphql", subprotocols=[PROTOCOL])
        await third.send(json.dumps({"type": "connection_init", "payload": {"accessToken": member.access_token}}))
        assert await closed_with(third, 5) == (4429, {"code": "RATE_LIMITED", "reason": "TOO_MANY_SOCKETS"})
        await one.close()
        await asyncio.sleep(0.2)
        again = await open_socket(host_there, member.access_token)
        await again.close()
        await two.close()
