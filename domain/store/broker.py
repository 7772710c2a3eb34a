"""Pub/sub for events: in-process for one server, Redis to fan out across workers.

`subscribe` returns only once the subscription is live, so a caller that subscribes and then
reads the current state from the database cannot miss a change made in between.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict
from collections.abc import AsyncIterator

from redis.asyncio import Redis
from redis.asyncio.client import PubSub

log = logging.getLogger(__name__)

QUEUE_LIMIT = 256


class InProcessSubscription:
    def __init__(self, broker: InProcessBroker, channel: str) -> None:
        self._broker = broker
        self._channel = channel
        self.queue: asyncio.Queue[dict[str, object]] = asyncio.Queue(QUEUE_LIMIT)

    def __aiter__(self) -> AsyncIterator[dict[str, object]]:
        return self

    async def __anext__(self) -> dict[str, object]:
        return await self.queue.get()

    async def aclose(self) -> None:
        self._broker.remove(self._channel, self.queue)


class InProcessBroker:
    def __init__(self) -> None:
        self._subscribers: dict[str, set[asyncio.Queue[dict[str, object]]]] = defaultdict(set)

    async def publish(self, channel: str, message: dict[str, object]) -> None:
        for queue in list(self._subscribers.get(channel, ())):
            if queue.full():
                # A slow consumer loses the oldest message rather than holding memory for ever.
                queue.get_nowait()
            queue.put_nowait(message)

    async def subscribe(self, channel: str) -> InProcessSubscription:
        subscription = InProcessSubscription(self, channel)
        self._subscribers[channel].add(subscription.queue)
        return subscription

    def remove(self, channel: str, queue: asyncio.Queue[dict[str, object]]) -> None:
        subscribers = self._subscribers.get(channel)
        if subscribers is not None:
            subscribers.discard(queue)
            if not subscribers:
                del self._subscribers[channel]


class RedisSubscription:
    def __init__(self, pubsub: PubSub) -> None:
        self._pubsub = pubsub

    def __aiter__(self) -> AsyncIterator[dict[str, object]]:
        return self

    async def __anext__(self) -> dict[str, object]:
        while True:
            raw = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=None)
            if raw is not None and raw.get("type") == "message":
                return json.loads(raw["data"])

    async def aclose(self) -> None:
        try:
            await self._pubsub.unsubscribe()
        except Exception:  # the connection may already be gone; closing is what matters
            log.debug("unsubscribe failed", exc_info=True)
        finally:
            await self._pubsub.aclose()


class RedisBroker:
    """Publishes through a client with short timeouts (a hung Redis must not stall commits);
    subscribes through one without a read timeout, since a quiet channel is normal."""

    def __init__(self, client: Redis, listener: Redis, prefix: str) -> None:
        self._client = client
        self._listener = listener
        self._prefix = prefix

    async def publish(self, channel: str, message: dict[str, object]) -> None:
        await self._client.publish(self._prefix + channel, json.dumps(message))

    async def subscribe(self, channel: str) -> RedisSubscription:
        pubsub = self._listener.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(self._prefix + channel)
        return RedisSubscription(pubsub)

    async def close(self) -> None:
        await self._listener.aclose()
