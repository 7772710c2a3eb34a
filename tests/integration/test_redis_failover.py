"""Redis high availability with Sentinel: the primary is killed while the app works; the app
reconnects to the promoted replica, no acknowledged write is lost (a cached balance never shows an
older value than the ledger) and subscriptions resume."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from api.app import create_app
from api.sms import DevCodeSink
from tests.conftest import app_settings
from tests.support.books import assert_books_balance
from tests.support.client import ApiClient
from tests.support.program import configure_program
from tests.support.roles import staff_token
from tests.support.servers import SentinelGroup, redis_sentinel_group

pytestmark = pytest.mark.postgres

ADJUST = """mutation($m: ID!, $a: Int!, $k: String!) {
  adjustPoints(input: {memberId: $m, amount: $a, reason: "seed", idempotencyKey: $k}) { entry { id } } }"""
POINTS = "{ me { points { total } } }"


@pytest.fixture
async def sentinel_api(postgres_url: str) -> AsyncIterator[tuple[ApiClient, SentinelGroup]]:
    with redis_sentinel_group() as group:
        sink = DevCodeSink()
        settings = app_settings(postgres_url, redis_url=f"redis://127.0.0.1:{group.primary_port}/0",
                                redis_sentinels=group.sentinels, redis_sentinel_master=group.MASTER)
        client = ApiClient(create_app(settings, code_sender=sink), sink)
        try:
            yield client, group
        finally:
            await client.close()
            await client.container.close()


async def _master(group: SentinelGroup) -> int:
    sentinel = Redis(host="127.0.0.1", port=group.sentinel_ports[0])
    try:
        _host, port = await sentinel.execute_command("SENTINEL", "get-master-addr-by-name", group.MASTER)
        return int(port)
    finally:
        await sentinel.aclose()


async def _replicated(group: SentinelGroup) -> None:
    primary, replica = Redis(port=group.primary_port), Redis(port=group.replica_port)
    try:
        deadline = time.monotonic() + 10
        while True:
            offset = (await primary.info("replication"))["master_repl_offset"]
            if (await replica.info("replication")).get("slave_repl_offset", -1) >= offset:
                return
            assert time.monotonic() < deadline, "the replica did not catch up"
            await asyncio.sleep(0.05)
    finally:
        await primary.aclose()
        await replica.aclose()


async def test_failover_loses_no_acknowledged_write_and_subscriptions_resume(sentinel_api) -> None:
    api, group = sentinel_api
    await configure_program(api.container)
    staff = await staff_token(api)
    alice = await api.sign_in("13800138000")
    await api.data(ADJUST, {"m": alice.member_id, "a": 100, "k": "f-1"}, staff)
    assert (await api.data(POINTS, token=alice.access_token))["me"]["points"]["total"] == 100
    subscription = await api.container.broker.subscribe(f"member:{alice.member_id}:points")
    await _replicated(group)

    # The replica stops replicating (frozen), so the next write reaches the primary alone; then the
    # primary dies. Whatever the primary acknowledged and the replica never got must not come back
    # as a stale balance after the replica is promoted.
    replica = group.procs["replica"]
    os.kill(replica.pid, signal.SIGSTOP)
    primary = Redis(port=group.primary_port)
    await primary.execute_command("CLIENT", "KILL", "TYPE", "replica")  # nothing more reaches it
    await primary.aclose()
    try:
        await api.data(ADJUST, {"m": alice.member_id, "a": 50, "k": "f-2"}, staff)
        killed_at = time.monotonic()
        group.procs["primary"].kill()
    finally:
        os.kill(replica.pid, signal.SIGCONT)
    while await _master(group) != group.replica_port:
        assert time.monotonic() - killed_at < 30, "sentinel did not promote the replica"
        await asyncio.sleep(0.1)
    promoted = time.monotonic() - killed_at

    # Balances are always the ledger's, during the failover and after it.
    while True:
        total = (await api.data(POINTS, token=alice.access_token))["me"]["points"]["total"]
        assert total == 150, "a balance older than an acknowledged write was served"
        if api.container.cache.breaker.closed and await api.container.redis.ping():  # type: ignore[union-attr]
            break
        await asyncio.sleep(0.1)
    recovered = time.monotonic() - killed_at
    for _ in range(5):
        assert (await api.data(POINTS, token=alice.access_token))["me"]["points"]["total"] == 150

    # Pub/sub is fire and forget: an event published while the breaker is still open is dropped and
    # subscribers get a Resync instead. What must hold is that events flow again on the new primary.
    deadline = time.monotonic() + 20
    seen: list[object] = []
    attempt = 0
    while not any(isinstance(m, dict) and m.get("type") == "PointsChanged" for m in seen):
        assert time.monotonic() < deadline, f"the subscription did not resume: {seen}"
        attempt += 1
        await api.data(ADJUST, {"m": alice.member_id, "a": 10, "k": f"f-3-{attempt}"}, staff)
        for _ in range(4):
            with contextlib.suppress(TimeoutError):
                seen.append(await asyncio.wait_for(subscription.__anext__(), 0.5))
    await assert_books_balance(api.container.engine)
    print(f"\nsentinel promoted the replica {promoted:.1f}s after the kill; the app was back on Redis "
          f"after {recovered:.1f}s")
