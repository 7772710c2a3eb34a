"""Subscriptions over graphql-transport-ws against a running server, as an app would connect."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets

from tests.support.client import ApiClient
from tests.support.live_server import served

PROTOCOL = "graphql-transport-ws"
SUBSCRIBE = {"id": "1", "type": "subscribe",
             "payload": {"query": "subscription { profileChanged { id displayName } }"}}
RENAME = 'mutation($n: String!) { updateProfile(input: {displayName: $n}) { member { id } } }'


async def receive(ws: websockets.ClientConnection) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), 5))


async def test_member_sees_own_profile_then_each_change(api: ApiClient) -> None:
    me = await api.sign_in("13800138000")
    other = await api.sign_in("13900139000")
    async with served(api.app) as host, websockets.connect(f"ws://{host}/graphql", subprotocols=[PROTOCOL]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"accessToken": me.access_token}}))
        assert (await receive(ws))["type"] == "connection_ack"
        await ws.send(json.dumps(SUBSCRIBE))
        first = await receive(ws)
        assert first["type"] == "next"
        assert first["payload"]["data"]["profileChanged"] == {"id": me.member_id, "displayName": None}

        await api.data(RENAME, {"n": "Someone else"}, other.access_token)
        await api.data(RENAME, {"n": "Live"}, me.access_token)
        update = await receive(ws)
        assert update["payload"]["data"]["profileChanged"] == {"id": me.member_id, "displayName": "Live"}


@pytest.mark.parametrize(("payload", "reason"), [({}, "NO_TOKEN"), ({"accessToken": "not-a-token"}, "INVALID_TOKEN")])
async def test_connection_without_a_valid_token_is_refused(api: ApiClient, payload: dict, reason: str) -> None:
    async with served(api.app) as host, websockets.connect(f"ws://{host}/graphql", subprotocols=[PROTOCOL]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        with pytest.raises(websockets.ConnectionClosed) as exc:
            await receive(ws)
        assert exc.value.rcvd.code == 4401
        assert json.loads(exc.value.rcvd.reason) == {"code": "UNAUTHENTICATED", "reason": reason}


async def test_legacy_protocol_is_not_served(api: ApiClient) -> None:
    async with served(api.app) as host:
        with pytest.raises((websockets.InvalidHandshake, websockets.ConnectionClosed)):
            async with websockets.connect(f"ws://{host}/graphql", subprotocols=["graphql-ws"]) as ws:
                await receive(ws)


POINTS_SUB = """subscription($after: String) { pointsChanged(after: $after) {
  cursor entry { kind amount } balance { total } } }"""
ADJUST = """mutation($m: ID!, $a: Int!, $k: String!) {
  adjustPoints(input: {memberId: $m, amount: $a, reason: "live", idempotencyKey: $k}) { entry { id } } }"""


async def subscribe(ws: websockets.ClientConnection, token: str, query: str, variables: dict | None = None,
                    op_id: str = "1") -> None:
    await ws.send(json.dumps({"type": "connection_init", "payload": {"accessToken": token}}))
    assert (await receive(ws))["type"] == "connection_ack"
    await ws.send(json.dumps({"id": op_id, "type": "subscribe", "payload": {"query": query,
                                                                             "variables": variables or {}}}))


async def test_points_changes_arrive_live_and_a_reconnect_resumes_from_the_cursor(api: ApiClient) -> None:
    from tests.support.program import configure_program
    from tests.support.roles import staff_token

    await configure_program(api.container)
    member = await api.sign_in("13800138000")
    staff = await staff_token(api)
    async with served(api.app) as host:
        async with websockets.connect(f"ws://{host}/graphql", subprotocols=[PROTOCOL]) as ws:
            await subscribe(ws, member.access_token, POINTS_SUB)
            await api.data(ADJUST, {"m": member.member_id, "a": 100, "k": "a"}, staff)
            first = (await receive(ws))["payload"]["data"]["pointsChanged"]
            assert first["entry"] == {"kind": "ADJUST", "amount": 100} and first["balance"]["total"] == 100
        # Offline: two changes happen.
        await api.data(ADJUST, {"m": member.member_id, "a": 20, "k": "b"}, staff)
        await api.data(ADJUST, {"m": member.member_id, "a": -50, "k": "c"}, staff)
        async with websockets.connect(f"ws://{host}/graphql", subprotocols=[PROTOCOL]) as ws:
            await subscribe(ws, member.access_token, POINTS_SUB, {"after": first["cursor"]})
            missed = [(await receive(ws))["payload"]["data"]["pointsChanged"] for _ in range(2)]
            assert [m["entry"]["amount"] for m in missed] == [20, -50]
            assert missed[-1]["balance"]["total"] == 70
            await api.data(ADJUST, {"m": member.member_id, "a": 5, "k": "d"}, staff)
            live_one = (await receive(ws))["payload"]["data"]["pointsChanged"]
            assert live_one["entry"]["amount"] == 5 and live_one["balance"]["total"] == 75


async def test_offers_and_redemptions_are_pushed(api: ApiClient) -> None:
    from tests.support.catalog import add_reward
    from tests.support.program import configure_program
    from tests.support.roles import staff_token

    await configure_program(api.container)
    member = await api.sign_in("13800138000")
    staff = await staff_token(api)
    await api.data(ADJUST, {"m": member.member_id, "a": 500, "k": "seed"}, staff)
    tid = (await api.data("""mutation { saveCouponTemplate(input: {name: "Gift", kind: CASH_OFF, valueCents: 100,
      validDays: 5}) { template { id } } }""", token=staff))["saveCouponTemplate"]["template"]["id"]
    reward = await add_reward(api.container, price=100)
    async with served(api.app) as host, websockets.connect(f"ws://{host}/graphql", subprotocols=[PROTOCOL]) as ws:
        await subscribe(ws, member.access_token, "subscription { offerIssued { cursor coupon { source } } }")
        await ws.send(json.dumps({"id": "2", "type": "subscribe", "payload": {
            "query": "subscription { redemptionUpdated { status pointsSpent } }"}}))
        await asyncio.sleep(0.2)
        await api.data("""mutation($t: ID!, $m: ID!) { issueCoupons(input: {templateId: $t, idempotencyKey: "x",
              memberIds: [$m]}) { issued } }""", {"t": tid, "m": member.member_id}, staff)
        offer = await receive(ws)
        assert offer["id"] == "1" and offer["payload"]["data"]["offerIssued"]["coupon"]["source"] == "STAFF"
        await api.data("""mutation($r: ID!) { redeemReward(input: {rewardId: $r, idempotencyKey: "k"}) {
              redemption { id } } }""", {"r": reward.id}, member.access_token)
        redeemed = await receive(ws)
        assert redeemed["id"] == "2"
        assert redeemed["payload"]["data"]["redemptionUpdated"] == {"status": "ISSUED", "pointsSpent": 100}


async def test_members_cannot_subscribe_as_staff_streams_or_with_staff_tokens(api: ApiClient) -> None:
    from tests.support.roles import staff_token

    staff = await staff_token(api)
    async with served(api.app) as host, websockets.connect(f"ws://{host}/graphql", subprotocols=[PROTOCOL]) as ws:
        await subscribe(ws, staff, POINTS_SUB)
        message = await receive(ws)
        assert message["type"] == "error" or message["payload"].get("errors"), message
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert errors[0]["extensions"]["code"] == "FORBIDDEN"


async def test_staff_see_new_reports_live_and_members_cannot_listen(api: ApiClient) -> None:
    from tests.support.roles import staff_token

    staff = await staff_token(api)
    member = await api.sign_in("13800138000")
    post = (await api.data('mutation { createPost(input: {body: "hello"}) { post { id } } }',
                           token=member.access_token))["createPost"]["post"]["id"]
    query = "subscription { contentReported { target targetId reason } }"
    async with served(api.app) as host:
        async with websockets.connect(f"ws://{host}/graphql", subprotocols=[PROTOCOL]) as ws:
            await subscribe(ws, member.access_token, query)
            refused = await receive(ws)
            errors = refused["payload"] if refused["type"] == "error" else refused["payload"]["errors"]
            assert errors[0]["extensions"]["code"] == "FORBIDDEN"
        async with websockets.connect(f"ws://{host}/graphql", subprotocols=[PROTOCOL]) as ws:
            await subscribe(ws, staff, query)
            await asyncio.sleep(0.2)
            await api.data('mutation($p: ID!) { reportContent(target: POST, id: $p, reason: "spam") { ok } }',
                           {"p": post}, member.access_token)
            report = (await receive(ws))["payload"]["data"]["contentReported"]
            assert report == {"target": "POST", "targetId": post, "reason": "spam"}
