"""Fixed-window request counters: in-process, or shared by all workers through Redis.

When Redis does not answer, a limit is never lifted: each call says what it wants instead
(`WhenShared.DOWN_REFUSES` answers "retry later"; `WhenShared.DOWN_COUNTS_LOCALLY` goes on counting in
this process from the last count Redis gave, so a caller already over its budget stays over it).
"""

from __future__ import annotations

import logging
import math
import time

from redis.asyncio import Redis
from redis.exceptions import RedisError

from domain.ports import WhenShared

log = logging.getLogger(__name__)

_MAX_KEYS = 100_000


class InProcessRateLimiter:
    def __init__(self) -> None:
        self._windows: dict[str, tuple[int, int]] = {}

    async def hit(self, key: str, limit: int, window_seconds: int,
                  when_down: WhenShared = WhenShared.DOWN_COUNTS_LOCALLY) -> int:
        """0 when allowed, else the seconds until the window resets."""
        now = int(time.time())
        window = now // window_seconds
        current, count = self._windows.get(key, (window, 0))
        if current != window:
            count = 0
        count += 1
        self._remember(key, window, count)
        return 0 if count <= limit else (window + 1) * window_seconds - now

    def seed(self, key: str, window: int, count: int) -> None:
        """What the shared counter said: the local count never starts below it."""
        current = self._windows.get(key)
        if current is None or current[0] != window or current[1] < count:
            self._remember(key, window, count)

    def _remember(self, key: str, window: int, count: int) -> None:
        if len(self._windows) >= _MAX_KEYS and key not in self._windows:
            self._windows.clear()  # a flood of distinct keys must not grow memory without bound
        self._windows[key] = (window, count)


class RedisRateLimiter:
    def __init__(self, client: Redis, prefix: str, breaker_seconds: float = 5.0) -> None:
        self._client = client
        self._prefix = prefix
        self._local = InProcessRateLimiter()
        self._breaker_seconds = breaker_seconds
        # After a failure, skip Redis for a moment so a stall does not add a timeout to every call.
        self._skip_until = 0.0

    async def hit(self, key: str, limit: int, window_seconds: int,
                  when_down: WhenShared = WhenShared.DOWN_COUNTS_LOCALLY) -> int:
        now = int(time.time())
        window = now // window_seconds
        if time.monotonic() >= self._skip_until:
            name = f"{self._prefix}rate:{key}:{window}"
            try:
                async with self._client.pipeline(transaction=True) as pipe:
                    count, _ = await pipe.incr(name).expire(name, window_seconds + 1).execute()
            except (RedisError, OSError) as exc:
                self._skip_until = time.monotonic() + self._breaker_seconds
                log.warning("rate limiter unavailable for %s (%s): %s", key, when_down.value, exc)
            else:
                self._local.seed(key, window, int(count))
                return 0 if int(count) <= limit else (window + 1) * window_seconds - now
        if when_down is WhenShared.DOWN_REFUSES:
            return max(1, math.ceil(self._skip_until - time.monotonic()))
        return await self._local.hit(key, limit, window_seconds)
