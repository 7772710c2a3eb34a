"""Purchase import throughput: `import-purchases` on a generated CSV of N orders, on PostgreSQL,
through the function the CLI runs (the shared batching loop, COPY into staging, set-based SQL per
batch, then the KPI rollups of every day the file touched).

    .venv/bin/python -m bench.purchase_import [--purchases 10000000] [--members N] [--batch 5000] [--quick]

Members (default one per ten orders) are seeded with one set-based INSERT … SELECT; the file has
orders over the last 365 days, each with one to three item lines, a store among 50 and a channel.
Checks before printing: every order imported, none rejected, the operator report's order count over
the year equals the rows, and a rerun of the same file reads past every line (resumed) and changes
nothing. Phases are timed apart: writing the file (not the import), loading the batches, and the
rollups of the touched days. Figures go to stdout, the progress bar to stderr. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import csv
import functools
import io
import json
import pstats
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

import domain.imports.purchase_import as purchase_import
from api.purchase_import_cli import run_import
from bench.environment import bench_environment, describe

say = functools.partial(print, flush=True)
CHANNELS = ["POS", "APP", "MINI_PROGRAM", "ECOMMERCE", "IMPORT"]
CATEGORIES = ["美妆", "服饰", "食品", "茶饮", "家居"]


def write_file(path: Path, count: int, members: int, now: datetime) -> None:
    rng = random.Random(10)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["orderId", "storeId", "phone", "purchasedAt", "amountCents", "channel", "items"])
        for i in range(count):
            lines = [{"category": rng.choice(CATEGORIES), "amountCents": rng.randrange(500, 30_000),
                      "quantity": rng.randrange(1, 4)} for _ in range(rng.randrange(1, 4))]
            at = now - timedelta(seconds=rng.randrange(1, 365 * 86_400))
            writer.writerow([f"OLD-{i}", f"S{i % 50:02d}", f"13{rng.randrange(members):09d}",
                             at.astimezone(UTC).isoformat(timespec="seconds"),
                             sum(line["amountCents"] for line in lines), CHANNELS[i % 5],
                             json.dumps(lines, ensure_ascii=False)])


async def seed_members(engine: Any, count: int, now: datetime) -> None:
    """Phones 13000000000 + i, the ones the file names; joined before any order."""
    async with engine.begin() as conn:
        for lo in range(0, count, 200_000):
            await conn.execute(text(
                "INSERT INTO members (phone, member_code, tags, joined_at) "
                "SELECT '+8613' || lpad(g::text, 9, '0'), 'B' || g, '[]'::json, CAST(:at AS timestamptz) "
                "FROM generate_series(CAST(:lo AS bigint), CAST(:hi AS bigint) - 1) g"),
                {"lo": lo, "hi": min(count, lo + 200_000), "at": now - timedelta(days=400)})
        await conn.execute(text("ANALYZE members"))


async def run(count: int, members: int, batch: int, profile: bool) -> None:
    async with bench_environment(use_redis=False) as bench:
        container = bench.container
        now = container.now()
        say(f"{await describe(container)}; {count:,} purchases for {members:,} members, batches of {batch:,}")
        phases: dict[str, float] = {}
        real_rollup = purchase_import.rollup_days

        async def timed_rollup(*args: Any, **kwargs: Any) -> Any:
            started = time.monotonic()
            try:
                return await real_rollup(*args, **kwargs)
            finally:
                phases["rollup"] = time.monotonic() - started

        purchase_import.rollup_days = timed_rollup  # type: ignore[assignment]
        started = time.monotonic()
        await seed_members(container.engine, members, now)
        say(f"  seeded members  {time.monotonic() - started:8.1f} s")
        with tempfile.TemporaryDirectory() as tmp:
            source = Path(tmp) / "purchases.csv"
            started = time.monotonic()
            write_file(source, count, members, now)
            say(f"  wrote the file  {time.monotonic() - started:8.1f} s  ({source.stat().st_size / 1e6:,.0f} MB)")
            profiler = cProfile.Profile() if profile else None
            started = time.monotonic()
            if profiler:
                profiler.enable()
            first = await run_import(container, source, Path(tmp) / "rejects.csv", batch)
            if profiler:
                profiler.disable()
            seconds = time.monotonic() - started
            assert first["imported"] == count and first["rejected"] == 0, first
            started = time.monotonic()
            second = await run_import(container, source, Path(tmp) / "rejects.csv", batch)
            rerun = time.monotonic() - started
            assert second["imported"] == 0 and second["resumedAfter"] == count, second
        async with container.engine.connect() as conn:
            stored = await conn.scalar(text("SELECT count(*) FROM purchases"))
            rolled = await conn.scalar(text(
                "SELECT coalesce(sum(value), 0) FROM kpi_daily_rollups WHERE metric = 'channel_orders'"))
        assert stored == count and rolled == count, (stored, rolled)
        loading = seconds - phases.get("rollup", 0.0)
        say(f"  import          {seconds:8.1f} s  {count / seconds:10,.0f} orders/s "
            f"(loading {loading:.1f} s, {count / loading:,.0f} orders/s; rollups of {first['daysRolledUp']} days "
            f"{phases.get('rollup', 0.0):.1f} s)")
        say(f"  rerun           {rerun:8.1f} s  {count / rerun:10,.0f} rows/s (every line read past: resumed)")
        if profiler:
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
            say(out.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.purchase_import")
    parser.add_argument("--purchases", type=int, default=None, help="orders in the file (default 10,000,000)")
    parser.add_argument("--members", type=int, default=None, help="members the orders belong to (default 1 per 10)")
    parser.add_argument("--batch", type=int, default=5_000)
    parser.add_argument("--quick", action="store_true", help="200,000 orders")
    parser.add_argument("--profile", action="store_true", help="cProfile of the first import, top 25 by cumulative")
    args = parser.parse_args()
    count = args.purchases or (200_000 if args.quick else 10_000_000)
    asyncio.run(run(count, args.members or max(count // 10, 1), args.batch, args.profile))


if __name__ == "__main__":
    main()
