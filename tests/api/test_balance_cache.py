"""The hot balance lives in Redis, written through after each ledger commit, and the numbers stay
right when Redis is blocked or dies."""

from __future__ import annotations

import asyncio
import gc
import json
import time

import pytest
from redis.asyncio import Redis

from api.container import REDIS_TIMEOUT_SECONDS
from domain.points.balance import balance_cache_key
from domain.store.cache import LEASE_MS, RENEW_SLACK_MS
from tests.support.books import assert_books_balance
from tests.support.client import ApiClient
from tests.support.program import configure_program
from tests.support.roles import staff_token
from tests.support.servers import redis_server

POINTS = "{ me { points { available pending total } } }"
ADJUST = """mutation($m: ID!, $a: Int!, $k: String!) {
  adjustPoints(input: {memberId: $m, amount: $a, reason: "test", idempotencyKey: $k}) { balance { total } } }"""

pytestmark = pytest.mark.redis


async def test_balance_is_cached_with_a_version_and_fenced_after_each_write(make_client, redis_url: str) -> None:
    """A write fences the cached copy at the version it committed (no older copy is served); the
    next read computes the balance from the database and caches it at that version."""
    api: ApiClient = make_client(redis_url=redis_url)
    await configure_program(api.container)
    member = await api.sign_in("13800138000")
    staff = await staff_token(api)
    await api.data(ADJUST, {"m": member.member_id, "a": 120, "k": "k1"}, staff)
    raw = Redis.from_url(redis_url)
    key = api.container.settings.redis_prefix + balance_cache_key(int(member.member_id))
    assert int(await raw.hget(key, "min")) == 1
    assert (await api.data(POINTS, token=member.access_token))["me"]["points"]["total"] == 120
    cached = json.loads(await raw.hget(key, "d"))
    assert (cached["total"], cached["available"], cached["version"]) == (120, 120, 1)

    await api.data(ADJUST, {"m": member.member_id, "a": -20, "k": "k2"}, staff)
    assert int(await raw.hget(key, "min")) == 2
    assert (await api.data(POINTS, token=member.access_token))["me"]["points"]["total"] == 100
    cached = json.loads(await raw.hget(key, "d"))
    assert (cached["total"], cached["version"]) == (100, 2)

    # Someone writes a stale older version: it is below the fence, and the next write fences again.
    await raw.hset(key, mapping={"v": 1, "d": json.dumps({**cached, "total": 999, "version": 1})})
    assert (await api.data(POINTS, token=member.access_token))["me"]["points"]["total"] == 100
    await api.data(ADJUST, {"m": member.member_id, "a": 5, "k": "k3"}, staff)
    assert (await api.data(POINTS, token=member.access_token))["me"]["points"]["total"] == 105
    assert json.loads(await raw.hget(key, "d"))["total"] == 105
    await raw.aclose()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
async def test_numbers_stay_right_when_redis_dies_mid_test(make_client) -> None:
    with redis_server() as (url, proc):
        api: ApiClient = make_client(redis_url=url)
        await configure_program(api.container)
        member = await api.sign_in("13800138000")
        staff = await staff_token(api)
        await api.data(ADJUST, {"m": member.member_id, "a": 300, "k": "before"}, staff)
        assert (await api.data(POINTS, token=member.access_token))["me"]["points"]["total"] == 300
        proc.kill()
        proc.wait()
        await api.data(ADJUST, {"m": member.member_id, "a": -100, "k": "during"}, staff)
        points = (await api.data(POINTS, token=member.access_token))["me"]["points"]
        assert points == {"available": 200, "pending": 0, "total": 200}
        await assert_books_balance(api.container.engine)
        await api.container.close()
        gc.collect()


async def test_a_blocked_redis_falls_back_to_the_database(make_client) -> None:
    with redis_server() as (url, proc):
        api: ApiClient = make_client(redis_url=url)
        await configure_program(api.container)
        member = await api.sign_in("13800138000")
        staff = await staff_token(api)
        await api.data(ADJUST, {"m": member.member_id, "a": 50, "k": "a"}, staff)
        proc.send_signal(19)  # SIGSTOP: Redis accepts nothing and answers nothing
        try:
            await api.data(ADJUST, {"m": member.member_id, "a": 25, "k": "b"}, staff)
            assert (await api.data(POINTS, token=member.access_token))["me"]["points"]["total"] == 75
        finally:
            proc.send_signal(18)  # SIGCONT
        await api.container.close()


