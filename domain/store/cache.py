"""Versioned cache: in-process for the embedded default, Redis in production.

Writers only replace an entry with a newer version, so a slow reader that loaded an old
row cannot overwrite the fresh copy a later write put there. When Redis is down every
call degrades to a miss (reads go to the database) and the outage is logged, not raised;
a circuit breaker keeps a stalled Redis from adding a timeout to every call.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Protocol

import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError

from domain.ports import Cache
from domain.store.breaker import CircuitBreaker

log = logging.getLogger(__name__)

# An empty value is a version fence: copies older than `v` stop being served, and only a fill of at
# least `v` (the next read, from the database) is served again. The key lives at least `ttl` more.
_PUT_IF_NEWER = """
for i, key in ipairs(KEYS) do
  local v, d, ttl = ARGV[3 * i - 2], ARGV[3 * i - 1], ARGV[3 * i]
  if d == '' then
    local m = redis.call('HGET', key, 'min')
    if not m or tonumber(m) < tonumber(v) then redis.call('HSET', key, 'min', v) end
    if redis.call('TTL', key) < tonumber(ttl) then redis.call('EXPIRE', key, ttl) end
  else
    local current = redis.call('HMGET', key, 'v', 'min')
    local newer = not (current[1] and tonumber(current[1]) >= tonumber(v))
    if newer and not (current[2] and tonumber(current[2]) > tonumber(v)) then
      redis.call('HSET', key, 'v', v, 'd', d)
      redis.call('EXPIRE', key, ttl)
    end
  end
end
return 1
"""

# KEYS[1] is the trust lease, the rest the entries. Without the lease nothing is served, and the
# reply carries Redis's clock so that the renewal can prove it followed the repair-list read.
_READ = """
if redis.call('EXISTS', KEYS[1]) == 0 then
  local t = redis.call('TIME')
  return {0, t[1], t[2]}
end
local out = {1}
for i = 2, #KEYS do
  local r = redis.call('HMGET', KEYS[i], 'v', 'min', 'd')
  if r[3] and not (r[2] and tonumber(r[1]) < tonumber(r[2])) then out[i] = r[3] else out[i] = false end
