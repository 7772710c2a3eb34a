"""Pub/sub for events: in-process for one server, Redis to fan out across workers."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict
from collections.abc import AsyncIterator

from redis.asyncio import Redis

log = logging.getLogger(__name__)

QUEUE_LIMIT = 256


class InProcessBroker:
    def __init__(self) -> None:
        self._subscribers: dict[str, set[asyncio.Queue[dict[str, object]]]] = defaultdict(set)

    async def publish(self, channel: str, message: dict[str, object]) -> None:
        for queue in list(self._subscribers.get(channel, ())):
            if queue.full():
                # A slow consumer loses the oldest message rather than holding memory for ever.
                queue.get_nowait()
            queue.put_nowait(message)

    async def subscribe(self, channel: str) -> AsyncIterator[dict[str, object]]:
        queue: asyncio.Queue[dict[str, object]] = asyncio.Queue(QUEUE_LIMIT)
        self._subscribers[channel].add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._subscribers[channel].discard(queue)
            if not self._subscribers[channel]:
                del self._subscribers[channel]


class RedisBroker:
    """Publishes through a client with short timeouts (a hung Redis must not stall commits);
    subscribes through one without a read timeout, since a quiet channel is normal."""

    def __init__(self, client: Redis, listener: Redis, prefix: str) -> None:
        self._client = client
        self._listener = listener
        self._prefix = prefix

    async def publish(self, channel: str, message: dict[str, object]) -> None:
        await self._client.publish(self._prefix + channel, json.dumps(message))

    async def subscribe(self, channel: str) -> AsyncIterator[dict[str, object]]:
        pubsub = self._listener.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(self._prefix + channel)
        try:
            async for raw in pubsub.listen():
                if raw.get("type") == "message":
                    yield json.loads(raw["data"])
        finally:
            try:
                await pubsub.unsubscribe()
            finally:
                await pubsub.aclose()

    async def close(self) -> None:
        await self._listener.aclose()
