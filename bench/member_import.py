"""Bulk member import throughput: `import-members` on a generated CSV of N members, on PostgreSQL,
through the same function the CLI runs (COPY into staging, set-based SQL per batch).

    .venv/bin/python -m bench.member_import [--members 1000000] [--batch 5000]

Each row has a phone, a Chinese name, a birthday, one POS card identity; every second row an
opening balance with an expiry; every tenth a GOLD tier override. Checks before printing: every row
imported, none rejected, balance = ledger = open lots for every member, and a second run skips every
row and changes nothing. Figures go to stdout, the progress bar to stderr. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import functools
import random
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import text

from api.member_files import import_members_file
from bench.environment import bench_environment, describe

say = functools.partial(print, flush=True)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂"


def write_file(path: Path, count: int, today: date) -> None:
    rng = random.Random(18)
    later = (today + timedelta(days=365)).isoformat()
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["key", "phone", "name", "birthday", "identities", "tier", "tier_expires", "points",
                         "points_expire"])
        for i in range(count):
            born = date(1960, 1, 1) + timedelta(days=rng.randrange(16_000))
            points = rng.randrange(1, 20_000) if i % 2 == 0 else 0
            gold = i % 10 == 0
            writer.writerow([f"legacy-{i}", f"13{i:09d}", rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
                             born.isoformat(), f"POS_CARD:CARD{i:09d}", "GOLD" if gold else "",
                             later if gold else "", points or "", later if points else ""])


async def run(count: int, batch: int) -> None:
    async with bench_environment(use_redis=False) as bench:
        container = bench.container
        say(f"{await describe(container)}; {count:,} members, batches of {batch:,}")
        with tempfile.TemporaryDirectory() as tmp:
            source = Path(tmp) / "members.csv"
            write_file(source, count, container.clock.today())
            started = time.monotonic()
            first = await import_members_file(container.settings, source, Path(tmp) / "rejects.csv", batch, "csv")
            seconds = time.monotonic() - started
            assert first["imported"] == count and first["rejected"] == 0, first
            async with container.engine.connect() as conn:
                bad = await conn.scalar(text("""
                    SELECT count(*) FROM points_accounts a
                    LEFT JOIN (SELECT member_id, sum(amount) s FROM points_entries GROUP BY member_id) e
                      ON e.member_id = a.member_id
                    LEFT JOIN (SELECT member_id, sum(remaining) s FROM points_lots GROUP BY member_id) l
                      ON l.member_id = a.member_id
                    WHERE a.balance <> coalesce(e.s, 0) OR a.balance <> coalesce(l.s, 0)"""))
                stored = await conn.scalar(text("SELECT count(*) FROM member_imports"))
            assert bad == 0 and stored == count, (bad, stored)
            started = time.monotonic()
            second = await import_members_file(container.settings, source, Path(tmp) / "rejects.csv", batch, "csv")
            rerun = time.monotonic() - started
            assert second["imported"] == 0 and second["skipped"] == count, second
        say(f"  first run   {seconds:8.1f} s  {count / seconds:10,.0f} members/s")
        say(f"  rerun       {rerun:8.1f} s  {count / rerun:10,.0f} rows/s (every row skipped by its key)")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.member_import")
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=5_000)
    args = parser.parse_args()
    asyncio.run(run(args.members, args.batch))


if __name__ == "__main__":
    main()
