"""The response cache's storage: version vectors per member and program-wide, and the cached
answers; plus the record of what each write transaction wrote, which moves those versions.

What a transaction wrote is seen structurally: a listener on the engine reads the target table of
every INSERT / UPDATE / DELETE the unit of work's connection sends (SQLAlchemy statements and
hand-written SQL alike, CTEs included), so no use case has to remember to invalidate anything.
The tables map to dependency groups (TABLE_GROUPS, next to the field table in
domain/response_cache/dependencies.py). A statement may narrow what it moves with the execution
option `answer_groups` (a reward's stock, which every redemption writes, moves CATALOG_STOCK only).

Versions live in Redis hashes (`rc:v:g` program-wide, `rc:v:m:<member>` per member), each with an
`epoch` taken from a counter when the hash is (re)created, so a hash that expired or was deleted
never comes back with versions an old entry was stored under. A bump lost to a Redis outage lists
the hash on the shared repair list (domain/store/cache_repairs.py): the cache's trust lease is renewed
only after the listed hashes are deleted, and answers are read only under that lease, so after an
outage no worker serves an answer older than an acknowledged write."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.response_cache.dependencies import MEMBER_GROUPS, Group

log = logging.getLogger(__name__)

# Table -> the group its rows belong to. Tables not listed feed no cached field.
TABLE_GROUPS: dict[str, Group] = {
    "members": Group.MEMBER_PROFILE,
    "points_accounts": Group.MEMBER_ACCOUNT,
    "points_entries": Group.MEMBER_ACCOUNT,
    "points_lots": Group.MEMBER_ACCOUNT,
    "points_holds": Group.MEMBER_ACCOUNT,
    "points_hold_lots": Group.MEMBER_ACCOUNT,
    "points_lot_moves": Group.MEMBER_ACCOUNT,
    "coupons": Group.MEMBER_COUPONS,
    "member_tiers": Group.MEMBER_TIER,
    "tier_changes": Group.MEMBER_TIER,
    "purchases": Group.MEMBER_TIER,
    "refunds": Group.MEMBER_TIER,
    "rewards": Group.CATALOG,
    "tiers": Group.PROGRAM,
    "program_settings": Group.PROGRAM,
    "earning_rules": Group.PROGRAM,
}

WRITTEN = "answer_groups_written"  # key in the DBAPI connection's info while a write transaction is open
NARROW = "answer_groups"  # execution option: the groups this statement moves instead of its table's
_DML = re.compile(r"\b(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)", re.IGNORECASE)


def _record(conn: Any, _cursor: Any, statement: str, _params: Any, context: Any, _many: bool) -> None:
    written: set[Group] | None = conn.info.get(WRITTEN)
    if written is None:
        return
    narrowed = context.execution_options.get(NARROW) if context is not None else None
    for table in _DML.findall(statement):
        group = TABLE_GROUPS.get(table.lower())
        if group is not None:
            written.update(narrowed if narrowed is not None else (group,))


def record_written_groups(engine: AsyncEngine) -> None:
    """Installed once per engine (the write engine: reads never write)."""
    if not event.contains(engine.sync_engine, "before_cursor_execute", _record):
        event.listen(engine.sync_engine, "before_cursor_execute", _record)


@dataclass(frozen=True)
class Bumps:
    members: dict[int, frozenset[Group]]
    program_wide: frozenset[Group]

    def __bool__(self) -> bool:
        return bool(self.members or self.program_wide)


def bumps_for(written: set[Group], attributed: dict[Group, set[int]]) -> Bumps:
    """Member groups written with members named move those members' versions; written without
    one (a job, a bulk write, a path nobody taught to name its members) they move program-wide."""
    members: dict[int, set[Group]] = {}
    program_wide: set[Group] = set()
    for group in written:
        named = attributed.get(group) if group in MEMBER_GROUPS else None
        if named:
            for member_id in named:
                members.setdefault(member_id, set()).add(group)
        else:
            program_wide.add(group)
    return Bumps({m: frozenset(g) for m, g in members.items()}, frozenset(program_wide))


@dataclass(frozen=True)
class Lookup:
    versions: dict[str, str]  # "g.<group>" / "m.<group>" / "g.epoch" / "m.epoch" -> value
    entry: bytes | None


class AnswerStore(Protocol):
    async def read(self, member_id: int, entry_key: str) -> Lookup | None:
        """Both version vectors and the entry in one round trip; None when they cannot be read
        (the caller answers from the database)."""
        ...

    async def put(self, member_id: int, entry_key: str, entry: bytes, ttl_seconds: int) -> None: ...
    async def bump(self, bumps: Bumps) -> None:
        """After a commit; never raises (a lost bump is listed for repair)."""
        ...

    def unreachable(self) -> bool:
        """Known to be down (the cache's circuit breaker is open): bumps go straight to the repair list."""
        ...

    async def list_lost(self, bumps: Bumps, wait: bool) -> None:
        """A bump that cannot be made, listed for repair; `wait`: see RedisCache.list_for_repair."""
        ...


class InProcessAnswerStore:
    """The embedded default (one process): versions and answers in dicts."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self._program: dict[str, int] = {}
        self._members: dict[int, dict[str, int]] = {}
        self._entries: dict[str, tuple[float, bytes]] = {}
        self._max = max_entries

    async def read(self, member_id: int, entry_key: str) -> Lookup | None:
        versions = {f"g.{k}": str(v) for k, v in self._program.items()}
        versions.update({f"m.{k}": str(v) for k, v in self._members.get(member_id, {}).items()})
        found = self._entries.get(f"{member_id}:{entry_key}")
        entry = found[1] if found is not None and found[0] > time.monotonic() else None
        return Lookup(versions, entry)

    async def put(self, member_id: int, entry_key: str, entry: bytes, ttl_seconds: int) -> None:
        if len(self._entries) >= self._max:
            self._entries.clear()  # a bound, not an eviction policy: answers are cheap to recompute
        self._entries[f"{member_id}:{entry_key}"] = (time.monotonic() + ttl_seconds, entry)

    def unreachable(self) -> bool:
        return False

    async def list_lost(self, bumps: Bumps, wait: bool) -> None:
        await self.bump(bumps)  # nothing to lose in process

    async def bump(self, bumps: Bumps) -> None:
        for group in bumps.program_wide:
            self._program[group] = self._program.get(group, 0) + 1
        for member_id, groups in bumps.members.items():
            held = self._members.setdefault(member_id, {})
            for group in groups:
                held[group] = held.get(group, 0) + 1


# KEYS: trust lease, program-wide hash, member hash, entry, epoch counter; ARGV[1]: member hash TTL.
_READ = """
if redis.call('EXISTS', KEYS[1]) == 0 then
  local t = redis.call('TIME')
  return {0, t[1], t[2]}
end
local function versions(key, ttl)
  if redis.call('EXISTS', key) == 0 then redis.call('HSET', key, 'epoch', redis.call('INCR', KEYS[5])) end
  if ttl > 0 then redis.call('EXPIRE', key, ttl) end
  return redis.call('HGETALL', key)
end
return {1, versions(KEYS[2], 0), versions(KEYS[3], tonumber(ARGV[1])), redis.call('GET', KEYS[4])}
"""

# KEYS[1]: epoch counter, then version hashes; ARGV[1]: member hash TTL, then per hash "g1,g2" and
# its TTL flag (1: member hash, 0: program-wide).
_BUMP = """
for i = 2, #KEYS do
  local key = KEYS[i]
  if redis.call('EXISTS', key) == 0 then redis.call('HSET', key, 'epoch', redis.call('INCR', KEYS[1])) end
  for g in string.gmatch(ARGV[2 * i - 2], '[^,]+') do redis.call('HINCRBY', key, g, 1) end
  if ARGV[2 * i - 1] == '1' then redis.call('EXPIRE', key, ARGV[1]) end
end
return 1
"""


class RepairList(Protocol):
    """The versioned cache's repair list and trust lease (RedisCache)."""

    breaker: Any

    async def list_for_repair(self, versions: dict[str, int], wait: bool = True) -> None: ...
    async def restore_trust(self, seconds: bytes, micros: bytes) -> bool: ...


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _pairs(flat: Iterable[bytes | str], prefix: str) -> dict[str, str]:
    items = list(flat)
    return {f"{prefix}.{_text(items[i])}": _text(items[i + 1]) for i in range(0, len(items), 2)}


class RedisAnswerStore:
    """Shared by every worker and instance. Reads need the cache's trust lease (see RedisCache)."""

    def __init__(self, client: Redis, prefix: str, repairs: RepairList | None, versions_ttl_seconds: int) -> None:
        self._client = client
        self._prefix = prefix
        self._repairs = repairs
        self._ttl = versions_ttl_seconds
        self._read = client.register_script(_READ)
        self._bump = client.register_script(_BUMP)
        self._lease = prefix + "cache:trusted"
        self._seq = prefix + "rc:epochs"
        self._program = prefix + "rc:v:g"

    def _member(self, member_id: int) -> str:
        return f"{self._prefix}rc:v:m:{member_id}"

    def _entry(self, member_id: int, entry_key: str) -> str:
        return f"{self._prefix}rc:e:{member_id}:{entry_key}"

    async def read(self, member_id: int, entry_key: str) -> Lookup | None:
        if self.unreachable():
            return None  # a stalled Redis would cost every request a socket timeout
        keys = [self._lease, self._program, self._member(member_id), self._entry(member_id, entry_key), self._seq]
        try:
            reply = await self._read(keys=keys, args=[self._ttl])
            for _attempt in range(2):  # a renewal that came too late (a busy machine) is tried once more
                if reply[0] == 1 or self._repairs is None:
                    break
                # No trust lease: repairs may be pending. Work them off (as the cache's own reads do),
                # then read again; without that, answer from the database.
                if await self._repairs.restore_trust(reply[1], reply[2]):
                    reply = await self._read(keys=keys, args=[self._ttl])
                    break
                reply = await self._read(keys=keys, args=[self._ttl])
            if reply[0] != 1:
                return None
        except (RedisError, OSError) as exc:
            log.warning("response cache versions unreadable, answering from the database: %s", exc)
            if self._repairs is not None:
                self._repairs.breaker.trip("get", exc)
            return None
        except Exception as exc:  # the repair list is unreadable (database trouble): read the database
            log.warning("cache repair list unavailable, answering from the database: %s", exc)
            return None
        versions = _pairs(reply[1], "g")
        versions.update(_pairs(reply[2], "m"))
        return Lookup(versions, reply[3] or None)

    async def put(self, member_id: int, entry_key: str, entry: bytes, ttl_seconds: int) -> None:
        try:
            await self._client.set(self._entry(member_id, entry_key), entry, ex=ttl_seconds)
        except (RedisError, OSError) as exc:  # best effort: a lost fill leaves nothing stale
            log.warning("could not store a cached response: %s", exc)

    def _hashes(self, bumps: Bumps) -> tuple[list[str], list[str | int]]:
        keys: list[str] = [self._seq]
        args: list[str | int] = [self._ttl]
        if bumps.program_wide:
            keys.append(self._program)
            args += [",".join(sorted(bumps.program_wide)), 0]
        for member_id, groups in bumps.members.items():
            keys.append(self._member(member_id))
            args += [",".join(sorted(groups)), 1]
        return keys, args

    def unreachable(self) -> bool:
        return self._repairs is not None and not self._repairs.breaker.closed

    async def bump(self, bumps: Bumps) -> None:
        if self.unreachable():
            await self.list_lost(bumps, wait=True)
            return
        keys, args = self._hashes(bumps)
        try:
            await self._bump(keys=keys, args=args)
            return
        except (RedisError, OSError) as exc:
            log.warning("response cache versions not moved, listing them for repair: %s", exc)
            if self._repairs is not None:
                self._repairs.breaker.trip("cache put", exc)
        await self.list_lost(bumps, wait=True)

    async def list_lost(self, bumps: Bumps, wait: bool) -> None:
        hashes = self._hashes(bumps)[0][1:]
        if self._repairs is None:
            log.error("cached responses may be stale until their TTL: %s", hashes)
            return
        try:
            # Version 0: the repair deletes the hash, so its next read starts a new epoch.
            await self._repairs.list_for_repair({key: 0 for key in hashes}, wait)
        except Exception:  # the commit stands; entries expire with their TTL
            log.exception("could not list response cache versions for repair")
