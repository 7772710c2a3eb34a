"""Privacy benchmark: data export of a member with a long ledger, erasure with a large audit log
and outbox, and what the erased-token check adds to every member request.

    .venv/bin/python -m bench.privacy [--quick] [--no-redis]

Figures go to stdout. See bench/README.md for what the numbers mean.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import time
from dataclasses import dataclass

from sqlalchemy import insert

from api.container import Container
from bench.environment import bench_environment, describe, new_members
from bench.seed import analyze, load_history, verify
from bench.stats import Percentiles
from domain.auth.viewer import Role, Viewer
from domain.privacy.erasure import erase_member, refuse_erased
from domain.privacy.export import export_my_data
from domain.privacy.model import ERASURE_CONFIRMATION, EXPORT_MAX_ROWS
from domain.store.tables import audit_log, outbox_events
from tests.support.program import STAFF

say = functools.partial(print, flush=True)


@dataclass(frozen=True)
class Sizes:
    entries: tuple[int, ...]
    audit_rows: int
    outbox_rows: int
    samples: int
    check_calls: int


FULL = Sizes(entries=(1_000, 10_000, 100_000), audit_rows=200_000, outbox_rows=100_000, samples=10,
             check_calls=2_000)
QUICK = Sizes(entries=(1_000, 10_000), audit_rows=20_000, outbox_rows=10_000, samples=3, check_calls=300)


class _NoBudget:
    """The export's hourly budget is per member; timing it means calling it more often than that."""

    async def hit(self, key: str, limit: int, window_seconds: int) -> int:
        return 0


async def _export_run(container: Container, entries: int, samples: int) -> None:
    [member_id] = await new_members(container, 1)
    seeded = await load_history(container.engine, member_id, entries, container.now())
    await verify(container.engine, member_id, entries, seeded.balance)
    await analyze(container.engine)
    viewer = Viewer(Role.MEMBER, member_id)
    timings = []
    size = 0
    for _ in range(samples + 1):  # the first run is untimed: pool connections, statement caches
        started = time.perf_counter()
        doc = await export_my_data(container.uow(), _NoBudget(), viewer, container.now())
        timings.append(time.perf_counter() - started)
        size = len(json.dumps(doc.document))
        expected = min(entries, EXPORT_MAX_ROWS)
        if len(doc.document["pointsLedger"]) != expected:  # type: ignore[arg-type]
            raise RuntimeError("export lost ledger rows")
    p = Percentiles.of_seconds(timings[1:])
    say(f"  {entries:>9,} {min(entries, EXPORT_MAX_ROWS):>9,} {size / 1e6:8.2f} {p.ms()}")


async def _erasure_run(container: Container, sizes: Sizes) -> None:
    [member_id] = await new_members(container, 1)
    now = container.now()
    async with container.engine.begin() as conn:
        for start in range(0, sizes.audit_rows, 5_000):
            await conn.execute(insert(audit_log), [
                dict(actor_role="staff", actor_id=1, action="points.adjusted", target=f"member:{member_id + 1 + i}",
                     detail={"amount": i, "reason": "goodwill"}, created_at=now)
                for i in range(start, min(start + 5_000, sizes.audit_rows))])
        for start in range(0, sizes.outbox_rows, 5_000):
            await conn.execute(insert(outbox_events), [
                dict(event_type="partner.transaction", payload={"memberRef": f"pm_{i:020d}", "points": i},
                     created_at=now)
                for i in range(start, min(start + 5_000, sizes.outbox_rows))])
    seeded = await load_history(container.engine, member_id, sizes.entries[-1], now)
    await analyze(container.engine)
    started = time.perf_counter()
    await erase_member(container.uow(), container.cache, STAFF, member_id, ERASURE_CONFIRMATION, "bench", now)
    seconds = time.perf_counter() - started
    # The books survive erasure: same entry count, ledger sum, open lots and account balance.
    await verify(container.engine, member_id, sizes.entries[-1], seeded.balance)
    say(f"  erase one member ({sizes.entries[-1]:,} ledger entries kept, {sizes.audit_rows:,} audit rows and "
        f"{sizes.outbox_rows:,} outbox events searched): {seconds * 1000:.0f} ms")


async def _check_run(container: Container, calls: int) -> None:
    viewer = Viewer(Role.MEMBER, 1)
    for _ in range(20):
        await refuse_erased(container.uow(), container.cache, viewer)
    timings = []
    for _ in range(calls):
        started = time.perf_counter()
        await refuse_erased(container.uow(), container.cache, viewer)
        timings.append(time.perf_counter() - started)
    say(f"  erased-token check per member request ({calls:,} calls): {Percentiles.of_seconds(timings).ms()} ms "
        "(p50 p95 p99)")


async def main(sizes: Sizes, use_redis: bool) -> None:
    async with bench_environment(use_redis) as bench:
        say(f"{await describe(bench.container)}, cache: {bench.cache_backend}")
        say(f"export (exportMyData use case), pages of 500, cap {EXPORT_MAX_ROWS:,} rows per section")
        say("    entries  exported       MB  p50 ms  p95 ms  p99 ms")
        for entries in sizes.entries:
            await _export_run(bench.container, entries, sizes.samples)
        await _erasure_run(bench.container, sizes)
        await _check_run(bench.container, sizes.check_calls)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-redis", action="store_true")
    args = parser.parse_args()
    asyncio.run(main(QUICK if args.quick else FULL, not args.no_redis))
