"""Versioned cache: in-process for the embedded default, Redis in production.

Writers only replace an entry with a newer version, so a slow reader that loaded an old
row cannot overwrite the fresh copy a later write put there. When Redis is down every
call degrades to a miss (reads go to the database) and the outage is logged, not raised.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time

from redis.asyncio import Redis
from redis.exceptions import RedisError

from domain.ports import Cache

log = logging.getLogger(__name__)

_PUT_IF_NEWER = """
local current = redis.call('HGET', KEYS[1], 'v')
if current and tonumber(current) >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'd', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
"""


DIRTY_LIMIT = 100_000


class InProcessCache:
    def __init__(self) -> None:
        self._entries: dict[str, tuple[int, float, dict[str, object]]] = {}

    async def get(self, key: str) -> dict[str, object] | None:
        entry = self._entries.get(key)
        if entry is None or entry[1] < time.monotonic():
            return None
        return entry[2]

    async def put_if_newer(self, key: str, version: int, value: dict[str, object], ttl_seconds: int) -> None:
        current = self._entries.get(key)
        if current is not None and current[0] >= version and current[1] >= time.monotonic():
            return
        self._entries[key] = (version, time.monotonic() + ttl_seconds, value)

    async def put_confirmed(self, key: str, version: int, value: dict[str, object], ttl_seconds: int,
                            wait_seconds: float) -> bool:
        await self.put_if_newer(key, version, value, ttl_seconds)
        return True

    async def get_many(self, keys: list[str]) -> list[dict[str, object] | None]:
        return [await self.get(key) for key in keys]

    async def delete(self, key: str) -> None:
        self._entries.pop(key, None)


class RedisCache:
    def __init__(self, client: Redis, prefix: str, breaker_seconds: float = 5.0) -> None:
        self._client = client
        self._prefix = prefix
        self._put = client.register_script(_PUT_IF_NEWER)
        self._breaker_seconds = breaker_seconds
        # After a failure, skip Redis for a moment so an outage does not add a timeout to every request.
        self._skip_until = 0.0
        # Keys whose write-through was lost to an outage: their cached copies may be stale, so
        # they are deleted as soon as Redis answers again.
        self._dirty: set[str] = set()

    def _available(self) -> bool:
        return time.monotonic() >= self._skip_until

    def _failed(self, op: str, exc: Exception) -> None:
        self._skip_until = time.monotonic() + self._breaker_seconds
        log.warning("redis cache %s failed, using the database: %s", op, exc)

    async def _forget_dirty(self) -> None:
        if self._dirty:
            keys = list(self._dirty)
            await self._client.delete(*keys)
            self._dirty.difference_update(keys)

    def _mark_dirty(self, full_key: str) -> None:
        if len(self._dirty) < DIRTY_LIMIT:
            self._dirty.add(full_key)
        else:
            log.error("too many cache keys missed their update; stale entries live until their TTL")

    async def get(self, key: str) -> dict[str, object] | None:
        if not self._available():
            return None
        try:
            await self._forget_dirty()
            raw = await self._client.hget(self._prefix + key, "d")
        except (RedisError, OSError) as exc:
            self._failed("get", exc)
            return None
        return await self._decoded(key, raw)

    async def get_many(self, keys: list[str]) -> list[dict[str, object] | None]:
        """Several entries in one round trip (a pipeline of HGETs)."""
        if not self._available():
            return [None] * len(keys)
        try:
            await self._forget_dirty()
            async with self._client.pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.hget(self._prefix + key, "d")
                raws = await pipe.execute()
        except (RedisError, OSError) as exc:
            self._failed("get", exc)
            return [None] * len(keys)
        return [await self._decoded(key, raw) for key, raw in zip(keys, raws, strict=True)]

    async def _decoded(self, key: str, raw: bytes | str | None) -> dict[str, object] | None:
        if not raw:
            return None
        try:
            value = json.loads(raw)
        except ValueError:
            log.warning("unreadable cache entry %s dropped", key)
            await self.delete(key)
            return None
        return value if isinstance(value, dict) else None

    async def put_if_newer(self, key: str, version: int, value: dict[str, object], ttl_seconds: int) -> None:
        if not self._available():
            self._mark_dirty(self._prefix + key)
            return
        try:
            await self._forget_dirty()
            await self._put(keys=[self._prefix + key], args=[version, json.dumps(value), ttl_seconds])
        except (RedisError, OSError) as exc:
            self._mark_dirty(self._prefix + key)
            self._failed("put", exc)

    async def put_confirmed(self, key: str, version: int, value: dict[str, object], ttl_seconds: int,
                            wait_seconds: float) -> bool:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                await self._forget_dirty()
                await self._put(keys=[self._prefix + key], args=[version, json.dumps(value), ttl_seconds])
            except (RedisError, OSError) as exc:
                self._mark_dirty(self._prefix + key)
                self._failed("put", exc)
                if time.monotonic() >= deadline:
                    return False
                await asyncio.sleep(0.2)
            else:
                self._dirty.discard(self._prefix + key)
                self._skip_until = 0.0  # it answered: stop skipping it
                return True

    async def delete(self, key: str) -> None:
        try:
            await self._client.delete(self._prefix + key)
        except (RedisError, OSError) as exc:
            self._mark_dirty(self._prefix + key)
            self._failed("delete", exc)


class PrefetchedCache:
    """A request's view of the cache with some entries already fetched in one round trip: each
    prefetched entry answers the first `get` of its key, later gets and every write go to the
    cache itself. Built at the start of a request, so it is no staler than reading then."""

    def __init__(self, cache: Cache, fetched: dict[str, dict[str, object] | None]) -> None:
        self._cache = cache
        self._fetched = fetched

    @classmethod
    async def fetch(cls, cache: Cache, keys: list[str]) -> PrefetchedCache:
        return cls(cache, dict(zip(keys, await cache.get_many(keys), strict=True)))

    async def get(self, key: str) -> dict[str, object] | None:
        if key in self._fetched:
            return self._fetched.pop(key)
        return await self._cache.get(key)

    async def get_many(self, keys: list[str]) -> list[dict[str, object] | None]:
        return [await self.get(key) for key in keys]

    async def put_if_newer(self, key: str, version: int, value: dict[str, object], ttl_seconds: int) -> None:
        self._fetched.pop(key, None)
        await self._cache.put_if_newer(key, version, value, ttl_seconds)

    async def put_confirmed(self, key: str, version: int, value: dict[str, object], ttl_seconds: int,
                            wait_seconds: float) -> bool:
        self._fetched.pop(key, None)
        return await self._cache.put_confirmed(key, version, value, ttl_seconds, wait_seconds)

    async def delete(self, key: str) -> None:
        self._fetched.pop(key, None)
        await self._cache.delete(key)
