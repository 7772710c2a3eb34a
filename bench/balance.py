"""The balance read with a warm Redis against the database-only path, in this process.

Both are the domain's own functions on the app's container: `get_balance` answered by the cached
copy in redis-server, and `compute_balance` in a unit of work (pool checkout, transaction, the
account row and the lot totals aggregated in PostgreSQL), which is what every read would cost
without the cache. Sequential calls, so each figure is the latency of one read on an idle path.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from api.container import Container
from bench.stats import Percentiles
from domain.auth.viewer import Role, Viewer
from domain.points.balance import BalanceRead, compute_balance, get_balance

SOON_DAYS = 30
ROUNDS = 3


@dataclass(frozen=True)
class PathTiming:
    latency: Percentiles
    per_second: float


@dataclass(frozen=True)
class BalancePaths:
    label: str
    members: int
    redis: PathTiming
    database: PathTiming

    @property
    def ratio(self) -> float:
        return self.redis.per_second / self.database.per_second


async def _time(calls) -> PathTiming:
    samples = []
    for call in calls:
        began = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - began)
    return PathTiming(Percentiles.of_seconds(samples), len(samples) / sum(samples))


async def _compare(container: Container, label: str, member_ids: list[int]) -> BalancePaths:
    async def cached(member_id: int) -> None:
        await get_balance(BalanceRead(member_id, SOON_DAYS), container.deps(Viewer(Role.MEMBER, member_id)))

    async def database(member_id: int) -> None:
        async with container.uow() as uow:
            await compute_balance(uow, member_id, datetime.now(UTC), SOON_DAYS)

    for m in member_ids:  # warm the cache (and the pool, and PostgreSQL's buffers) untimed
        await cached(m)
        await database(m)
    order = member_ids * ROUNDS
    hit = await _time([lambda m=m: cached(m) for m in order])
    db = await _time([lambda m=m: database(m) for m in order])
    return BalancePaths(label, len(member_ids), hit, db)


async def compare_balance_paths(container: Container, typical: list[int], heavy: list[int]) -> list[BalancePaths]:
    return [await _compare(container, "typical members", typical),
            await _compare(container, "long histories", heavy)]
