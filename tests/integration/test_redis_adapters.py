"""The Redis cache and broker against a real redis-server, and what happens when Redis is gone."""

from __future__ import annotations

import asyncio
import gc
import time
import uuid

import pytest
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

from domain.store.broker import InProcessBroker, RedisBroker
from domain.store.cache import InProcessCache, PrefetchedCache, RedisCache
from tests.support.servers import free_port, redis_server

pytestmark = pytest.mark.redis


@pytest.fixture
async def redis_client(redis_url: str):
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
def prefix() -> str:
    return f"t:{uuid.uuid4().hex[:8]}:"


@pytest.mark.parametrize("kind", ["redis", "in-process"])
async def test_only_a_newer_version_replaces_a_cached_value(kind: str, redis_client: Redis, prefix: str) -> None:
    cache = RedisCache(redis_client, prefix) if kind == "redis" else InProcessCache()
    assert await cache.get("m:1") is None
    await cache.put_if_newer("m:1", 2, {"name": "v2"}, 60)
    await cache.put_if_newer("m:1", 1, {"name": "stale v1"}, 60)  # a slow reader arriving late
    assert await cache.get("m:1") == {"name": "v2"}
    await cache.put_if_newer("m:1", 3, {"name": "v3"}, 60)
    assert await cache.get("m:1") == {"name": "v3"}
    await cache.delete("m:1")
    assert await cache.get("m:1") is None


@pytest.mark.parametrize("kind", ["redis", "in-process"])
async def test_a_version_fence_hides_older_copies_until_a_read_fills_the_new_version(
        kind: str, redis_client: Redis, prefix: str) -> None:
    cache = RedisCache(redis_client, prefix) if kind == "redis" else InProcessCache()
    await cache.put_if_newer("b:1", 4, {"total": 40}, 60)
    await cache.write_through([("b:1", 5, None, 60), ("p:1", 2, {"name": "v2"}, 60)])  # a commit: fence, value
    assert await cache.get("b:1") is None, "version 4 is older than the committed 5"
    assert await cache.get("p:1") == {"name": "v2"}
    await cache.put_if_newer("b:1", 4, {"total": 40}, 60)  # a reader that loaded before the commit
    assert await cache.get("b:1") is None
    await cache.put_if_newer("b:1", 5, {"total": 50}, 60)  # the next read, from the database
    assert await cache.get("b:1") == {"total": 50}
    await cache.write_through([("b:2", 1, None, 60)])  # nothing cached yet: a later older fill stays out
    await cache.put_if_newer("b:2", 0, {"total": 0}, 60)
    assert await cache.get("b:2") is None


@pytest.mark.parametrize("kind", ["redis", "in-process"])
async def test_several_entries_in_one_read(kind: str, redis_client: Redis, prefix: str) -> None:
    cache = RedisCache(redis_client, prefix) if kind == "redis" else InProcessCache()
    await cache.put_if_newer("a", 1, {"n": "a"}, 60)
    await cache.put_if_newer("c", 1, {"n": "c"}, 60)
    assert await cache.get_many(["a", "b", "c"]) == [{"n": "a"}, None, {"n": "c"}]


@pytest.mark.parametrize("kind", ["redis", "in-process"])
async def test_a_prefetched_entry_answers_once_and_writes_go_through(kind: str, redis_client: Redis,
                                                                      prefix: str) -> None:
    cache = RedisCache(redis_client, prefix) if kind == "redis" else InProcessCache()
    await cache.put_if_newer("p", 1, {"v": 1}, 60)
    view = await PrefetchedCache.fetch(cache, ["p", "q"])
    await cache.put_if_newer("p", 2, {"v": 2}, 60)  # written by someone else after the fetch
    assert await view.get("p") == {"v": 1}, "the first read is the one made at the start"
    assert await view.get("p") == {"v": 2}, "later reads ask the cache again"
    await view.put_if_newer("q", 1, {"v": "q"}, 60)
    assert await view.get("q") == {"v": "q"} and await cache.get("q") == {"v": "q"}


