"""Profile the write paths in one app process: `python -m bench.profile_writes [--requests N] [--only LABEL]`.

A small reference dataset on PostgreSQL + redis-server (started as `python -m bench` starts them),
the write scenarios of `bench/writes.py` (earn by a POS staff token, redeem on a hot and on spread
rewards, check-in, gift, partner earn), then for each: 30 untimed requests, and N requests, 4 at a
time, through the ASGI app in this process (`httpx.ASGITransport`, no uvicorn, no sockets) under
cProfile. For each scenario it prints the CPU per request (this process: app, client and
profiler), the statements per request (the app's `x-sql-statements`), the own CPU grouped by
package, and the functions with the most own CPU. The figures that count are `python -m bench`'s;
this says where the CPU goes.

    SORT=cumulative FILTER='domain/' TOP=60 DUMP=/tmp/earn.prof  narrow or keep the listing
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import itertools
import os
import pstats
import random
import sys
import sysconfig
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import httpx
from sqlalchemy import text

from api.auth import JwtTokens
from bench import dataset
from bench.environment import bench_environment
from bench.writes import write_scenarios
from domain.auth.viewer import Role

SMALL = dataset.Scale(members=3_000, entries=60_000, heavy_members=1, heavy_entries=2_000)
_STDLIB = sysconfig.get_paths()["stdlib"]
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def package_of(filename: str) -> str:
    """'sqlalchemy', 'graphql', 'strawberry', 'domain/points', 'api', 'stdlib:asyncio', 'builtins'..."""
    if filename.startswith(("~", "<")):
        return "builtins (C: I/O, hashing, dict ops...)"
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    if filename.startswith(_ROOT):
        parts = os.path.relpath(filename, _ROOT).split(os.sep)
        if parts[0] == "domain" and len(parts) > 2:
            return "/".join(parts[:2])
        return parts[0].removesuffix(".py")
    if filename.startswith(_STDLIB):
        return "stdlib:" + os.path.relpath(filename, _STDLIB).split(os.sep)[0].removesuffix(".py")
    return filename


def by_package(stats: pstats.Stats) -> list[tuple[str, float]]:
    totals: dict[str, float] = defaultdict(float)
    for (filename, _line, _name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        totals[package_of(filename)] += tottime
    return sorted(totals.items(), key=lambda kv: -kv[1])


gc_time: dict[str, float] = {}
collections_by_generation: dict[int, int] = defaultdict(int)
_gc_started = [0.0]


def _time_gc(phase: str, info: dict) -> None:
    if phase == "start":
        _gc_started[0] = time.process_time()
    else:
        gc_time[str(len(gc_time))] = time.process_time() - _gc_started[0]
        collections_by_generation[info["generation"]] += 1


async def main_async(requests: int, concurrency: int, only: str | None, profiled: bool = True) -> None:
    gc.callbacks.append(_time_gc)
    async with bench_environment(use_redis=True, count_sql=True) as bench:
        container = bench.container
        now = datetime.now(UTC)
        data = await dataset.load(container, SMALL, now)
        tokens = JwtTokens(replace(container.settings, access_ttl_seconds=86_400))

        def token(member_id: int) -> str:
            return tokens.issue_access(Role.MEMBER, member_id, now).token

        async with container.engine.connect() as conn:
            everyone = [r[0] for r in await conn.execute(text("SELECT id FROM members ORDER BY id"))]
            redeemers = [r[0] for r in await conn.execute(text(
                "SELECT member_id FROM points_accounts WHERE NOT member_id = ANY(:h) ORDER BY balance DESC LIMIT 64"),
                {"h": data.heavy})]
        scenarios = await write_scenarios(container, token, everyone, set(data.heavy), set(), redeemers,
                                          data.hot_reward_id)
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=bench.app), base_url="http://bench")
        keys = itertools.count()
        rng = random.Random(7)

        async def run(label: str, requests_: Iterator[dict]) -> list[int]:
            statements: list[int] = []

            async def worker() -> None:
                for request in requests_:
                    body = request["body"].replace("%KEY%", f"p-{next(keys)}")
                    response = await client.post("/graphql", content=body, headers={
                        "authorization": f"Bearer {request['token']}", "content-type": "application/json"})
                    if response.status_code != 200 or "errors" in response.json():
                        raise RuntimeError(f"{label}: {response.text[:300]}")
                    statements.append(int(response.headers.get("x-sql-statements", 0)))

            await asyncio.gather(*(worker() for _ in range(concurrency)))
            return statements

        summary = []
        for label, (app_requests, _path, _base) in scenarios.items():
            if only and only not in label:
                continue
            pool = list(app_requests)
            rng.shuffle(pool)
            if label.startswith("check-in"):
                # A member checks in once a day (a second one is a cheap no-op): each member once.
                await run(label, iter(pool[:30]))
                plain, timed = pool[30:30 + requests], pool[30 + requests:30 + 2 * requests]
            else:
                await run(label, itertools.islice(itertools.cycle(pool), 30))
                plain = timed = list(itertools.islice(itertools.cycle(pool), requests))
            # First without the profiler: the CPU per request that counts (app and this client), and
            # the part of it the cyclic garbage collector took (cProfile charges that to whatever
            # function happened to allocate when a collection started).
            gc_time.clear()
            cpu = time.process_time()
            plain_statements = await run(label, iter(plain))
            plain_sql = sum(plain_statements) / max(len(plain_statements), 1)
            plain_ms = 1000 * (time.process_time() - cpu) / len(plain)
            gc_ms = 1000 * sum(gc_time.values()) / len(plain)
            gc_counts = dict(collections_by_generation)
            collections_by_generation.clear()
            count = len(timed)
            if not profiled:
                print(f"=== {label}: {plain_ms:.2f} ms CPU per request (gc {gc_ms:.2f} ms), {plain_sql:.1f} statements")
                summary.append((label, plain_ms, gc_ms, plain_sql))
                continue
            # Own CPU (not wall time: on a shared machine a socket send can wait for a core).
            profile = cProfile.Profile(time.process_time)
            cpu, began = time.process_time(), time.perf_counter()
            profile.enable()
            statements = await run(label, iter(timed))
            profile.disable()
            cpu, wall = time.process_time() - cpu, time.perf_counter() - began
            stats = pstats.Stats(profile)
            sql = sum(statements) / max(len(statements), 1)
            print(f"\n=== {label}: {plain_ms:.2f} ms CPU per request without the profiler (app and client), "
                  f"of which {gc_ms:.2f} ms garbage collection (collections by generation {gc_counts}), "
                  f"{sql:.1f} statements per request; {count} requests, {concurrency} at a time, under cProfile "
                  f"{1000 * cpu / count:.2f} ms CPU per request, {count / wall:.0f}/s")
            packages = by_package(stats)
            total = sum(t for _p, t in packages) or 1.0
            for package, seconds in packages[:16]:
                print(f"  {package:<44} {1000 * seconds / count:7.2f} ms/req  {100 * seconds / total:5.1f}%")
            if os.environ.get("DUMP"):
                profile.dump_stats(f"{os.environ['DUMP']}.{label.split(',')[0].replace(' ', '_')}")
            stats.sort_stats(os.environ.get("SORT", "tottime")).print_stats(
                os.environ.get("FILTER", ""), int(os.environ.get("TOP", "25")))
            summary.append((label, plain_ms, gc_ms, sql))
        await client.aclose()
        print("\nCPU ms per request without the profiler (app and client), statements:", file=sys.stderr)
        for label, ms, gc_ms, sql in summary:
            print(f"  {label:<26} {ms:7.2f} ms (gc {gc_ms:5.2f} ms)  {sql:5.1f} statements", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_writes")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--only", help="profile only the scenarios whose label contains this")
    parser.add_argument("--no-profile", action="store_true", help="only the CPU per request, without cProfile")
    args = parser.parse_args()
    asyncio.run(main_async(args.requests, args.concurrency, args.only, not args.no_profile))


if __name__ == "__main__":
    main()
