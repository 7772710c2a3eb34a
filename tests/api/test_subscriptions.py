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


@pytest.mark.parametrize("payload", [{}, {"accessToken": "not-a-token"}])
async def test_connection_without_a_valid_token_is_refused(api: ApiClient, payload: dict) -> None:
    async with served(api.app) as host, websockets.connect(f"ws://{host}/graphql", subprotocols=[PROTOCOL]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        with pytest.raises(websockets.ConnectionClosed) as exc:
            await receive(ws)
        assert exc.value.rcvd.code == 4403


async def test_legacy_protocol_is_not_served(api: ApiClient) -> None:
    async with served(api.app) as host:
        with pytest.raises((websockets.InvalidHandshake, websockets.ConnectionClosed)):
            async with websockets.connect(f"ws://{host}/graphql", subprotocols=["graphql-ws"]) as ws:
                await receive(ws)
