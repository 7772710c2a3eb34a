"""Redemption benchmark: redemptions/s under contention on one hot reward, and no oversell when
stock runs out.

    .venv/bin/python -m bench.redemptions [--quick] [--seconds S] [--no-redis]

Figures go to stdout. See bench/README.md for what the numbers mean.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import time
from collections import Counter
from dataclasses import dataclass, field, replace

from sqlalchemy import event, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from api.container import Container
from bench.environment import bench_environment, describe, new_members
from bench.stats import Percentiles
from domain.auth.viewer import Role, Viewer
from domain.benefits.model import Reward
from domain.benefits.services import RedeemReward, redeem_reward
from domain.errors import DomainError
from domain.points.transfers import AdjustPoints, adjust_points
from domain.store.tables import points_entries, redemptions, rewards
from tests.support.books import assert_books_balance
from tests.support.catalog import add_reward
from tests.support.program import STAFF

say = functools.partial(print, flush=True)
PRICE = 100
FUNDS = 1_000_000  # points per member: 10,000 redemptions, far more than any run reaches
HOT_STOCK = 10_000_000
MEMBERS_PER_CLIENT = 4  # each client cycles its own members: clients contend on the reward, never on an account
WARMUP_SECONDS = 1.0  # untimed run first: pool connections and SQLAlchemy's statement caches


@dataclass(frozen=True)
class Sizes:
    seconds: float
    scarce_stock: int
    clients: tuple[int, ...] = (8, 32)
    scarce_clients: int = 32


FULL = Sizes(seconds=60, scarce_stock=1_000)
QUICK = Sizes(seconds=4, scarce_stock=100)


@dataclass
class RedeemRun:
    successes: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # clients and app share this process: near 1.0 per second means CPU-bound
    latencies: list[float] = field(default_factory=list)  # successful redemptions only
    errors: Counter[str] = field(default_factory=Counter)
    first_error: dict[str, str] = field(default_factory=dict)
    holds: list[float] = field(default_factory=list)  # reward row locked: from taking stock to commit
    rows: int = 1

    @property
    def rate(self) -> float:
        return self.successes / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        lat = Percentiles.of_seconds(self.latencies)
        errors = ", ".join(f"{code} {n:,}" for code, n in self.errors.most_common()) or "none"
        return (f"{self.rate:8.1f} redemptions/s  ({self.successes:,} in {self.seconds:.1f} s; "
                f"process CPU {self.cpu_seconds / self.seconds:.0%}; latency ms p50 {lat.p50:.1f}, "
                f"p95 {lat.p95:.1f}, p99 {lat.p99:.1f}; errors: {errors})\n      {self.lock_summary()}")

    def lock_summary(self) -> str:
        """Near 100% busy, the reward row is the bottleneck: redemptions queue on its lock."""
        held = Percentiles.of_seconds(self.holds)
        busy = sum(self.holds) / self.rows / self.seconds if self.seconds else 0.0
        return f"reward row locked ms p50 {held.p50:.1f}, p99 {held.p99:.1f}; locked {busy:.0%} of the run"

    def unexpected(self, allowed: set[str]) -> str:
        return "".join(f"\n      first {code}: {self.first_error[code]}" for code in self.errors if code not in allowed)


def error_code(exc: Exception) -> str:
    """Domain errors by the code a client would see; database errors by SQLSTATE (40001/40P01
    would mean the use case needs a retry), anything else by its type."""
    if isinstance(exc, DomainError):
        return exc.code
    sqlstate = getattr(getattr(exc, "orig", None), "sqlstate", None)
    return f"SQLSTATE {sqlstate}" if isinstance(exc, DBAPIError) and sqlstate else type(exc).__name__


async def funded_members(container: Container, count: int) -> list[int]:
    """Fresh members, each credited through the staff adjustment use case, so their ledgers
    look like the application's own."""
    ids = await new_members(container, count)
    gate = asyncio.Semaphore(8)

    async def fund(member_id: int) -> None:
        async with gate:
            await adjust_points(AdjustPoints(member_id, FUNDS, "bench funding", f"bench-fund/{member_id}"),
                                container.deps(STAFF))

    await asyncio.gather(*(fund(m) for m in ids))
    return ids


