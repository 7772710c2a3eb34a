"""A real streaming replica on loopback: reads go to it, a writer never reads stale data even with
replay paused, and losing the replica falls back to the primary."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator

import asyncpg
import pytest

from api.app import create_app
from api.migrate import upgrade
from api.sms import DevCodeSink
from tests.conftest import app_settings, create_database, in_thread, truncate_all
from tests.support.client import ApiClient
from tests.support.program import configure_program
from tests.support.roles import staff_token
from tests.support.servers import postgres_with_replica

pytestmark = pytest.mark.postgres

HISTORY = "{ me { pointsHistory(first: 10) { edges { node { amount } } } } }"
GIFT = """mutation($to: String!, $a: Int!, $k: String!) { giftPoints(input: {recipient: {phone: $to}, amount: $a,
  idempotencyKey: $k}) { entry { amount } } }"""
ADJUST = """mutation($m: ID!, $a: Int!, $k: String!) {
  adjustPoints(input: {memberId: $m, amount: $a, reason: "seed", idempotencyKey: $k}) { entry { id } } }"""


def _raw(url: str) -> str:
    return url.replace("+asyncpg", "")


async def _wait_caught_up(primary: str, replica: str) -> None:
    p, r = await asyncpg.connect(_raw(primary)), await asyncpg.connect(_raw(replica))
    try:
        target = await p.fetchval("SELECT pg_current_wal_lsn()")
        deadline = time.monotonic() + 20
        while not await r.fetchval("SELECT pg_last_wal_replay_lsn() >= $1", target):
            assert time.monotonic() < deadline, "the replica did not catch up"
            await asyncio.sleep(0.05)
    finally:
        await p.close()
        await r.close()


@pytest.fixture(scope="module")
def topology() -> Iterator[tuple[str, str, Callable[[], None]]]:
    with postgres_with_replica() as (primary, replica, stop_replica):
        db = in_thread(asyncio.run, create_database(primary, "loyalty_rep"))
        in_thread(upgrade, db)
        yield db, f"{replica}/loyalty_rep", stop_replica


@pytest.fixture
async def cluster(topology) -> AsyncIterator[tuple[ApiClient, str, str, Callable[[], None]]]:
    primary, replica, stop_replica = topology
    await truncate_all(primary)
    await _wait_caught_up(primary, replica)
    sink = DevCodeSink()
    client = ApiClient(create_app(app_settings(primary, database_replica_url=replica), code_sender=sink), sink)
    yield client, primary, replica, stop_replica
    await client.close()
    await client.container.close()


async def _pause(replica: str, paused: bool) -> None:
    conn = await asyncpg.connect(_raw(replica))
    try:
        await conn.execute("SELECT pg_wal_replay_pause()" if paused else "SELECT pg_wal_replay_resume()")
    finally:
        await conn.close()


async def test_reads_go_to_the_replica_and_a_writer_reads_its_own_writes_with_replay_paused(cluster) -> None:
    api, primary, replica, _stop = cluster
    await configure_program(api.container)
    staff = await staff_token(api)
    alice, bob = await api.sign_in("13800138000"), await api.sign_in("13900139000")
    await api.data(ADJUST, {"m": alice.member_id, "a": 100, "k": "rep-0"}, staff)
    await _wait_caught_up(primary, replica)
    router = api.container.router
    before = dict(router.routed)
    assert (await api.data(HISTORY, token=bob.access_token))["me"]["pointsHistory"]["edges"] == []
    assert router.routed["replica"] > before["replica"], "a reader with no recent write reads the replica"

    await _pause(replica, True)
    try:
        await api.data(GIFT, {"to": "13900139000", "a": 30, "k": "rep-gift"}, alice.access_token)
        for _ in range(3):
            mine = await api.data(HISTORY, token=alice.access_token)
            assert [e["node"]["amount"] for e in mine["me"]["pointsHistory"]["edges"]] == [-30, 100], \
                "the writer sees its own gift at once"
        # Bob did not write: his history comes from the paused replica and cannot show the gift yet,
        # which proves his reads went there.
        stale = await api.data(HISTORY, token=bob.access_token)
        assert stale["me"]["pointsHistory"]["edges"] == []
    finally:
        await _pause(replica, False)
    await _wait_caught_up(primary, replica)
    fresh = await api.data(HISTORY, token=bob.access_token)
    assert [e["node"]["amount"] for e in fresh["me"]["pointsHistory"]["edges"]] == [30]


async def test_losing_the_replica_falls_back_to_the_primary(cluster) -> None:
    api, _primary, _replica, stop_replica = cluster
    await configure_program(api.container)
    alice = await api.sign_in("13700137000")
    router = api.container.router
    await api.data(HISTORY, token=alice.access_token)
    assert router.routed["replica"] >= 1
    stop_replica()
    before = dict(router.routed)
    for _ in range(3):
        assert (await api.data(HISTORY, token=alice.access_token))["me"]["pointsHistory"]["edges"] == []
    assert router.routed["primary"] >= before["primary"] + 3, "every read after the loss went to the primary"
    assert router.routed["replica"] == before["replica"]