end
return out
"""

# Renew the lease only if no more than ARGV[3] ms passed since the read that found it missing (and
# so since the repair list was read): a renewal held up in a stalled Redis must not revive trust.
_RENEW = """
local t = redis.call('TIME')
local elapsed = (tonumber(t[1]) - tonumber(ARGV[1])) * 1000 + (tonumber(t[2]) - tonumber(ARGV[2])) / 1000
if elapsed > tonumber(ARGV[3]) then return 0 end
redis.call('SET', KEYS[1], '1', 'PX', ARGV[4])
return 1
"""

# Entries below their `min` version are misses and cannot be written back by a slow reader; 0 deletes.
_FENCE = """
for i, key in ipairs(KEYS) do
  local v = tonumber(ARGV[i])
  if v == 0 then
    redis.call('DEL', key)
  else
    local m = redis.call('HGET', key, 'min')
    if not m or tonumber(m) < v then redis.call('HSET', key, 'min', v) end
    if redis.call('TTL', key) < 0 then redis.call('EXPIRE', key, ARGV[#ARGV]) end
  end
end
return 1
"""

# How long a write-through waits for a replica to confirm it (Sentinel mode): on loopback or a LAN a
# replica answers in well under a millisecond; a replica that is down costs writes this much each.
REPLICA_WAIT_MS = 50
# After a replica failed to confirm, writes stop waiting for one for this long (they are listed for
# repair at once), so a Redis running without its replica costs writes no 50 ms each.
REPLICA_MISSING_SECONDS = 5.0

# How long a renewed lease lets entries be served without looking at the repair list, and how
# late a renewal may arrive. A worker that lost a write-through lists the key and then waits
# LEASE_MS + RENEW_SLACK_MS before acknowledging, so every lease granted before its listing is gone.
# The slack covers the repair-list read (two database round trips) and the event loop's turns around
# it: on a busy worker that took 10-130 ms (median ~26 ms, two cores at load 8), so a 20 ms slack
# refused most renewals and a loaded worker answered nearly every request from the database. The
# price of more slack is paid only after a lost write-through (Redis down): 300 ms before its ack.
LEASE_MS = 100
RENEW_SLACK_MS = 200
REPAIR_BATCH = 500
FENCE_TTL_SECONDS = 3600


class CacheRepairs(Protocol):
    async def add(self, versions: dict[str, int]) -> None: ...
    async def pending(self, limit: int) -> dict[str, int]: ...
    async def done(self, versions: dict[str, int]) -> None: ...


class InProcessCache:
    def __init__(self) -> None:
        # key -> (version, expires at, value or None for a fence alone, minimum version served)
        self._entries: dict[str, tuple[int, float, dict[str, object] | None, int]] = {}

    async def get_content(self, key: str) -> dict[str, object] | None:
        return await self.get(key)

    async def get(self, key: str) -> dict[str, object] | None:
        entry = self._entries.get(key)
        if entry is None or entry[1] < time.monotonic() or entry[0] < entry[3]:
            return None
        return entry[2]

    async def put_if_newer(self, key: str, version: int, value: dict[str, object], ttl_seconds: int) -> None:
        current = self._entries.get(key)
        floor = 0
        if current is not None and current[1] >= time.monotonic():
            if current[2] is not None and current[0] >= version:
                return
            floor = current[3]
        if version < floor:
            return  # fenced: a reader that loaded this before a later write committed
        self._entries[key] = (version, time.monotonic() + ttl_seconds, value, floor)

    async def write_through(self, entries: list[tuple[str, int, dict[str, object] | None, int]]) -> None:
        for key, version, value, ttl_seconds in entries:
            if value is not None:
                await self.put_if_newer(key, version, value, ttl_seconds)
                continue
            current = self._entries.get(key)
            until = time.monotonic() + ttl_seconds
            if current is None or current[1] < time.monotonic():
                self._entries[key] = (0, until, None, version)
            else:
                self._entries[key] = (current[0], max(current[1], until), current[2], max(current[3], version))

    async def get_many(self, keys: list[str]) -> list[dict[str, object] | None]:
        return [await self.get(key) for key in keys]

    async def delete(self, key: str) -> None:
        self._entries.pop(key, None)


class RedisCache:
    """Entries are served only under a short trust lease that is renewed after the shared repair
    list (`repairs`, in the database) has been worked off. A write-through lost to an outage is
    listed there before the write is acknowledged, and the writer waits out any lease granted
    before, so after Redis comes back no worker serves a copy older than an acknowledged write,
    whichever worker lost it. Without `repairs` (adapter tests) the lease is renewed blindly."""

    def __init__(self, client: Redis, prefix: str, breaker: CircuitBreaker | None = None,
                 repairs: CacheRepairs | None = None, replicas_to_ack: int = 0,
                 replica_wait_ms: int = REPLICA_WAIT_MS) -> None:
        self._client = client
        # With Sentinel, a write-through counts only once a replica has it (WAIT): one the primary
        # took but never passed on would come back stale after a failover, as an older version that
        # nothing marks for repair. Unconfirmed writes go on the repair list like lost ones.
        self._replicas_to_ack = replicas_to_ack
        self._replica_wait_ms = replica_wait_ms
        self._replica_missing_until = 0.0
        self._prefix = prefix
        self._put = client.register_script(_PUT_IF_NEWER)
        self._read = client.register_script(_READ)
        self._renew = client.register_script(_RENEW)
        self._fence = client.register_script(_FENCE)
        self._lease = prefix + "cache:trusted"
        self.breaker = breaker or CircuitBreaker()
        self._repairs = repairs
        self._renewing = asyncio.Lock()
        # This worker's successful renewals. A request that found the lease gone while another was
        # renewing it needs no repair-list read of its own: the lease is 100 ms, and under load every
        # lapse queued all of a worker's requests here, each reading the list and renewing in turn.
        self._renewals = 0

    def use_repairs(self, repairs: CacheRepairs) -> None:
        self._repairs = repairs

    def _failed(self, op: str, exc: Exception) -> None:
        self.breaker.trip(f"cache {op}", exc)

    async def get(self, key: str) -> dict[str, object] | None:
        return (await self.get_many([key]))[0]

    async def get_content(self, key: str) -> dict[str, object] | None:
        """One round trip, no lease: the entry is named by its content and cannot be stale."""
        if not self.breaker.closed:
            return None
        try:
            raw = await self._client.hget(self._prefix + key, "d")  # entries are hashes: v(ersion), d(ata)
        except (RedisError, OSError) as exc:
            self._failed("get", exc)
            return None
        return await self._decoded(key, raw)

    async def get_many(self, keys: list[str]) -> list[dict[str, object] | None]:
        """Several entries in one round trip (a script reading the lease and the entries)."""
        misses: list[dict[str, object] | None] = [None] * len(keys)
        if not self.breaker.closed:
            return misses
        full = [self._lease] + [self._prefix + key for key in keys]
        try:
            reply = await self._read(keys=full)
            if reply[0] != 1:
                if not await self._restore_trust(reply[1], reply[2]):
                    return misses
                reply = await self._read(keys=full)
                if reply[0] != 1:
                    return misses
        except (RedisError, OSError) as exc:
            self._failed("get", exc)
            return misses
        except Exception as exc:  # the repair list is unreadable (database trouble): read the database
            log.warning("cache repair list unavailable, reading the database: %s", exc)
            return misses
        raws = list(reply[1:])
        return [await self._decoded(key, raw) for key, raw in zip(keys, raws, strict=True)]

    def _confirmed(self, acked: object) -> bool:
        if int(acked) >= self._replicas_to_ack:  # type: ignore[call-overload]
            self._replica_missing_until = 0.0
            return True
        log.warning("no Redis replica confirmed a cache write within %sms: listing it for repair, and serving "
                    "no cached copy until a replica confirms the repair", self._replica_wait_ms)
        self._replica_missing_until = time.monotonic() + REPLICA_MISSING_SECONDS
        return False

    async def _fence_confirmed(self) -> bool:
        """A fence only the primary holds would vanish in a failover with the repair marked done."""
        if not self._replicas_to_ack:
            return True
        if time.monotonic() < self._replica_missing_until:
            return False
        return self._confirmed(await self._client.execute_command("WAIT", self._replicas_to_ack,
                                                                  self._replica_wait_ms))

    async def _restore_trust(self, seconds: bytes, micros: bytes) -> bool:
        renewals = self._renewals
        waited = self._renewing.locked()
        async with self._renewing:
            if waited:
                # Another request of this worker was renewing: its outcome answers this one too. Renewed,
                # the caller reads again, served only if that lease still holds (every read checks it);
                # refused (this request's own Redis time is older still), the caller reads the database.
                return self._renewals != renewals
            if self._repairs is not None:
                while pending := await self._repairs.pending(REPAIR_BATCH):
                    await self._fence(keys=list(pending), args=[*pending.values(), FENCE_TTL_SECONDS])
                    if not await self._fence_confirmed():
                        return False  # the repairs stay listed; readers use the database meanwhile
                    await self._repairs.done(pending)
                    if len(pending) < REPAIR_BATCH:
                        break
            renewed = bool(await self._renew(keys=[self._lease], args=[seconds, micros, RENEW_SLACK_MS, LEASE_MS]))
            if renewed:
                self._renewals += 1
            return renewed

    async def _decoded(self, key: str, raw: bytes | str | None) -> dict[str, object] | None:
        if not raw:
            return None
        try:
            value = orjson.loads(raw)  # several entries a request: orjson parses them ~5x faster
        except ValueError:
            log.warning("unreadable cache entry %s dropped", key)
            await self.delete(key)
            return None
        return value if isinstance(value, dict) else None

    async def put_if_newer(self, key: str, version: int, value: dict[str, object], ttl_seconds: int) -> None:
        """A read filling the cache: best effort, a lost fill leaves nothing stale."""
        if not self.breaker.closed:
            return
        try:
            await self._put(keys=[self._prefix + key], args=[version, json.dumps(value), ttl_seconds])
        except (RedisError, OSError) as exc:
            self._failed("put", exc)

    async def write_through(self, entries: list[tuple[str, int, dict[str, object] | None, int]]) -> None:
        """After a committed write, in one round trip (a None value is a version fence); entries lost to
        an outage are listed for repair (and any older lease waited out) before this returns, that is
        before the write is acknowledged."""
        if not entries:
            return
        keys = [self._prefix + entry[0] for entry in entries]
        if self.breaker.closed:
            try:
                args: list[str | int] = []
                for _key, version, value, ttl_seconds in entries:
                    args += [version, "" if value is None else json.dumps(value), ttl_seconds]
                if not self._replicas_to_ack:
                    await self._put(keys=keys, args=args)
                    return
                if time.monotonic() < self._replica_missing_until:  # known unconfirmable: do not wait again
                    await self._put(keys=keys, args=args)
                else:
                    async with self._client.pipeline(transaction=False) as pipe:  # one round trip
                        await self._put(keys=keys, args=args, client=pipe)
                        pipe.execute_command("WAIT", self._replicas_to_ack, self._replica_wait_ms)
                        _done, acked = await pipe.execute()
                    if self._confirmed(acked):
                        return
            except (RedisError, OSError) as exc:
                self._failed("put", exc)
        await self._lost({full: entry[1] for full, entry in zip(keys, entries, strict=True)})

    async def restore_trust(self, seconds: bytes, micros: bytes) -> bool:
        """For another reader that found the lease missing (Redis's TIME of that read): the repairs
        are worked off first, as for this cache's own reads."""
        try:
            return await self._restore_trust(seconds, micros)
        except (RedisError, OSError) as exc:
            self._failed("get", exc)
            return False

    async def list_for_repair(self, versions: dict[str, int], wait: bool = True) -> None:
        """Keys (with their prefix) another writer failed to move: fenced (version 0: deleted) before
        the trust lease is renewed. With `wait`, this returns only once every older lease is gone
        (without: the caller waits, or a write-through listed after this one does)."""
        if wait:
            await self._lost(versions)
        elif self._repairs is not None:
            await self._repairs.add(versions)
        else:
            log.error("cache entries missed their update and may be stale until their TTL: %s", list(versions))

    async def _lost(self, versions: dict[str, int]) -> None:
        if self._repairs is None:
            log.error("cache entries missed their update and may be stale until their TTL: %s", list(versions))
            return
        await self._repairs.add(versions)
        # Any lease granted before the listing above ends within this time; later ones repair first.
        await asyncio.sleep((LEASE_MS + RENEW_SLACK_MS) / 1000)

    async def delete(self, key: str) -> None:
        if self.breaker.closed:
            try:
                await self._client.delete(self._prefix + key)
                return
            except (RedisError, OSError) as exc:
                self._failed("delete", exc)
        await self._lost({self._prefix + key: 0})


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

    async def get_content(self, key: str) -> dict[str, object] | None:
        return await self._cache.get_content(key)

    async def put_if_newer(self, key: str, version: int, value: dict[str, object], ttl_seconds: int) -> None:
        self._fetched.pop(key, None)
        await self._cache.put_if_newer(key, version, value, ttl_seconds)

    async def write_through(self, entries: list[tuple[str, int, dict[str, object] | None, int]]) -> None:
        for entry in entries:
            self._fetched.pop(entry[0], None)
        await self._cache.write_through(entries)

    async def delete(self, key: str) -> None:
        self._fetched.pop(key, None)
        await self._cache.delete(key)