class RowLockClock:
    """Times how long each transaction holds a reward row: from its stock UPDATE returning (the
    row lock is taken) to its commit or rollback (released). Engine events, so the use case runs
    unchanged."""

    def __init__(self, container: Container, holds: list[float]) -> None:
        self.engine, self.holds, self.taken = container.engine.sync_engine, holds, {}

    def _took(self, conn: Connection, cursor, statement: str, *_args) -> None:
        # rowcount 0 is a refusal (out of stock): PostgreSQL keeps no lock on a row it did not update.
        if statement.startswith("UPDATE rewards SET stock") and cursor.rowcount > 0:
            self.taken[id(conn.connection.dbapi_connection)] = time.perf_counter()

    def _ended(self, conn: Connection) -> None:
        took = self.taken.pop(id(conn.connection.dbapi_connection), None)
        if took is not None:
            self.holds.append(time.perf_counter() - took)

    def __enter__(self) -> RowLockClock:
        event.listen(self.engine, "after_cursor_execute", self._took)
        for name in ("commit", "rollback"):
            event.listen(self.engine, name, self._ended)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "after_cursor_execute", self._took)
        for name in ("commit", "rollback"):
            event.remove(self.engine, name, self._ended)


async def run_redeem(container: Container, reward_ids: list[int], member_ids: list[int], clients: int, tag: str,
                     seconds: float | None = None, attempts: int | None = None) -> RedeemRun:
    """`clients` tasks, client n redeeming reward_ids[n % len] for its own slice of member_ids,
    until the deadline or `attempts` tries each. A redemption in flight at the deadline still
    counts and the clock waits for it."""
    run = RedeemRun(rows=len(reward_ids))
    started, cpu_started = time.perf_counter(), time.process_time()
    deadline = started + (seconds if seconds is not None else float("inf"))

    async def client(n: int) -> None:
        mine, reward_id, i = member_ids[n::clients], reward_ids[n % len(reward_ids)], 0
        while time.perf_counter() < deadline and (attempts is None or i < attempts):
            viewer = Viewer(Role.MEMBER, mine[i % len(mine)])
            began = time.perf_counter()
            try:
                await redeem_reward(RedeemReward(reward_id, 1, f"{tag}-{n}-{i}"), container.deps(viewer))
            except Exception as exc:  # counted by code: a benchmark that hides failures overstates throughput
                code = error_code(exc)
                run.errors[code] += 1
                run.first_error.setdefault(code, repr(exc)[:300])
                continue
            finally:
                i += 1
            run.latencies.append(time.perf_counter() - began)
            run.successes += 1

    with RowLockClock(container, run.holds):
        await asyncio.gather(*(client(n) for n in range(clients)))
    run.seconds = time.perf_counter() - started
    run.cpu_seconds = time.process_time() - cpu_started
    return run


@dataclass(frozen=True)
class Snapshot:
    stock: int
    redemptions: int
    redeemed_points: int


async def snapshot(container: Container, reward_ids: list[int], member_ids: list[int]) -> Snapshot:
    async with container.engine.connect() as conn:
        stock = await conn.scalar(select(func.sum(rewards.c.stock)).where(rewards.c.id.in_(reward_ids)))
        count = await conn.scalar(select(func.count()).select_from(redemptions)
                                  .where(redemptions.c.reward_id.in_(reward_ids)))
        spent = await conn.scalar(select(func.coalesce(func.sum(points_entries.c.amount), 0)).where(
            points_entries.c.member_id.in_(member_ids), points_entries.c.kind == "REDEEM"))
    return Snapshot(int(stock), int(count), -int(spent))


async def check(container: Container, run: RedeemRun, before: Snapshot, after: Snapshot,
                member_ids: list[int]) -> str:
    """Fails loudly unless every success took exactly one unit of stock, one voucher and PRICE
    points, and every member's stored balance still equals its ledger (and its open lots)."""
    taken, issued = before.stock - after.stock, after.redemptions - before.redemptions
    spent = after.redeemed_points - before.redeemed_points
    if not taken == issued == run.successes or spent != run.successes * PRICE or after.stock < 0:
        raise RuntimeError(f"{run.successes} successes but stock -{taken}, {issued} vouchers, {spent} points")
    balances = await assert_books_balance(container.engine)
    async with container.engine.connect() as conn:
        spent_by = dict((await conn.execute(select(redemptions.c.member_id, func.sum(redemptions.c.points_spent))
                                            .where(redemptions.c.member_id.in_(member_ids))
                                            .group_by(redemptions.c.member_id))).all())
    wrong = [m for m in member_ids if balances.get(m) != FUNDS - int(spent_by.get(m, 0))]
    if wrong:
        raise RuntimeError(f"members whose balance is not funds minus vouchers: {wrong[:5]}")
    return (f"stock {before.stock:,} -> {after.stock:,} (-{taken:,} = successes), {issued:,} vouchers, "
            f"{spent:,} points redeemed; books balance for {len(balances):,} members")