async def test_cached_entries_expire(redis_client: Redis, prefix: str) -> None:
    cache = RedisCache(redis_client, prefix)
    await cache.put_if_newer("m:1", 1, {"x": 1}, 1)
    assert 0 < await redis_client.ttl(prefix + "m:1") <= 1


async def test_a_dead_redis_is_a_cache_miss_not_an_error() -> None:
    dead = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=0.2, socket_timeout=0.2)
    cache = RedisCache(dead, "x:")
    started = time.monotonic()
    assert await cache.get("k") is None
    assert await cache.get_many(["k", "j"]) == [None, None]
    await cache.put_if_newer("k", 1, {"a": 1}, 10)
    for _ in range(50):  # the breaker skips Redis after a failure instead of timing out each time
        assert await cache.get("k") is None
    assert time.monotonic() - started < 2
    await dead.aclose()


async def test_redis_broker_delivers_between_separate_connections(redis_url: str, prefix: str) -> None:
    publisher_client = Redis.from_url(redis_url)
    publisher = RedisBroker(publisher_client, Redis.from_url(redis_url), prefix)
    subscriber_client = Redis.from_url(redis_url)
    subscriber = RedisBroker(subscriber_client, Redis.from_url(redis_url), prefix)
    stream = await subscriber.subscribe("member:1:profile")
    first = asyncio.ensure_future(stream.__anext__())
    await publisher.publish("member:1:profile", {"type": "MemberProfileChanged", "version": 2})
    await publisher.publish("member:2:profile", {"type": "not for this subscriber"})
    assert await asyncio.wait_for(first, 5) == {"type": "MemberProfileChanged", "version": 2}
    await stream.aclose()
    await subscriber.close()
    await publisher.close()
    await subscriber_client.aclose()
    await publisher_client.aclose()


async def test_in_process_broker_bounds_a_slow_consumer() -> None:
    broker = InProcessBroker()
    stream = await broker.subscribe("c")
    first = asyncio.ensure_future(stream.__anext__())
    await asyncio.sleep(0)
    for i in range(2000):
        await broker.publish("c", {"i": i})
    received = [await first] + [await stream.__anext__() for _ in range(255)]
    # Memory stays bounded: the oldest messages were dropped, the newest 256 kept in order.
    assert [m["i"] for m in received] == list(range(2000 - 256, 2000))
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(stream.__anext__(), 0.05)
    await stream.aclose()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
async def test_redis_that_dies_mid_test_degrades_to_misses() -> None:
    with redis_server() as (url, proc):
        client = Redis.from_url(url, socket_connect_timeout=0.2, socket_timeout=0.2)
        cache = RedisCache(client, "d:")
        await cache.put_if_newer("k", 1, {"a": 1}, 60)
        assert await cache.get("k") == {"a": 1}
        proc.kill()
        proc.wait()
        assert await cache.get("k") is None
        await client.aclose()
        gc.collect()  # redis-py leaves the killed server's sockets for the collector


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
async def test_subscribers_are_told_to_resync_after_redis_comes_back() -> None:
    port = free_port()
    with redis_server(port) as (url, proc):
        publisher = Redis.from_url(url, socket_timeout=0.5, retry=Retry(NoBackoff(), 1),
                                   retry_on_error=[RedisConnectionError])
        broker = RedisBroker(publisher, Redis.from_url(url), "r:", retry_seconds=0.1)
        stream = await broker.subscribe("member:1:points")
        await broker.publish("member:1:points", {"n": 1})
        assert await asyncio.wait_for(stream.__anext__(), 5) == {"n": 1}
        proc.kill()
        proc.wait()
    with redis_server(port):
        # The reader reconnects by itself and tells subscribers they may have missed something.
        assert await asyncio.wait_for(stream.__anext__(), 10) == {"type": "Resync"}
        await broker.publish("member:1:points", {"n": 2})
        assert await asyncio.wait_for(stream.__anext__(), 5) == {"n": 2}
        await broker.close()
        await broker._client.aclose()  # type: ignore[attr-defined]
    gc.collect()


