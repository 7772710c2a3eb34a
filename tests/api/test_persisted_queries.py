"""Automatic persisted queries (Apollo's APQ protocol) and the trusted-documents allow-list."""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from pathlib import Path

import pytest
import websockets

from tests.support.client import REQUEST_CODE, SIGN_IN, ApiClient, error_codes
from tests.support.live_server import served

QUERY = "query Tiers { tiers { code name } }"
HASH = hashlib.sha256(QUERY.encode()).hexdigest()


def apq(sha: str) -> dict[str, object]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha}}


async def test_unknown_hash_then_registration_then_hash_alone(api: ApiClient) -> None:
    miss = await api.http.post("/graphql", json={"extensions": apq(HASH)})
    assert miss.status_code == 200
    assert error_codes(miss.json()) == ["PERSISTED_QUERY_NOT_FOUND"]
    assert miss.json()["errors"][0]["message"] == "PersistedQueryNotFound"
    full = await api.http.post("/graphql", json={"query": QUERY, "extensions": apq(HASH)})
    assert full.status_code == 200 and "errors" not in full.json()
    again = await api.http.post("/graphql", json={"extensions": apq(HASH), "operationName": "Tiers"})
    assert again.json() == full.json()
    by_get = await api.http.get("/graphql", params={"extensions": json.dumps(apq(HASH))})
    assert by_get.status_code == 200 and by_get.json() == full.json()


async def test_a_hash_that_does_not_match_its_document_is_refused(api: ApiClient) -> None:
    wrong = await api.http.post("/graphql", json={"query": QUERY, "extensions": apq("0" * 64)})
    assert wrong.status_code == 400 and error_codes(wrong.json()) == ["BAD_REQUEST"]
    # ...and nothing was stored under that hash.
    miss = await api.http.post("/graphql", json={"extensions": apq("0" * 64)})
    assert error_codes(miss.json()) == ["PERSISTED_QUERY_NOT_FOUND"]


@pytest.mark.redis
async def test_registered_documents_are_shared_across_workers(make_client, redis_url: str) -> None:
    prefix = f"test:{uuid.uuid4().hex[:8]}:"
    one, two = make_client(redis_url=redis_url, redis_prefix=prefix), make_client(redis_url=redis_url,
                                                                                  redis_prefix=prefix)
    await one.http.post("/graphql", json={"query": QUERY, "extensions": apq(HASH)})
    other = await two.http.post("/graphql", json={"extensions": apq(HASH)})
    assert "errors" not in other.json() and other.json()["data"]["tiers"] is not None


async def test_trusted_documents_only(make_client, tmp_path: Path) -> None:
    manifest = tmp_path / "trusted.json"
    manifest.write_text(json.dumps({"format": "apollo-persisted-query-manifest", "version": 1, "operations": [
        {"id": HASH, "name": "Tiers", "type": "query", "body": QUERY}]}))
    api = make_client(trusted_documents_path=str(manifest))
    by_hash = await api.http.post("/graphql", json={"extensions": apq(HASH)})
    assert "errors" not in by_hash.json(), by_hash.json()
    by_text = await api.http.post("/graphql", json={"query": QUERY})
    assert "errors" not in by_text.json()
    other = "{ tiers { code } }"
    refused = await api.http.post("/graphql", json={"query": other})
    assert error_codes(refused.json()) == ["PERSISTED_QUERY_NOT_ALLOWED"] and "data" not in refused.json()
    register = await api.http.post("/graphql", json={
        "query": other, "extensions": apq(hashlib.sha256(other.encode()).hexdigest())})
    assert error_codes(register.json()) == ["PERSISTED_QUERY_NOT_ALLOWED"]


async def test_a_manifest_with_a_wrong_hash_stops_the_start(make_client, tmp_path: Path) -> None:
    manifest = tmp_path / "trusted.json"
    manifest.write_text(json.dumps({"0" * 64: QUERY}))
    with pytest.raises(ValueError, match="hash"):
        make_client(trusted_documents_path=str(manifest))



async def test_trusted_documents_hold_for_websocket_subscriptions(make_client, tmp_path: Path) -> None:
    listed = "subscription Profile { profileChanged { id } }"
    # The test client's own sign-in documents are trusted too, as an app's bundle would list them.
    documents = [listed, SIGN_IN, REQUEST_CODE]
    manifest = tmp_path / "trusted.json"
    manifest.write_text(json.dumps({hashlib.sha256(d.encode()).hexdigest(): d for d in documents}))
    api = make_client(trusted_documents_path=str(manifest))
    member = await api.sign_in("13800138000")
    async with served(api.app) as host, websockets.connect(f"ws://{host}/graphql",
                                                           subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"accessToken": member.access_token}}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe",
                                  "payload": {"query": "subscription { profileChanged { id displayName } }"}}))
        refused = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert refused["type"] == "error"
        assert refused["payload"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_ALLOWED"
        await ws.send(json.dumps({"id": "2", "type": "subscribe", "payload": {"query": listed}}))
        first = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert first["type"] == "next" and first["payload"]["data"]["profileChanged"]["id"] == member.member_id
