"""Segments benchmark: how long compute-segments takes for many members, what a rerun costs, and
how fast staff segment queries answer on the result.

    .venv/bin/python -m bench.segments [--quick] [--members N] [--samples K]

Figures go to stdout, progress to stderr. See bench/README.md for what the numbers mean.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import random
import time
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select

from api.container import Container
from api.progress import ProgressBar
from bench.environment import bench_environment, describe
from bench.stats import time_calls
from domain.program.settings import ProgramSettings
from domain.segments.job import compute_segments
from domain.segments.model import RfmFilter, ScoreRange, SegmentFilter
from domain.segments.services import member_insights, segment_members
from domain.store.tables import lifecycle_changes, member_rfm, members, purchases
from tests.support.program import STAFF

say = functools.partial(print, flush=True)
CHUNK = 10_000
CATEGORIES = ["beauty", "coffee", "dining", "fashion", "grocery", "kids", "sports", "travel"]
HISTORY_DAYS = 800  # joined up to this long ago; purchases between joining and now


async def load(container: Container, count: int, now: datetime, seed: int = 1) -> int:
    """Members and their purchases straight into the tables (the purchase use case would take far
    longer than the job it feeds). Half the members buy 1-8 times, the rest never."""
    rng = random.Random(seed)
    bar = ProgressBar(count, "loading members and purchases")
    bought = 0
    async with container.engine.begin() as conn:
        first_id = int(await conn.scalar(select(func.coalesce(func.max(members.c.id), 0)))) + 1
    for start in range(0, count, CHUNK):
        people, orders = [], []
        for i in range(start, min(start + CHUNK, count)):
            joined = now - timedelta(days=rng.uniform(0, HISTORY_DAYS))
            people.append(dict(id=first_id + i, phone=f"170{i:08d}", member_code=f"B{i:011d}", tags=[],
                               joined_at=joined))
            for n in range(rng.choice([0, rng.randint(1, 8)])):
                at = joined + (now - joined) * rng.random()
                amount = rng.randint(500, 60_000)
                orders.append(dict(member_id=first_id + i, source="store:B", order_id=f"{i}-{n}", store_id="B",
                                   amount_cents=amount, items=[{"category": rng.choice(CATEGORIES),
                                                                "amount_cents": amount, "sku": None}],
                                   purchased_at=at, created_at=at))
        async with container.engine.begin() as conn:
            await conn.execute(insert(members), people)
            if orders:
                await conn.execute(insert(purchases), orders)
        bought += len(orders)
        bar.advance(len(people))
    async with container.engine.begin() as conn:
        await conn.exec_driver_sql("ANALYZE")
    return bought


async def timed_job(container: Container, now: datetime, label: str) -> tuple[dict[str, int], float, float]:
    """Returns the job's counts, the seconds for the member batches and for the ranking step."""
    bar: list[ProgressBar] = []
    last_batch = [0.0]

    def advance(done: int, total: int) -> None:
        if not bar:
            bar.append(ProgressBar(total, label))
        bar[0].advance(done)
        last_batch[0] = time.perf_counter()

    started = time.perf_counter()
    counts = await compute_segments(container.uow, now, progress=advance)
    ended = time.perf_counter()
    return counts, last_batch[0] - started, ended - last_batch[0]


async def run(count: int, samples: int) -> None:
    async with bench_environment(use_redis=False) as bench:
        container = bench.container
        now = container.now()
        say(f"{await describe(container)}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
        started = time.perf_counter()
        bought = await load(container, count, now)
        say(f"loaded {count:,} members and {bought:,} purchases in {time.perf_counter() - started:.1f} s")

        windows = ProgramSettings().rfm_windows  # the bench program keeps the default windows
        say(f"\ncompute-segments over {count:,} members, batches of 1,000, windows {'/'.join(map(str, windows))} days")
        for label in ("first run", "rerun (same now)"):
            counts, batches, ranking = await timed_job(container, now, label)
            total = batches + ranking
            scored = ", ".join(f"{w}d {counts[f'scored{w}d']:,}" for w in windows)
            say(f"  {label:18} {total:7.1f} s  ({count / total:,.0f} members/s; member batches {batches:.1f} s, "
                f"ranking {ranking:.1f} s; stage changes {counts['stageChanges']:,}; scored {scored})")

        async with container.engine.connect() as conn:
            changes = await conn.scalar(select(func.count()).select_from(lifecycle_changes))
            sizes = (await conn.execute(
                select(member_rfm.c.window_days, member_rfm.c.r_score, func.count())
                .group_by(member_rfm.c.window_days, member_rfm.c.r_score)
            )).all()
        spread: dict[int, list[int]] = {}
        for window, _score, n in sizes:
            spread.setdefault(window, []).append(n)
        even = all(max(v) - min(v) <= 1 and len(v) == 5 for v in spread.values())
        say(f"  checks: {changes:,} stage changes recorded = members (the rerun added none); "
            f"R quintiles differ by at most one member in every window: {even}")
        if changes != count or not even:
            raise SystemExit("the job's results are wrong; figures above are not meaningful")

        say(f"\nStaff segment queries (use case, first page of 20 with the total count), {samples} samples each")
        filters = {
            "lifecycle DORMANT": SegmentFilter(stages=["DORMANT"]),
            "RFM 365d cell 555": SegmentFilter(rfm=RfmFilter(365, cells=["555"])),
            "ACTIVE + 90d M 4-5": SegmentFilter(stages=["ACTIVE"], rfm=RfmFilter(90, monetary=ScoreRange(4, 5))),
            "everyone": SegmentFilter(),
        }
        for name, segment in filters.items():
            page = await segment_members(container.uow(), STAFF, segment, 20, None, container.now())
            cell = await time_calls(lambda s=segment: segment_members(container.uow(), STAFF, s, 20, None,
                                                                   container.now()), samples, 3)
            say(f"  {name:22} total {page.total:9,}  ms p50 {cell.p50:7.1f}  p95 {cell.p95:7.1f}  p99 {cell.p99:7.1f}")
        first = await segment_members(container.uow(), STAFF, SegmentFilter(), 1, None, container.now())
        some = first.members[0][0].id
        one = await time_calls(lambda: member_insights(container.uow(), STAFF, some, container.now()), samples, 3)
        say(f"  {'memberInsights':22} {'':15}  ms p50 {one.p50:7.1f}  p95 {one.p95:7.1f}  p99 {one.p99:7.1f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.segments", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 members, 20 samples")
    parser.add_argument("--members", type=int)
    parser.add_argument("--samples", type=int)
    args = parser.parse_args(argv)
    count = args.members or (20_000 if args.quick else 200_000)
    samples = args.samples or (20 if args.quick else 100)
    asyncio.run(run(count, samples))


if __name__ == "__main__":
    main()
