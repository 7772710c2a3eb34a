"""A write handled by one server process reaches a subscriber connected to another, through Redis."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import websockets

from api.auth import JwtTokens
from api.container import build_container
from api.migrate import upgrade
from api.settings import Settings
from api.sms import DevCodeSink
from domain.auth.viewer import Role, StaffGrant
from tests.conftest import TEST_KEYS, create_database
from tests.support.servers import _wait_for_port, free_port

pytestmark = [pytest.mark.postgres, pytest.mark.redis]
ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def worker(env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, 30)
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=15)


async def test_two_workers_share_events_through_redis(pg_server_url: str, redis_url: str) -> None:
    url = await create_database(pg_server_url, "fanout")
    await asyncio.to_thread(upgrade, url)
    keys = ",".join(f"{k}:{v}" for k, v in TEST_KEYS.items())
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis_url, "JWT_KEYS": keys, "LOYALTY_ENV": "test",
           "REDIS_PREFIX": "fanout:"}
    settings = Settings(env="test", database_url=url, redis_url=redis_url, jwt_keys=TEST_KEYS, jwt_active_kid="t1",
                        redis_prefix="fanout:")
    local = build_container(settings, DevCodeSink())
    try:
        async with local.uow() as uow:
            member, _ = await uow.members.get_or_create("+8613800138000", "FANOUT01", local.now())
            operator = await uow.staff.add("fanout-ops", "x", "运营", local.now())
            await uow.commit()
        tokens = JwtTokens(settings)
        member_token = tokens.issue_access(Role.MEMBER, member.id, local.now()).token
        staff_token = tokens.issue_access(Role.STAFF, operator.id, local.now(),
                                          staff=StaffGrant(operator.role, operator.version)).token
        with worker(env) as host_a, worker(env) as host_b:
            async with websockets.connect(f"ws://{host_a}/graphql", subprotocols=["graphql-transport-ws"]) as ws:
                await ws.send(json.dumps({"type": "connection_init", "payload": {"accessToken": member_token}}))
                assert json.loads(await ws.recv())["type"] == "connection_ack"
                await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
                    "query": "subscription { pointsChanged { entry { amount } balance { total } } }"}}))
                # The stream starts with the state now (no entry); the cross-worker event follows.
                current = json.loads(await asyncio.wait_for(ws.recv(), 10))
                assert current["payload"]["data"]["pointsChanged"] == {"entry": None, "balance": {"total": 0}}
                async with httpx.AsyncClient(base_url=f"http://{host_b}") as http:
                    r = await http.post("/graphql", headers={"authorization": f"Bearer {staff_token}"}, json={
                        "query": f"""mutation {{ adjustPoints(input: {{memberId: "{member.id}", amount: 42,
                          reason: "cross-worker", idempotencyKey: "fanout-1"}}) {{ entry {{ id }} }} }}"""})
                    assert "errors" not in r.json(), r.json()
                message = json.loads(await asyncio.wait_for(ws.recv(), 10))
                assert message["payload"]["data"]["pointsChanged"] == {"entry": {"amount": 42},
                                                                       "balance": {"total": 42}}
    finally:
        await local.close()
