"""Points as payment over HTTP: authorize + capture pairs per second, next to redeemReward's
requests per second, against the app as production starts it (`api.cli serve --workers W`).

    .venv/bin/python -m bench.payments [--quick] [--seconds S] [--clients C] [--workers W]

Each client is a keep-alive HTTP/1.1 connection (bench/load.py's minimal client) in this process;
the servers are separate processes. A payment is two requests, one after the other on the same
connection: `authorizePointsPayment` (a fresh order, 100 points) then `capturePointsPayment`.
Redeem is one request (`redeemReward` of one reward, 100 points). Clients pay for their own
members, so payment clients never share an account; redeem clients share the reward row (as the
main bench's "redeem, one reward"), and a second redeem run spreads them over one reward each.
Afterwards the books are checked (balance == ledger == open lots, holds == held lot points) and
every counted payment must be a CAPTURED hold with its ledger debit.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import itertools
import os
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import orjson
from sqlalchemy import func, select

from api.auth import JwtTokens
from bench.environment import BENCH_KEYS, bench_environment, describe
from bench.load import Connection
from bench.redemptions import funded_members
from bench.servers import Server, server_env
from bench.stats import Percentiles
from domain.auth.staff import create_staff
from domain.auth.viewer import Role
from domain.store.tables import points_entries, points_holds
from tests.support.books import assert_books_balance, assert_holds_balance
from tests.support.catalog import add_reward

say = functools.partial(print, flush=True)
MEMBERS_PER_CLIENT = 4
AUTHORIZE = """mutation A($m: ID!, $o: String!, $k: String!) { authorizePointsPayment(input: {member: {id: $m},
  storeId: "BENCH", orderId: $o, amountCents: 1000, items: [{category: "bench", amountCents: 1000}], points: 100,
  idempotencyKey: $k}) { payment { status points } } }"""
CAPTURE = """mutation C($o: String!) { capturePointsPayment(storeId: "BENCH", orderId: $o) { payment { status } } }"""
REDEEM = """mutation R($r: ID!, $k: String!) { redeemReward(input: {rewardId: $r, idempotencyKey: $k}) {
  redemption { id pointsSpent } } }"""
STAFF_SIGN_IN = """mutation { signInStaff(username: "bench-pos", password: "bench pos password 1") { accessToken } }"""


@dataclass(frozen=True)
class Sizes:
    seconds: float
    clients: int = 16
    workers: int = 2


FULL = Sizes(seconds=20)
QUICK = Sizes(seconds=6)


@dataclass
class Run:
    label: str
    unit: str
    done: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    first_error: str = ""

    def line(self) -> str:
        lat = Percentiles.of_seconds(self.latencies)
        errors = ", ".join(f"{c} {n:,}" for c, n in self.errors.most_common()) or "none"
        return (f"  {self.label:34}{self.done / self.seconds:8.1f} {self.unit}/s  ({self.done:,} in "
                f"{self.seconds:.1f} s; latency ms p50 {lat.p50:.1f}, p95 {lat.p95:.1f}, p99 {lat.p99:.1f}; "
                f"errors: {errors})")


def request(token: str | None, document: str, variables: dict) -> bytes:
    data = orjson.dumps({"query": document, "variables": variables})
    auth = b"authorization: Bearer " + token.encode() + b"\r\n" if token else b""
    return (b"POST /graphql HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n" + auth
            + b"content-length: " + str(len(data)).encode() + b"\r\n\r\n" + data)


def error_of(status: int, body: bytes) -> str | None:
    if status != 200:
        return f"HTTP {status}"
    errors = orjson.loads(body).get("errors")
    return (errors[0].get("extensions") or {}).get("code", "ERROR") if errors else None


async def closed_loop(port: int, clients: int, seconds: float, run: Run, one) -> None:
    """`one(conn, n, i)` does one unit of work and returns an error code or None."""
    connections = [await Connection.open(port) for _ in range(clients)]
    started = time.monotonic()
    deadline = started + seconds

    async def client(n: int) -> None:
        conn = connections[n]
        for i in itertools.count():
            if time.monotonic() >= deadline:
                return
            began = time.monotonic()
            try:
                code = await one(conn, n, i)
            except (ConnectionError, asyncio.IncompleteReadError) as exc:
                run.errors["connection closed"] += 1
                run.first_error = run.first_error or repr(exc)
                conn.close()
                conn = connections[n] = await Connection.open(port)
                continue
            if code:
                run.errors[code] += 1
                continue
            run.latencies.append(time.monotonic() - began)
            run.done += 1

    await asyncio.gather(*(client(n) for n in range(clients)))
    run.seconds = time.monotonic() - started
    for c in connections:
        c.close()


async def run(sizes: Sizes) -> None:
    async with bench_environment(use_redis=True) as bench:
        container = bench.container
        settings = container.settings
        now = datetime.now(UTC)
        say(f"{await describe(container)}, cache: {bench.cache_backend}, {os.cpu_count()} CPUs, "
            f"{sizes.workers} uvicorn workers, {sizes.clients} clients, load average {os.getloadavg()[0]:.1f}")
        tokens = JwtTokens(replace(settings, access_ttl_seconds=86_400))
        await create_staff(container.uow(), "bench-pos", "bench pos password 1", "POS", container.now())
        payers = await funded_members(container, sizes.clients * MEMBERS_PER_CLIENT)
        redeemers = await funded_members(container, sizes.clients * MEMBERS_PER_CLIENT)
        member_tokens = {m: tokens.issue_access(Role.MEMBER, m, now).token for m in redeemers}
        hot = (await add_reward(container, "Hot reward", price=100, stock=10_000_000, category="bench")).id
        spread = [(await add_reward(container, f"Quiet reward {n}", price=100, stock=10_000_000,
                                    category="bench")).id for n in range(sizes.clients)]
        env = server_env(settings.database_url, settings.redis_url or "", BENCH_KEYS, "bench-pay:")
        server = Server.app(sizes.workers, env, Path(tempfile.mkdtemp(prefix="bench-pay-")) / "app.log")
        try:
            await server.wait_ready(sizes.workers)
            conn = await Connection.open(server.port)
            _status, _h, body = await conn.exchange(request(None, STAFF_SIGN_IN, {}))
            conn.close()
            staff = orjson.loads(body)["data"]["signInStaff"]["accessToken"]
            tag = itertools.count()

            async def pay(conn: Connection, n: int, i: int) -> str | None:
                member = payers[n::sizes.clients][i % MEMBERS_PER_CLIENT]
                order = f"o{next(tag)}"
                status, _h, body = await conn.exchange(request(staff, AUTHORIZE, {"m": str(member), "o": order,
                                                                                   "k": order}))
                if (code := error_of(status, body)) is not None:
                    return code
                status, _h, body = await conn.exchange(request(staff, CAPTURE, {"o": order}))
                return error_of(status, body)

            def redeem(rewards: list[int]):
                async def one(conn: Connection, n: int, i: int) -> str | None:
                    member = redeemers[n::sizes.clients][i % MEMBERS_PER_CLIENT]
                    status, _h, body = await conn.exchange(request(
                        member_tokens[member], REDEEM, {"r": str(rewards[n % len(rewards)]), "k": f"r{next(tag)}"}))
                    return error_of(status, body)
                return one

            say("warming up (untimed)")
            await closed_loop(server.port, sizes.clients, 3, Run("warm", "x"), pay)
            await closed_loop(server.port, sizes.clients, 3, Run("warm", "x"), redeem([hot]))
            async with container.engine.connect() as c:
                captured_before = await c.scalar(select(func.count()).select_from(points_holds).where(
                    points_holds.c.status == "CAPTURED"))
            runs = [Run("authorize + capture (2 requests)", "payments"),
                    Run("redeemReward, one reward", "redemptions"),
                    Run("redeemReward, one reward per client", "redemptions")]
            for r, one in zip(runs, [pay, redeem([hot]), redeem(spread)], strict=True):
                await closed_loop(server.port, sizes.clients, sizes.seconds, r, one)
                say(r.line())
        finally:
            server.stop()
        balances = await assert_books_balance(container.engine)
        held = await assert_holds_balance(container.engine)
        async with container.engine.connect() as c:
            captured = await c.scalar(select(func.count()).select_from(points_holds).where(
                points_holds.c.status == "CAPTURED"))
            debits = await c.scalar(select(func.count()).select_from(points_entries).where(
                points_entries.c.source_type == "payment"))
        if captured - captured_before != runs[0].done or debits != captured or held:
            raise RuntimeError(f"{runs[0].done} payments counted, {captured - captured_before} captured, "
                               f"{debits} debits, held left {held}")
        say(f"  checks: {runs[0].done:,} payments = captured holds with a ledger debit each; no points left held; "
            f"books balance for {len(balances):,} members")
        pay_rate = runs[0].done / runs[0].seconds
        say(f"  authorize + capture: {2 * pay_rate:.1f} requests/s; payments/s are "
            f"{pay_rate / (runs[1].done / runs[1].seconds):.2f}x redemptions/s on one reward, "
            f"{pay_rate / (runs[2].done / runs[2].seconds):.2f}x spread")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.payments", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="6 s runs")
    parser.add_argument("--seconds", type=float, help="duration of each timed run")
    parser.add_argument("--clients", type=int, help="connections (default 16)")
    parser.add_argument("--workers", type=int, help="uvicorn workers (default 2)")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    sizes = replace(sizes, seconds=args.seconds or sizes.seconds, clients=args.clients or sizes.clients,
                    workers=args.workers or sizes.workers)
    asyncio.run(run(sizes))


if __name__ == "__main__":
    main()
