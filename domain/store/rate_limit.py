"""Fixed-window request counters: in-process, or shared by all workers through Redis."""

from __future__ import annotations

import logging
import time

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


class InProcessRateLimiter:
    def __init__(self) -> None:
        self._windows: dict[str, tuple[int, int]] = {}

    async def hit(self, key: str, limit: int, window_seconds: int) -> int:
        """0 when allowed, else the seconds until the window resets."""
        now = int(time.time())
        window = now // window_seconds
        current, count = self._windows.get(key, (window, 0))
        if current != window:
            count = 0
        count += 1
        self._windows[key] = (window, count)
        return 0 if count <= limit else (window + 1) * window_seconds - now


class RedisRateLimiter:
    def __init__(self, client: Redis, prefix: str) -> None:
        self._client = client
        self._prefix = prefix

    async def hit(self, key: str, limit: int, window_seconds: int) -> int:
        now = int(time.time())
        window = now // window_seconds
        name = f"{self._prefix}rate:{key}:{window}"
        try:
            async with self._client.pipeline(transaction=True) as pipe:
                count, _ = await pipe.incr(name).expire(name, window_seconds + 1).execute()
        except (RedisError, OSError) as exc:
            # Limits protect capacity; an outage of the counter store should not stop business.
            log.warning("rate limiter unavailable, allowing %s: %s", key, exc)
            return 0
        return 0 if int(count) <= limit else (window + 1) * window_seconds - now
