"""Member hot paths under load: `python -m bench [--quick] [--members N] [--entries M] [--workers W]`.

Starts PostgreSQL and redis-server as the tests do, loads the reference dataset (bench/dataset.py),
starts the app (`api.cli serve --workers W`, bench mode) and the hand-written baseline
(bench/baseline_app.py) the same way, drives each scenario from a separate load process
(bench/load.py) on 127.0.0.1, and prints one table, the ratios and the targets. Figures go to
stdout, progress to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from api.auth import JwtTokens
from bench import dataset
from bench.balance import compare_balance_paths
from bench.environment import BENCH_KEYS, bench_environment, describe, new_members
from bench.home import BALANCE, CHECK_IN, HISTORY, HOME, HOME_SHA, REDEEM, Run, drive, graphql_body, persisted_body
from bench.long_history import long_history_scenarios
from bench.report import print_report, print_write_report
from bench.server_compare import SCENARIOS, print_server_rows, server_rows
from bench.servers import Server, server_env
from bench.subscribers import live_rows, print_live_rows
from bench.targets import Target, print_targets
from bench.writes import write_scenarios
from domain import cursors
from domain.auth.viewer import Role

progress = functools.partial(print, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Options:
    scale: dataset.Scale
    workers: int = 2
    seconds: float = 20.0
    clients: int = 16
    rate: float = 200.0
    sample: int = 500  # members whose home screen is requested, round robin
    check_ins: int = 6_000  # distinct members for the check-in run
    redeemers: int = 64
    live: bool = True  # the websocket figures (bench/subscribers.py live_rows), after everything else
    quick: bool = False
    granian: bool = True  # home and earn also under granian (bench/server_compare.py)


FULL = Options(dataset.FULL)
QUICK = Options(dataset.QUICK, seconds=6.0, check_ins=2_000)


async def _ids(container, sql: str, **params: object) -> list[int]:
    async with container.engine.connect() as conn:
        return [r[0] for r in await conn.execute(text(sql), params)]


async def _cursor_at(container, member_id: int, offset: int) -> str:
    async with container.engine.connect() as conn:
        row = (await conn.execute(text("""
            SELECT created_at, id FROM points_entries WHERE member_id = :m
            ORDER BY created_at DESC, id DESC OFFSET :o LIMIT 1"""), {"m": member_id, "o": offset})).one()
    return cursors.encode(row[0], row[1])


async def main_async(options: Options) -> None:
    async with bench_environment(use_redis=True) as bench:
        container = bench.container
        settings = container.settings
        now = datetime.now(UTC)
        started = time.monotonic()
        data = await dataset.load(container, options.scale, now)
        await dataset.verify(container.engine)
        load_seconds = time.monotonic() - started
        header = await describe(container)

        tokens = JwtTokens(replace(settings, access_ttl_seconds=86_400))

        def token(member_id: int) -> str:
            return tokens.issue_access(Role.MEMBER, member_id, now).token

        rng = random.Random(9)
        everyone = await _ids(container, "SELECT id FROM members ORDER BY id")
        heavy = set(data.heavy)
        home_sample = rng.sample([m for m in everyone if m not in heavy], options.sample)
        check_ins = [m for m in everyone if m not in heavy and m not in set(home_sample)][-options.check_ins:]
        redeemers = await _ids(container, """
            SELECT member_id FROM points_accounts WHERE NOT member_id = ANY(:h)
            ORDER BY balance DESC LIMIT :k""", h=list(heavy), k=options.redeemers)
        home_requests = [{"token": token(m), "body": graphql_body(HOME)} for m in home_sample]
        baseline_requests = [{"token": r["token"], "body": "{}"} for r in home_requests]
        # The same home query by its APQ hash alone, as a mini-program sends it: the response cache's run.
        cached_requests = [{"token": r["token"], "body": persisted_body(HOME_SHA, "Home")} for r in home_requests]
        balance_requests = [{"token": r["token"], "body": graphql_body(BALANCE)} for r in home_requests]
        depth = {1: [], 50: []}
        for m in data.heavy:
            depth[1].append({"token": token(m), "body": graphql_body(HISTORY)})
            after = await _cursor_at(container, m, 49 * 50 - 1)
            depth[50].append({"token": token(m), "body": graphql_body(HISTORY, {"after": after})})
        check_in_requests = [{"token": token(m), "body": graphql_body(CHECK_IN)} for m in check_ins]
        hot = {"r": str(data.hot_reward_id), "k": "%KEY%"}
        redeem_requests = [{"token": token(m), "body": graphql_body(REDEEM, hot)} for m in redeemers]

        paths = await compare_balance_paths(container, home_sample[:100], data.heavy)
        writes = await write_scenarios(container, token, everyone, heavy, set(home_sample) | set(check_ins),
                                       redeemers, data.hot_reward_id)
        # The heaviest history against a member created now, each earning alone (bench/long_history.py).
        history_earns = await long_history_scenarios(container, data.heavy[0], (await new_members(container, 1))[0])

        env = server_env(settings.database_url, settings.redis_url or "", BENCH_KEYS, "bench-home:")
        logs = Path(tempfile.mkdtemp(prefix="bench-home-"))
        app = Server.app(options.workers, env, logs / "app.log")
        baseline = Server.baseline(options.workers, env, logs / "baseline.log")
        granian = Server.granian(options.workers, env, logs / "granian.log") if options.granian else None
        runs: list[Run] = []
        try:
            await app.wait_ready(options.workers)
            await baseline.wait_ready(options.workers)
            if granian is not None:
                await granian.wait_ready(options.workers)
                await drive(granian, "warm-up", "/graphql", home_requests, clients=options.clients, seconds=3)
                await drive(granian, "warm-up", "/graphql", home_requests, clients=options.clients, seconds=3)
            s, c = options.seconds, options.clients
            progress("warming up both servers (untimed)")
            await drive(baseline, "warm-up", "/home", baseline_requests, clients=c, seconds=3)
            await drive(app, "warm-up", "/graphql", home_requests, clients=c, seconds=3)
            await drive(app, "warm-up", "/graphql", home_requests, clients=c, seconds=3)
            # Register the document under its hash (Apollo's retry after PersistedQueryNotFound), then warm
            # the response cache of the sampled members (untimed, as the other caches are).
            register = [{"token": home_requests[0]["token"], "body": persisted_body(HOME_SHA, "Home", HOME)}]
            await drive(app, "register", "/graphql", register, clients=1, seconds=0.2)
            await drive(app, "warm-up", "/graphql", cached_requests, clients=c, seconds=3)
            await drive(app, "warm-up", "/graphql", cached_requests, clients=c, seconds=3)
            plan = [
                (baseline, "home (baseline)", "/home", baseline_requests, dict(clients=c)),
                (app, "home", "/graphql", home_requests, dict(clients=c)),
                (app, "home (response cache)", "/graphql", cached_requests, dict(clients=c)),
                (baseline, "home (baseline)", "/home", baseline_requests, dict(rate=options.rate)),
                (app, "home", "/graphql", home_requests, dict(rate=options.rate)),
                # The same schedule by APQ hash: what a mini-program's home screen meets (issue 19's p99).
                (app, "home (response cache)", "/graphql", cached_requests, dict(rate=options.rate)),
                (app, "balance", "/graphql", balance_requests, dict(clients=c)),
                # One request at a time: the latency of a page, not of a queue.
                (app, "history depth 1", "/graphql", depth[1], dict(clients=1)),
                (app, "history depth 50", "/graphql", depth[50], dict(clients=1)),
                (app, "check-in", "/graphql", check_in_requests, dict(clients=c)),
                (app, "redeem, one reward", "/graphql", redeem_requests, dict(clients=c)),
            ]
            # Each write path next to its hand-written asyncpg baseline, baseline first (bench/writes.py).
            for label, (app_requests, base_path, base_requests) in writes.items():
                plan.append((baseline, f"{label} (baseline)", base_path, base_requests, dict(clients=c)))
                plan.append((app, label, "/graphql", app_requests, dict(clients=c)))
                if granian is not None and label in SCENARIOS:
                    plan.append((granian, label, "/graphql", app_requests, dict(clients=c)))
            for label, requests in history_earns.items():
                plan.append((app, label, "/graphql", requests, dict(clients=1)))
            if granian is not None:
                # Right after uvicorn's closed-loop home run, so both see the same machine.
                plan.insert(2, (granian, "home", "/graphql", home_requests, dict(clients=c)))
            for server, label, path, requests, how in plan:
                progress(f"{label} on {server.name}, {how}, {s:g} s")
                runs.append(await drive(server, label, path, requests, seconds=s, key_prefix=f"r{len(runs)}",
                                        **how))
        finally:
            app.stop()
            baseline.stop()
            if granian is not None:
                granian.stop()
        print_report(header, options, data, load_seconds, runs, paths)
        print_write_report(runs)
        if granian is not None:
            print_server_rows(runs)
    extra: list[Target] = []
    if granian is not None:
        extra += [_target(row) for row in server_rows(runs)]
    if options.live:
        # Its own PostgreSQL, redis-server and one-worker server, started once the load above is gone.
        progress("live figures: idle sockets and the offerIssued broadcast (--skip-live to leave out)")
        live = await live_rows(quick=options.quick)
        print_live_rows(live)
        extra += [_target(row) for row in live]
    print_targets(runs, options, load_seconds, extra)


def _target(row: tuple[str, str, str, str]) -> Target:
    what, target, figure, reached = row
    return Target(what, target, figure, {"yes": True, "no": False}.get(reached))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small dataset and 6 s runs")
    parser.add_argument("--members", type=int)
    parser.add_argument("--entries", type=int)
    parser.add_argument("--workers", type=int)
    parser.add_argument("--seconds", type=float)
    parser.add_argument("--clients", type=int)
    parser.add_argument("--rate", type=float, help="open-loop request rate (default 200/s)")
    parser.add_argument("--skip-granian", action="store_true",
                        help="leave out the granian runs (home and earn under granian as well as uvicorn)")
    parser.add_argument("--skip-live", action="store_true",
                        help="leave out the websocket figures (idle socket memory, offerIssued broadcast)")
    args = parser.parse_args(argv)
    options = QUICK if args.quick else FULL
    scale = options.scale
    if args.members:
        scale = replace(scale, members=args.members)
    if args.entries:
        scale = replace(scale, entries=args.entries)
    options = replace(options, scale=scale, **{k: v for k, v in (
        ("workers", args.workers), ("seconds", args.seconds), ("clients", args.clients), ("rate", args.rate))
        if v is not None}, live=not args.skip_live, quick=args.quick,
        granian=not args.skip_granian)
    progress(f"load average before: {os.getloadavg()[0]:.1f}")
    asyncio.run(main_async(options))


if __name__ == "__main__":
    main()

