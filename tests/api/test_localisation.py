"""Member-facing error messages follow Accept-Language (zh-CN by default); the code never changes."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets

from api.languages import pick_language
from tests.support.client import ApiClient, error_codes
from tests.support.live_server import served

ME = "{ me { id } }"
SIGN_IN = 'mutation { signIn(phone: "13800138000", code: "999999") { isNewMember } }'


@pytest.mark.parametrize(("header", "expected"), [
    ({"accept-language": "en"}, "Sign in first."),
    ({"accept-language": "zh-CN"}, "请先登录。"),
    ({"accept-language": "en-GB;q=0.5, zh-Hans;q=0.9"}, "请先登录。"),
    ({"accept-language": "fr"}, "请先登录。"),
    ({}, "请先登录。"),
])
async def test_message_follows_accept_language(api: ApiClient, header: dict[str, str], expected: str) -> None:
    body = await api.gql(ME, headers=header)
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert body["errors"][0]["message"] == expected


async def test_keyed_message_in_both_languages(api: ApiClient) -> None:
    await api.request_code("13800138000")
    en = await api.gql(SIGN_IN, headers={"accept-language": "en-US,en;q=0.9"})
    zh = await api.gql(SIGN_IN, headers={"accept-language": "zh-CN,zh;q=0.9"})
    assert error_codes(en) == error_codes(zh) == ["BAD_USER_INPUT"]
    assert en["errors"][0]["message"] == "The code is wrong or has expired; request a new one."
    assert zh["errors"][0]["message"] == "验证码错误或已过期，请重新获取。"
    assert zh["errors"][0]["extensions"]["fieldErrors"] == [
        {"field": "code", "message": "验证码错误或已过期，请重新获取。"}]
    assert en["errors"][0]["extensions"]["fieldErrors"][0]["message"] == en["errors"][0]["message"]


async def test_program_default_language_is_a_setting(make_client) -> None:
    api = make_client(default_language="en")
    body = await api.gql(ME)
    assert body["errors"][0]["message"] == "Sign in first."


def test_pick_language_by_quality() -> None:
    assert pick_language("en;q=0.2, zh-TW;q=0.8") == "zh-CN"
    assert pick_language("de, en;q=0.1") == "en"
    assert pick_language("zh;q=0, en;q=0.1") == "en"
    assert pick_language("", "en") == "en"


async def _forbidden_over_socket(api: ApiClient, token: str, init_extra: dict, headers: dict | None = None) -> dict:
    async with served(api.app) as host, websockets.connect(
            f"ws://{host}/graphql", subprotocols=["graphql-transport-ws"], additional_headers=headers) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"accessToken": token, **init_extra}}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe",
                                  "payload": {"query": "subscription { contentReported { reason } }"}}))
        return json.loads(await asyncio.wait_for(ws.recv(), 5))


async def test_socket_messages_follow_connection_params_then_the_upgrade_header(api: ApiClient) -> None:
    member = await api.sign_in("13800138000")
    zh = await _forbidden_over_socket(api, member.access_token, {})
    en = await _forbidden_over_socket(api, member.access_token, {"language": "en"})
    by_header = await _forbidden_over_socket(api, member.access_token, {}, {"Accept-Language": "en-US"})
    # A refused subscription arrives as an `error` message (the access table refuses it before it
    # starts), whose payload is the list of errors; a `next` would carry them under "errors".
    zh_error, en_error, header_error = (
        (m["payload"] if m["type"] == "error" else m["payload"]["errors"])[0] for m in (zh, en, by_header))
    assert {e["extensions"]["code"] for e in (zh_error, en_error, header_error)} == {"FORBIDDEN"}
    assert zh_error["message"] == "您没有权限进行此操作。"
    assert en_error["message"] == header_error["message"] == "Only program staff can do this."
