"""Pub/sub for events: in-process for one server, Redis to fan out across workers.

Each process keeps one Redis pattern subscription and hands messages to local, bounded
per-subscriber queues, so ten thousand websocket subscribers cost ten thousand small queues,
not ten thousand Redis connections. A slow subscriber loses its oldest messages instead of
holding memory; subscribers treat any message as "something changed" and re-read from the
database after their cursor, so a dropped message or a Redis reconnect loses nothing.

`subscribe` returns only once the subscription is live, so a caller that subscribes and then
reads the current state cannot miss a change made in between.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError

from domain.store.breaker import CircuitBreaker

log = logging.getLogger(__name__)

QUEUE_LIMIT = 256
RESYNC: dict[str, object] = {"type": "Resync"}
_CLOSED = object()


class LocalSubscription:
    """One subscriber's bounded buffer. Not an asyncio.Queue: an idle websocket keeps one of these
    for as long as it is open, and a Queue is four deques and an event (~3 KiB) before its first
    message; this holds no buffer until a message arrives and at most one waiter."""

    __slots__ = ("_hub", "_items", "_waiter", "channel")

    def __init__(self, hub: LocalHub, channel: str) -> None:
        self._hub = hub
        self.channel = channel
        self._items: deque[object] | None = None
        self._waiter: asyncio.Future[None] | None = None

    def __aiter__(self) -> AsyncIterator[dict[str, object]]:
        return self

    async def __anext__(self) -> dict[str, object]:
        while not self._items:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        item = self._items.popleft()
        if item is _CLOSED:
            self._items.appendleft(item)  # ended for good: every later call ends too
            raise StopAsyncIteration
        return item  # type: ignore[return-value]

    def offer(self, item: object) -> None:
        if self._items is None:
            # Bounded: a full buffer drops its oldest message (the subscriber re-reads from the database anyway).
            self._items = deque(maxlen=QUEUE_LIMIT)
        self._items.append(item)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def aclose(self) -> None:
        self._hub.remove(self)


class LocalListener:
    """A subscriber that is a callback instead of a queue: nothing waits per subscriber, so an idle
    websocket's watch for the end of its authority costs a few hundred bytes, not a task and a queue.
    The callback runs in the delivering task and must not block; it gets events only (a dict), also
    the RESYNC marker after a Redis reconnect, never the end-of-stream marker."""

    def __init__(self, hub: LocalHub, channel: str, callback: Callable[[dict[str, object]], None]) -> None:
        self._hub = hub
        self.channel = channel
        self._callback = callback

    def offer(self, item: object) -> None:
        if isinstance(item, dict):
            try:
                self._callback(item)
            except Exception:  # one listener's failure must not stop delivery to the others
                log.exception("event listener on %s failed", self.channel)

    async def aclose(self) -> None:
        self._hub.remove(self)


class LocalHub:
    """Channel -> subscribers of this process."""

    def __init__(self) -> None:
        self._subscribers: dict[str, set[LocalSubscription | LocalListener]] = defaultdict(set)

    def add(self, channel: str) -> LocalSubscription:
        subscription = LocalSubscription(self, channel)
        self._subscribers[channel].add(subscription)
        return subscription

    def add_listener(self, channel: str, callback: Callable[[dict[str, object]], None]) -> LocalListener:
        listener = LocalListener(self, channel, callback)
        self._subscribers[channel].add(listener)
        return listener

    def remove(self, subscription: LocalSubscription | LocalListener) -> None:
        subscribers = self._subscribers.get(subscription.channel)
        if subscribers is not None:
            subscribers.discard(subscription)
            if not subscribers:
                del self._subscribers[subscription.channel]

    def deliver(self, channel: str, message: dict[str, object]) -> None:
        for subscription in list(self._subscribers.get(channel, ())):
            subscription.offer(message)

    def deliver_all(self, item: object) -> None:
        for subscribers in list(self._subscribers.values()):
            for subscription in list(subscribers):
                subscription.offer(item)

    @property
    def count(self) -> int:
        return sum(len(s) for s in self._subscribers.values())


class InProcessBroker:
    def __init__(self) -> None:
        self._hub = LocalHub()

    async def publish(self, channel: str, message: dict[str, object]) -> None:
        self._hub.deliver(channel, message)

    async def subscribe(self, channel: str) -> LocalSubscription:
        return self._hub.add(channel)

    async def listen(self, channel: str, callback: Callable[[dict[str, object]], None]) -> LocalListener:
        return self._hub.add_listener(channel, callback)

    async def close(self) -> None:
        self._hub.deliver_all(_CLOSED)


class RedisBroker:
    """Publishes through a client with short timeouts (a hung Redis must not stall commits);
    listens through one without a read timeout, since a quiet channel is normal."""

    def __init__(self, client: Redis, listener: Redis, prefix: str, retry_seconds: float = 1.0,
                 breaker: CircuitBreaker | None = None) -> None:
        self._client = client
        self._breaker = breaker or CircuitBreaker()
        self._listener = listener
        self._prefix = prefix
        self._retry_seconds = retry_seconds
        self._hub = LocalHub()
        self._reader: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def publish(self, channel: str, message: dict[str, object]) -> None:
        """Fire and forget, like Redis pub/sub itself: while the breaker is open the event is
        dropped at once (subscribers resync from the database), not after a timeout per event."""
        if not self._breaker.closed:
            return
        try:
            await self._client.publish(self._prefix + channel, json.dumps(message))
        except (RedisError, OSError) as exc:
            self._breaker.trip("publish", exc)

    async def subscribe(self, channel: str) -> LocalSubscription:
        subscription = self._hub.add(channel)
        await self._live()
        return subscription

    async def listen(self, channel: str, callback: Callable[[dict[str, object]], None]) -> LocalListener:
        listener = self._hub.add_listener(channel, callback)
        await self._live()
        return listener

    async def _live(self) -> None:
        if self._reader is None or self._reader.done():
            self._ready = asyncio.Event()
            self._reader = asyncio.create_task(self._read_forever(), name="redis-broker-reader")
        try:
            await asyncio.wait_for(self._ready.wait(), 5)
        except TimeoutError:
            # Redis is unreachable: the subscriber still gets its first state from the database
            # and a resync when the reader connects.
            log.warning("redis pub/sub not ready; subscriber will catch up on reconnect")

    async def _read_forever(self) -> None:
        pattern = self._prefix + "*"
        while True:
            pubsub = self._listener.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.psubscribe(pattern)
                if self._ready.is_set():
                    self._hub.deliver_all(RESYNC)  # messages may have been missed while disconnected
                self._ready.set()
                while True:
                    raw = await pubsub.get_message(ignore_subscribe_messages=True, timeout=None)
                    if raw is None or raw.get("type") != "pmessage":
                        continue
                    channel = raw["channel"].decode() if isinstance(raw["channel"], bytes) else raw["channel"]
                    try:
                        message = json.loads(raw["data"])
                    except ValueError:
                        log.warning("dropping an unreadable event on %s", channel)
                        continue
                    self._hub.deliver(channel[len(self._prefix):], message)
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                log.warning("redis pub/sub lost (%s); reconnecting", exc)
                await asyncio.sleep(self._retry_seconds)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    async def close(self) -> None:
        self._hub.deliver_all(_CLOSED)
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        await self._listener.aclose()