@pytest.mark.parametrize("kind", ["redis", "in-process"])
async def test_closing_the_broker_ends_every_subscription(kind: str, redis_url: str, prefix: str) -> None:
    broker = (RedisBroker(Redis.from_url(redis_url), Redis.from_url(redis_url), prefix) if kind == "redis"
              else InProcessBroker())
    streams = [await broker.subscribe(f"member:{i}:points") for i in range(3)]
    await broker.close()
    for stream in streams:
        with pytest.raises(StopAsyncIteration):
            await asyncio.wait_for(stream.__anext__(), 2)
    if kind == "redis":
        await broker._client.aclose()  # type: ignore[attr-defined]


@pytest.mark.parametrize("kind", ["redis", "in-process"])
async def test_a_listener_gets_its_channels_events_until_it_stops(kind: str, redis_url: str, prefix: str) -> None:
    """Websocket authority listens with a callback instead of a queue per socket: it must see every
    event of its channel, none of another, nothing after aclose, and survive the broker's close."""
    publisher_client = Redis.from_url(redis_url)
    broker = (RedisBroker(publisher_client, Redis.from_url(redis_url), prefix) if kind == "redis"
              else InProcessBroker())
    heard: list[dict[str, object]] = []
    arrived = asyncio.Event()

    def hear(event: dict[str, object]) -> None:
        heard.append(event)
        arrived.set()

    listening = await broker.listen("member:1:access", hear)
    await broker.publish("member:2:access", {"n": 0})
    await broker.publish("member:1:access", {"n": 1})
    await asyncio.wait_for(arrived.wait(), 5)
    assert heard == [{"n": 1}]
    await listening.aclose()
    await broker.publish("member:1:access", {"n": 2})
    await asyncio.sleep(0.2)
    assert heard == [{"n": 1}]
    await broker.close()
    await publisher_client.aclose()


class _CountedRepairs:
    """The repair list (in the database in the app): empty here, counting how often it is read."""

    def __init__(self) -> None:
        self.reads = 0

    async def add(self, versions: dict[str, int]) -> None:
        raise AssertionError("nothing is lost in this test")

    async def pending(self, limit: int) -> dict[str, int]:
        self.reads += 1
        await asyncio.sleep(0.005)  # a database round trip, during which other requests arrive
        return {}

    async def done(self, versions: dict[str, int]) -> None:
        raise AssertionError("nothing is listed in this test")


async def test_requests_meeting_a_lapsed_lease_together_read_the_repair_list_once(
        redis_client: Redis, prefix: str) -> None:
    repairs = _CountedRepairs()
    cache = RedisCache(redis_client, prefix, repairs=repairs)
    await cache.put_if_newer("p", 1, {"v": 1}, 60)
    # No lease yet (a fresh prefix): the eight concurrent requests of one worker all find it missing.
    answers = await asyncio.gather(*(cache.get_many(["p"]) for _ in range(8)))
    assert answers == [[{"v": 1}]] * 8
    assert repairs.reads == 1


async def test_a_lease_renewal_held_up_by_a_busy_worker_still_serves_entries(redis_client: Redis,
                                                                             prefix: str) -> None:
    class SlowRepairs(_CountedRepairs):
        async def pending(self, limit: int) -> dict[str, int]:
            self.reads += 1
            await asyncio.sleep(0.06)  # the repair-list read and the event loop's turns on a loaded worker
            return {}

    cache = RedisCache(redis_client, prefix, repairs=SlowRepairs())
    await cache.put_if_newer("p", 1, {"v": 1}, 60)
    assert await cache.get_many(["p"]) == [{"v": 1}]