async def test_a_write_lost_to_a_redis_blip_does_not_leave_a_stale_balance(make_client) -> None:
    with redis_server() as (url, proc):
        api: ApiClient = make_client(redis_url=url)
        api.container.cache.breaker.open_seconds = 0.2  # type: ignore[attr-defined]
        await configure_program(api.container)
        member = await api.sign_in("13800138000")
        staff = await staff_token(api)
        await api.data(ADJUST, {"m": member.member_id, "a": 10, "k": "one"}, staff)
        assert (await api.data(POINTS, token=member.access_token))["me"]["points"]["total"] == 10  # cached
        proc.send_signal(19)
        try:
            await api.data(ADJUST, {"m": member.member_id, "a": 5, "k": "two"}, staff)  # write-through lost
        finally:
            proc.send_signal(18)
        await asyncio.sleep(0.3)
        assert (await api.data(POINTS, token=member.access_token))["me"]["points"]["total"] == 15
        await api.container.close()


async def test_after_a_redis_stall_no_worker_serves_a_balance_older_than_an_acknowledged_write(make_client) -> None:
    """Two workers share PostgreSQL/SQLite and Redis. A write on worker A loses its write-through
    to a paused Redis; once Redis is back, worker B (which saw no failure) must not serve the
    copy it cached before."""
    with redis_server() as (url, proc):
        worker_a: ApiClient = make_client(redis_url=url, redis_prefix="shared:")
        worker_b: ApiClient = make_client(redis_url=url, redis_prefix="shared:")
        await configure_program(worker_a.container)
        member = await worker_a.sign_in("13800138000")
        staff = await staff_token(worker_a)
        await worker_a.data(ADJUST, {"m": member.member_id, "a": 10, "k": "one"}, staff)
        assert (await worker_b.data(POINTS, token=member.access_token))["me"]["points"]["total"] == 10  # cached
        proc.send_signal(19)  # SIGSTOP
        try:
            await worker_a.data(ADJUST, {"m": member.member_id, "a": 5, "k": "two"}, staff)  # acknowledged
        finally:
            proc.send_signal(18)  # SIGCONT
        for _ in range(20):
            assert (await worker_b.data(POINTS, token=member.access_token))["me"]["points"]["total"] == 15
            await asyncio.sleep(0.05)
        await worker_a.container.close()
        await worker_b.container.close()


async def test_writes_during_a_redis_stall_cost_milliseconds(make_client) -> None:
    """The first write waits out one short socket timeout; the circuit breaker then keeps the
    cache write and the event publish off Redis, so later writes do not wait at all."""
    with redis_server() as (url, proc):
        api: ApiClient = make_client(redis_url=url)
        await configure_program(api.container)
        member = await api.sign_in("13800138000")
        staff = await staff_token(api)
        await api.data(ADJUST, {"m": member.member_id, "a": 10, "k": "warm"}, staff)
        proc.send_signal(19)
        try:
            took = []
            for i in range(4):
                began = time.perf_counter()
                await api.data(ADJUST, {"m": member.member_id, "a": 1, "k": f"stall-{i}"}, staff)
                took.append(time.perf_counter() - began)
        finally:
            proc.send_signal(18)
        # Before the breaker covered publishing: ~2 s for the first write and ~1 s for each one after.
        # A write whose cache step failed waits out any trust lease granted before it listed the
        # repair (LEASE_MS + RENEW_SLACK_MS), so a reader elsewhere cannot serve the old balance; the
        # first also waits out one socket timeout before the breaker opens, and lists the balance and
        # the response cache's versions one after the other (two waits; later writes list both at once).
        lease_wait = (LEASE_MS + RENEW_SLACK_MS) / 1000
        assert took[0] < REDIS_TIMEOUT_SECONDS + 2 * lease_wait + 0.2, took
        assert max(took[1:]) < lease_wait + 0.15, took
        assert (await api.data(POINTS, token=member.access_token))["me"]["points"]["total"] == 14
        await api.container.close()