async def measure(container: Container, reward_ids: list[int], clients: int, tag: str, sizes: Sizes,
                  attempts: int | None = None, allowed: frozenset[str] = frozenset()) -> tuple[RedeemRun, str]:
    members = await funded_members(container, clients * MEMBERS_PER_CLIENT)
    before = await snapshot(container, reward_ids, members)
    run = await run_redeem(container, reward_ids, members, clients, tag,
                           seconds=None if attempts else sizes.seconds, attempts=attempts)
    checked = await check(container, run, before, await snapshot(container, reward_ids, members), members)
    return run, checked + run.unexpected(set(allowed))


async def new_reward(container: Container, name: str, stock: int) -> Reward:
    return await add_reward(container, name, price=PRICE, stock=stock, category="bench")


async def run(sizes: Sizes, use_redis: bool) -> None:
    started = time.perf_counter()
    async with bench_environment(use_redis) as bench:
        container = bench.container
        pool = container.settings.db_pool_size
        say(f"{await describe(container)}, cache: {bench.cache_backend}, {os.cpu_count()} CPUs, "
            f"connection pool {pool} + {pool} overflow, load average {os.getloadavg()[0]:.1f}")
        hot = (await new_reward(container, "Hot reward", HOT_STOCK)).id
        await run_redeem(container, [hot], await funded_members(container, 8), 8, "warm", seconds=WARMUP_SECONDS)
        say(f"\nRedeeming one reward ({PRICE} points, stock {HOT_STOCK:,}) through redeem_reward, clients in one "
            f"process, {sizes.seconds:g} s per run; each client redeems for its own {MEMBERS_PER_CLIENT} members")
        spread_ids = [(await new_reward(container, f"Quiet reward {n}", HOT_STOCK)).id for n in range(8)]
        # The baseline: same work, no shared row. The gap to it is the cost of the hot reward's row lock.
        cases = [("8 clients, one reward each", spread_ids, 8)]
        cases += [(f"{c} clients, same reward", [hot], c) for c in sizes.clients]
        for k, (label, ids, clients) in enumerate(cases):
            result, checked = await measure(container, ids, clients, f"run{k}", sizes)
            say(f"  {label:28}{result.summary()}\n      checks: {checked}")
        clients, stock = sizes.scarce_clients, sizes.scarce_stock
        attempts = -(-2 * stock // clients)  # twice the stock is asked for
        scarce = (await new_reward(container, "Scarce reward", stock)).id
        say(f"\nScarce stock: {clients} clients, {attempts} attempts each ({clients * attempts:,} asked) "
            f"for a stock of {stock:,}")
        result, checked = await measure(container, [scarce], clients, "scarce", sizes, attempts,
                                        frozenset({"OUT_OF_STOCK"}))
        if result.successes != stock or result.errors["OUT_OF_STOCK"] != clients * attempts - stock:
            raise RuntimeError(f"{result.successes:,} redeemed of a stock of {stock:,}: oversold or undersold")
        say(f"  {'same reward':28}{result.summary()}\n      checks: {checked}; "
            f"{result.successes:,} redeemed = stock, no oversell")
    say(f"\ndone in {time.perf_counter() - started:.0f} s")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.redemptions", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="4 s runs, stock 100 for the scarce run")
    parser.add_argument("--seconds", type=float, help="duration of each timed run")
    parser.add_argument("--no-redis", action="store_true", help="in-process cache instead of a redis-server")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    asyncio.run(run(replace(sizes, seconds=args.seconds or sizes.seconds), use_redis=not args.no_redis))


if __name__ == "__main__":
    main()
