"""Read replicas: where a request's reads go, and how a writer reads its own writes.

With `DATABASE_REPLICA_URL` set, the reads of an HTTP request (its read-only units of work, which
share one connection: see SharedReads) go to a streaming replica, except for a caller who wrote in
the last `read_your_writes_seconds`: after each write the unit of work pins the writer to the WAL
position of its commit, and until the replica has replayed past it that caller reads the primary.
A replica that cannot be reached is left alone for a while and everyone reads the primary. When the
pins cannot be read (Redis down), reads go to the primary too: a pin lost must never mean a stale
answer, so the fallback is the slower, correct one."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.store.breaker import CircuitBreaker

log = logging.getLogger(__name__)

REPLICA_RETRY_SECONDS = 5.0


class InProcessPins:
    """One process (tests, a single worker): pins in a dict with deadlines."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._pins: dict[str, tuple[str, float]] = {}
        self._clock = clock

    async def set(self, subject: str, lsn: str, seconds: float) -> None:
        self._pins[subject] = (lsn, self._clock() + seconds)

    async def get(self, subject: str) -> str | None:
        found = self._pins.get(subject)
        if found is None:
            return None
        if found[1] <= self._clock():
            self._pins.pop(subject, None)
            return None
        return found[0]


class RedisPins:
    """Several workers: a write on one and the next read on another see the same pin."""

    def __init__(self, redis: Redis, prefix: str, breaker: CircuitBreaker) -> None:
        self._redis, self._prefix, self._breaker = redis, prefix, breaker

    async def set(self, subject: str, lsn: str, seconds: float) -> None:
        if not self._breaker.closed:
            raise ConnectionError("redis breaker open")
        try:
            await self._redis.set(f"{self._prefix}pin:{subject}", lsn, px=max(1, int(seconds * 1000)))
        except Exception as exc:
            self._breaker.trip("pin write", exc)
            raise

    async def get(self, subject: str) -> str | None:
        if not self._breaker.closed:
            raise ConnectionError("redis breaker open")
        try:
            raw = await self._redis.get(f"{self._prefix}pin:{subject}")
        except Exception as exc:
            self._breaker.trip("pin read", exc)
            raise
        return raw.decode() if isinstance(raw, bytes) else raw


Pins = InProcessPins | RedisPins


class ReplicaRouter:
    """`primary_reads` is the primary's autocommit read engine; `replica` None means no replica."""

    def __init__(self, primary_reads: AsyncEngine, replica: AsyncEngine | None, pins: Pins,
                 pin_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.primary_reads = primary_reads
        self.replica = replica
        self._pins = pins
        self._pin_seconds = pin_seconds
        self._clock = clock
        self._replica_down_until = 0.0
        self.routed = {"replica": 0, "primary": 0}  # for /metrics and the tests

    @property
    def enabled(self) -> bool:
        return self.replica is not None

    def replica_failed(self) -> None:
        log.warning("read replica unreachable: reading the primary for %ss", REPLICA_RETRY_SECONDS)
        self._replica_down_until = self._clock() + REPLICA_RETRY_SECONDS

    async def connect_for(self, subject: str | None) -> AsyncConnection:
        """A read connection for this caller: the replica when it may answer, else the primary."""
        if self.replica is not None and self._clock() >= self._replica_down_until:
            try:
                use_replica, pin = True, await self._pins.get(subject) if subject else None
            except Exception:  # pins unreadable: a writer might miss its own write on the replica
                use_replica, pin = False, None
            if use_replica:
                try:
                    conn = await self.replica.connect()
                except Exception:
                    self.replica_failed()
                else:
                    if pin is None or await _replayed(conn, pin):
                        self.routed["replica"] += 1
                        return conn
                    await conn.close()
        self.routed["primary"] += 1
        return await self.primary_reads.connect()

    async def pin(self, subject: str, lsn: str) -> None:
        try:
            await self._pins.set(subject, lsn, self._pin_seconds)
        except Exception:
            # Unrecorded, this writer's next read could land on a lagging replica: read the primary
            # until the pins can be trusted again.
            log.exception("could not pin %s to the primary; reading the primary for a while", subject)
            self._replica_down_until = self._clock() + REPLICA_RETRY_SECONDS

    async def commit_position(self, conn: AsyncConnection) -> str | None:
        """After a commit, on the writer's connection: a WAL position at or past that commit."""
        if self.replica is None:
            return None
        return str(await conn.scalar(text("SELECT pg_current_wal_lsn()::text")))


# The position travels as text: asyncpg's pg_lsn codec wants an integer, PostgreSQL prints "0/35578C8".
_REPLAYED = text("SELECT coalesce(pg_last_wal_replay_lsn() >= CAST(CAST(:lsn AS text) AS pg_lsn), true)")


async def _replayed(conn: AsyncConnection, lsn: str) -> bool:
    return bool(await conn.scalar(_REPLAYED, {"lsn": lsn}))
