"""Profile the home query in one app process: `python -m bench.profile_home [--requests N] [--cpu]`.

The quick reference dataset on PostgreSQL + redis-server (as `python -m bench --quick` loads it),
then N home queries, 8 at a time, through the ASGI app in this process (`httpx.ASGITransport`,
no uvicorn, no sockets) under pyinstrument (or cProfile with --cpu), after 100 untimed ones. Prints the text
profile (time by call stack, asyncio waits shown as `[await]`) and the requests per second of
this one process. Used to find what the app spends its time on; the figures that count are
`python -m bench`'s.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import random
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime

import httpx
from sqlalchemy import text

from api.auth import JwtTokens
from bench import dataset
from bench.environment import bench_environment
from bench.home import HOME
from domain.auth.viewer import Role


async def main_async(requests: int, concurrency: int, cpu: bool, plain: bool = False) -> None:
    async with bench_environment(use_redis=True) as bench:
        container = bench.container
        now = datetime.now(UTC)
        await dataset.load(container, dataset.QUICK, now)
        tokens = JwtTokens(replace(container.settings, access_ttl_seconds=86_400))
        async with container.engine.connect() as conn:
            ids = [r[0] for r in await conn.execute(text("SELECT id FROM members ORDER BY id"))]
        sample = random.Random(9).sample(ids, 200)
        headers = [{"authorization": f"Bearer {tokens.issue_access(Role.MEMBER, m, now).token}"} for m in sample]
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=bench.app), base_url="http://bench")

        async def run(count: int) -> None:
            queue = iter(range(count))

            async def worker() -> None:
                for i in queue:
                    response = await client.post("/graphql", json={"query": HOME}, headers=headers[i % len(headers)])
                    if response.status_code != 200 or "errors" in response.json():
                        raise RuntimeError(response.text[:300])

            await asyncio.gather(*(worker() for _ in range(concurrency)))

        await run(100)
        began = time.perf_counter()
        cpu_began = time.process_time()
        if plain:
            await run(requests)
            seconds = time.perf_counter() - began
        elif cpu:
            # cProfile sees CPU spent in each function, wherever the event loop switched tasks.
            profile = cProfile.Profile()
            profile.enable()
            await run(requests)
            profile.disable()
            seconds = time.perf_counter() - began
            # SORT=cumulative FILTER='strawberry|domain/' narrow the listing.
            if os.environ.get("DUMP"):
                profile.dump_stats(os.environ["DUMP"])
            stats = pstats.Stats(profile).sort_stats(os.environ.get("SORT", "tottime"))
            stats.print_stats(os.environ.get("FILTER", ""), 45)
        else:
            from pyinstrument import Profiler  # only this mode needs it (not a project dependency)
            profiler = Profiler(async_mode="enabled")
            with profiler:
                await run(requests)
            seconds = time.perf_counter() - began
            print(profiler.output_text(unicode=False, color=False, show_all=False))
        cpu_ms = (time.process_time() - cpu_began) * 1000 / requests
        await client.aclose()
        print(f"{requests} home queries, {concurrency} at a time, in {seconds:.1f} s: {requests / seconds:.0f}/s "
              f"in one process ({'no profiler' if plain else 'under the profiler'}); {cpu_ms:.2f} ms of this "
              "process's CPU per query (app and httpx client together)", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_home")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--cpu", action="store_true", help="cProfile by own CPU time instead of pyinstrument")
    parser.add_argument("--plain", action="store_true",
                        help="no profiler: only the rate and the CPU per query, to compare changes")
    args = parser.parse_args()
    asyncio.run(main_async(args.requests, args.concurrency, args.cpu, args.plain))


if __name__ == "__main__":
    main()
