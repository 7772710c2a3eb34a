"""Open websockets per subject, counted across workers (Redis) so a cap holds for the whole deployment.

Each socket is an entry with an expiry that its connection refreshes; a worker that dies without
releasing its sockets frees them when the entries expire. When Redis does not answer, each worker
counts its own sockets (a cap per worker, never none).
"""

from __future__ import annotations

import logging
import time

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

_CLAIM = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1
"""


class InProcessPresence:
    def __init__(self) -> None:
        self._open: dict[str, dict[str, float]] = {}

    async def claim(self, key: str, socket_id: str, limit: int, ttl_seconds: int) -> bool:
        now = time.time()
        live = {s: until for s, until in self._open.get(key, {}).items() if until > now}
        if len(live) >= limit:
            self._open[key] = live
            return False
        live[socket_id] = now + ttl_seconds
        self._open[key] = live
        return True

    async def refresh(self, key: str, socket_id: str, ttl_seconds: int) -> None:
        if socket_id in self._open.get(key, {}):
            self._open[key][socket_id] = time.time() + ttl_seconds

    async def release(self, key: str, socket_id: str) -> None:
        sockets = self._open.get(key, {})
        sockets.pop(socket_id, None)
        if not sockets:
            self._open.pop(key, None)


class RedisPresence:
    def __init__(self, client: Redis, prefix: str) -> None:
        self._client = client
        self._prefix = prefix
        self._claim = client.register_script(_CLAIM)
        self._local = InProcessPresence()  # this worker's own sockets, the fallback count

    async def claim(self, key: str, socket_id: str, limit: int, ttl_seconds: int) -> bool:
        now = time.time()
        try:
            shared = await self._claim(keys=[self._prefix + "sockets:" + key],
                                       args=[now, limit, now + ttl_seconds, socket_id, ttl_seconds + 60])
        except (RedisError, OSError) as exc:
            log.warning("socket presence unavailable, counting this worker's sockets only: %s", exc)
            return await self._local.claim(key, socket_id, limit, ttl_seconds)
        if not shared:
            return False
        await self._local.claim(key, socket_id, limit + 1, ttl_seconds)  # never refuses what Redis allowed
        return True

    async def refresh(self, key: str, socket_id: str, ttl_seconds: int) -> None:
        await self._local.refresh(key, socket_id, ttl_seconds)
        try:
            await self._client.zadd(self._prefix + "sockets:" + key, {socket_id: time.time() + ttl_seconds}, xx=True)
        except (RedisError, OSError) as exc:
            log.warning("socket presence refresh failed: %s", exc)

    async def release(self, key: str, socket_id: str) -> None:
        await self._local.release(key, socket_id)
        try:
            await self._client.zrem(self._prefix + "sockets:" + key, socket_id)
        except (RedisError, OSError) as exc:
            log.warning("socket presence release failed (the entry expires): %s", exc)
