"""KPI benchmark: programKpis before rollups (each figure from the raw rows) and after (read from the
daily rollups, the use case and the GraphQL field), with the backfill between, at two program sizes.

    .venv/bin/python -m bench.kpis [--quick] [--members N ...] [--samples K] [--compare-indexes] [--explain]
                                   [--rollups]

--rollups times operatorKpis instead: the same figures aggregated from the raw rows over the period
(before rollups), the rollup-kpis backfill, and the report read from the daily rollups (after).

Figures go to stdout, progress to stderr. See bench/README.md for what the numbers mean.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from api.container import Container
from api.sms import DevCodeSink
from bench.environment import bench_environment, describe
from bench.kpis_seed import row_counts, seed_members, vacuum_analyze
from bench.stats import Percentiles
from domain.auth.viewer import Role, Viewer
from domain.kpis.operator_report import OperatorKpiReport, operator_kpis
from domain.kpis.period import Period
from domain.kpis.rollups import first_rollup_day, rollup_kpis
from domain.kpis.services import KpiReport, program_kpis
from domain.store.tables import metadata
from domain.tiers.services import list_tiers
from tests.support.client import ApiClient
from tests.support.roles import staff_token

say = functools.partial(print, flush=True)
STAFF = Viewer(Role.STAFF, 1)
# The indexes migration 0011 adds for these reports (--compare-indexes times without and with them).
KPI_INDEXES = [
    "ix_members_joined_at", "ix_check_ins_created_at", "ix_posts_created_at",
    "ix_comments_created_at", "ix_redemptions_created_at", "ix_tier_changes_created_at",
]
TIMEOUT_S = 20
QUERY = """query($f: Date!, $t: Date!) { programKpis(from: $f, to: $t) {
  asOf members { newMembers membersAtEnd } activity { activeMembers activeRateBp months { month activeMembers } }
  retention7d { rateBp } retention30d { rateBp } points { issued redeemed expired redeemingRateBp }
  tiers { distribution { tier { code } members } upgrades downgrades }
  purchases { repeatPurchaseRateBp } checkIns { checkInRateBp } } }"""


@dataclass(frozen=True)
class Sizes:
    members: tuple[int, ...]
    samples: int


FULL = Sizes(members=(100_000, 1_000_000), samples=5)
QUICK = Sizes(members=(10_000, 100_000), samples=3)


def kpi_calls(container: Container, period: Period, now: datetime) -> dict[str, Callable[[], Awaitable[Any]]]:
    """One timed call per repository query, each in its own transaction, as the use case issues them."""
    months = period.months()

    def repo(method: str, *args: Any) -> Callable[[], Awaitable[Any]]:
        async def call() -> Any:
            async with container.uow() as uow:
                return await getattr(uow.kpis, method)(*args)
        return call

    return {
        "members joined (growth)": repo("members_joined_before", [period.start] + [m.end for m in months]),
        "active members": repo("active_members", [period.start, period.end]),
        "active members by month": repo("active_members", [period.start] + [m.end for m in months]),
        "retention 7 days": repo("retention", period.cohort_days(7, now)),
        "retention 30 days": repo("retention", period.cohort_days(30, now)),
        "points by entry kind": repo("ledger_totals", period.start, period.end),
        "redeeming members": repo("redeeming_members", period.start, period.end),
        "tier distribution at end": repo("tiers_at", period.end),
        "tier moves": repo("tier_moves", period.start, period.end),
        "repeat purchasers": repo("purchasers", period.start, period.end),
        "checked-in members": repo("checked_in_members", period.start, period.end),
    }


async def timed(call: Callable[[], Awaitable[Any]], samples: int) -> Percentiles | None:
    """None when a statement ran into the timeout set for the pass without the indexes."""
    try:
        await call()  # untimed: pool, statement caches, buffer cache
        seconds = []
        for _ in range(samples):
            started = time.perf_counter()
            await call()
            seconds.append(time.perf_counter() - started)
    except DBAPIError as exc:
        if "statement timeout" in str(exc):
            return None
        raise
    return Percentiles.of_seconds(seconds)


def max_ms(p: Percentiles) -> float:
    return p.p99  # inclusive quantiles: with a handful of samples p99 is the worst one


async def measure(container: Container, periods: dict[str, Period], samples: int,
                  expect_timeouts: bool) -> dict[tuple[str, str], Percentiles | None]:
    """Before rollups: each programKpis figure aggregated from the raw rows (domain/store/kpis_repo.py,
    what the report ran until it read the rollups), and all of them in a row."""
    now = container.now()
    results: dict[tuple[str, str], Percentiles | None] = {}
    for label, period in periods.items():
        calls = kpi_calls(container, period, now)
        for name, call in calls.items():
            results[(label, name)] = await timed(call, samples)

        async def everything(calls: dict[str, Callable[[], Awaitable[Any]]] = calls) -> None:
            for call in calls.values():
                await call()

        results[(label, "before: whole report from raw rows")] = await timed(everything, samples)
    return results


async def measure_after(container: Container, api: ApiClient, token: str, periods: dict[str, Period],
                        samples: int) -> dict[tuple[str, str], Percentiles | None]:
    """After: programKpis read from the daily rollups and member days, the use case and the GraphQL field."""
    results: dict[tuple[str, str], Percentiles | None] = {}
    for label, period in periods.items():
        async def use_case(period: Period = period) -> Any:
            return await program_kpis(KpiReport(period.from_day, period.to_day), container.deps(STAFF))

        async def graphql(period: Period = period) -> Any:
            body = await api.gql(QUERY, {"f": period.from_day.isoformat(), "t": period.to_day.isoformat()}, token)
            if "errors" in body:
                raise SystemExit(f"programKpis failed: {body['errors']}")
            return body

        results[(label, "after: rollups (use case)")] = await timed(use_case, samples)
        results[(label, "after: rollups (GraphQL)")] = await timed(graphql, samples)
    return results


async def backfill(container: Container) -> None:
    """rollup-kpis from the first join day to today, as after deploying (rerun at each size: the
    larger size adds members and history to every day)."""
    first = await first_rollup_day(container.uow, container.clock)
    started = time.perf_counter()
    done = await rollup_kpis(container.uow, container.clock, first, container.today())
    took = time.perf_counter() - started
    say(f"  rollup-kpis backfill: {done['days']} days, {done['rows']:,} rows in {took:.1f} s "
        f"({took / max(done['days'], 1) * 1000:.0f} ms a day)")


async def check(container: Container, period: Period) -> None:
    """The report agrees with plainer SQL written here, so the figures time work that is right."""
    kpis = await program_kpis(KpiReport(period.from_day, period.to_day), container.deps(STAFF))
    sources = [("purchases", "member_id", "purchased_at"), ("check_ins", "member_id", "created_at"),
               ("posts", "author_id", "created_at"), ("comments", "author_id", "created_at"),
               ("redemptions", "member_id", "created_at")]
    union = " UNION ALL ".join(f"SELECT {who} AS member_id FROM {table} WHERE {at} >= :s AND {at} < :e"
                               for table, who, at in sources)
    async with container.engine.connect() as conn:
        params = {"s": period.start, "e": period.end}
        at_end = await conn.scalar(text("SELECT count(*) FROM members WHERE joined_at < :e"), params)
        active = await conn.scalar(text(f"SELECT count(DISTINCT member_id) FROM ({union}) a"), params)
        issued = await conn.scalar(text("SELECT coalesce(sum(amount), 0) FROM points_entries "
                                        "WHERE kind = 'EARN' AND created_at >= :s AND created_at < :e"), params)
    got = (kpis.members_at_end, kpis.active_members, kpis.points.issued)
    if got != (at_end, active, issued) or not 0 < active < at_end:
        raise SystemExit(f"programKpis disagrees with plain SQL: {got} != {(at_end, active, issued)}")


async def explain(engine: AsyncEngine, container: Container, period: Period) -> None:
    """EXPLAIN ANALYZE of every statement the KPI queries send, with the parameters they sent."""
    seen: list[tuple[str, Any]] = []

    def record(_conn, _cursor, statement, parameters, *_args) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")) and "FROM" in statement.upper():
            seen.append((statement, parameters))

    sent: dict[str, list[tuple[str, Any]]] = {}
    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        for name, call in kpi_calls(container, period, container.now()).items():
            seen.clear()
            try:
                await call()
            except DBAPIError as exc:
                if "statement timeout" not in str(exc):
                    raise
            sent[name] = list(seen)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
    for name, statement, parameters in [(n, st, pa) for n, stmts in sent.items() for st, pa in stmts]:
        say(f"\n--- {name}")
        try:
            async with engine.connect() as conn:
                # The settings SqlKpiRepository._tune gives the report's transaction.
                await conn.exec_driver_sql("SET LOCAL jit = off")
                await conn.exec_driver_sql("SET LOCAL work_mem = '64MB'")
                rows = await conn.exec_driver_sql("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + statement, parameters)
                for (line,) in rows:
                    say(f"    {line}")
        except DBAPIError as exc:
            if "statement timeout" not in str(exc):
                raise
            plain = await _plan_only(engine, statement, parameters)
            say(f"    (ran past the {TIMEOUT_S} s statement timeout; plan without ANALYZE)")
            for line in plain:
                say(f"    {line}")


async def _plan_only(engine: AsyncEngine, statement: str, parameters: Any) -> list[str]:
    async with engine.connect() as conn:
        rows = await conn.exec_driver_sql("EXPLAIN (COSTS OFF) " + statement, parameters)
        return [line for (line,) in rows]


async def set_indexes(engine: AsyncEngine, present: bool) -> float:
    """Drop or build the 0011 indexes. Without them some statements take minutes, so that pass runs
    under a statement timeout and reports the cell as timed out."""
    indexes = [ix for table in metadata.tables.values() for ix in table.indexes if ix.name in KPI_INDEXES]
    started = time.perf_counter()
    async with engine.begin() as conn:
        database = await conn.scalar(text("SELECT current_database()"))
        for ix in indexes:
            if present:
                await conn.run_sync(lambda sync, ix=ix: ix.create(sync, checkfirst=True))
            else:
                await conn.execute(text(f"DROP INDEX IF EXISTS {ix.name}"))
        timeout = "RESET statement_timeout" if present else f"SET statement_timeout = '{TIMEOUT_S}s'"
        await conn.execute(text(f'ALTER DATABASE "{database}" {timeout}'))
    await engine.dispose()  # the setting applies to new connections
    if present:
        await vacuum_analyze(engine)
    return time.perf_counter() - started


OPERATOR_QUERY = """query($f: Date!, $t: Date!) { operatorKpis(from: $f, to: $t) {
  orders salesCents averageOrderCents averageOrderChangeBp unitsPerOrderHundredths purchaseFrequencyHundredths
  conversionRateBp pointsIssued pointsRedeemed liabilityCents days { day orders salesCents averageOrderCents }
  stores { key salesCents } channels { key salesShareBp } tiers { sales { key salesCents } }
  cohorts { month valuePerMemberCents } coupons { templateId useRateBp } } }"""


async def measure_rollups(container: Container, api: ApiClient, token: str, periods: dict[str, Period],
                          samples: int) -> dict[tuple[str, str], Percentiles | None]:
    """Before: the report's sums aggregated straight from purchases, refunds, members, the ledger and
    coupons over the whole period (what the rollup job computes per day). Then the backfill. After:
    operatorKpis read from the rollups."""
    results: dict[tuple[str, str], Percentiles | None] = {}
    for label, period in periods.items():
        async def raw(period: Period = period) -> Any:
            async with container.uow() as uow:
                await uow.kpi_rollups.day_facts(period.start, period.end)
                return await uow.kpis.purchasers(period.start, period.end)
        results[(label, "before: from raw rows")] = await timed(raw, samples)
    await backfill(container)
    for label, period in periods.items():
        async def use_case(period: Period = period) -> Any:
            return await operator_kpis(OperatorKpiReport(period.from_day, period.to_day), container.deps(STAFF))

        async def graphql(period: Period = period) -> Any:
            body = await api.gql(OPERATOR_QUERY, {"f": period.from_day.isoformat(), "t": period.to_day.isoformat()},
                                 token)
            if "errors" in body:
                raise SystemExit(f"operatorKpis failed: {body['errors']}")
            return body

        results[(label, "after: rollups (use case)")] = await timed(use_case, samples)
        results[(label, "after: rollups (GraphQL)")] = await timed(graphql, samples)
    return results


def report(sizes: tuple[int, ...], periods: list[str], columns: list[str],
           results: dict[tuple[int, str, str, str], Percentiles | None]) -> None:
    names = list(dict.fromkeys(key[3] for key in results))
    for label in periods:
        say(f"\n{label}: ms per call, p50 / max")
        heads = [f"{n:,} members" + (f" {c}" if c else "") for n in sizes for c in columns]
        say(f"{'':28}" + "".join(f"{h:>24}" for h in heads))
        for name in names:
            cells = []
            for n in sizes:
                for c in columns:
                    key = (n, c, label, name)
                    p = results.get(key)
                    cells.append(f"{p.p50:11.1f} {max_ms(p):11.1f}" if p else
                                 f"{'timeout ' + str(TIMEOUT_S) + ' s':>24}" if key in results else f"{'-':>24}")
            say(f"{name:28}" + "".join(f"{cell:>24}" for cell in cells))


async def run(sizes: Sizes, compare_indexes: bool, show_plans: bool, rollups: bool = False) -> None:
    async with bench_environment(use_redis=False) as bench:
        container = bench.container
        engine = container.engine
        api = ApiClient(bench.app, DevCodeSink())
        token = await staff_token(api)
        tier_ids = {t.code: t.id for t in await list_tiers(container.uow())}
        today = container.today()
        yesterday = today - timedelta(days=1)
        periods = {
            "last 30 days": Period.of(yesterday - timedelta(days=29), yesterday, today, container.timezone),
            "last 365 days": Period.of(yesterday - timedelta(days=364), yesterday, today, container.timezone),
        }
        say(f"KPI queries: {await describe(container)}, program time zone {container.timezone.key}, "
            f"{sizes.samples} timed calls per cell after 1 untimed")
        columns = ["no 0011", "0011"] if compare_indexes else [""]
        results: dict[tuple[int, str, str, str], Percentiles | None] = {}
        seeded = 0
        for n in sizes.members:
            started = time.perf_counter()
            await seed_members(engine, seeded + 1, n - seeded, container.now(), container.timezone.key, tier_ids)
            seeded = n
            await vacuum_analyze(engine)
            counts = await row_counts(engine)
            say(f"\n{n:,} members seeded in {time.perf_counter() - started:.0f} s (incl. VACUUM ANALYZE): "
                + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
            if rollups:
                say(f"  timing operatorKpis: load average {os.getloadavg()[0]:.1f} (2 cores shared with other work)")
                for (label, name), p in (await measure_rollups(container, api, token, periods,
                                                                 sizes.samples)).items():
                    results[(n, "", label, name)] = p
                report(sizes.members, list(periods), [""], results)
                continue
            for column in columns:
                if column:
                    took = await set_indexes(engine, present=column == "0011")
                    if column == "0011":
                        say(f"  built the 0011 indexes in {took:.1f} s (incl. VACUUM ANALYZE)")
                say(f"  timing {column or 'queries'}: load average {os.getloadavg()[0]:.1f} "
                    f"(2 cores shared with other work)")
                for (label, name), p in (await measure(container, periods, sizes.samples,
                                                         expect_timeouts=column == "no 0011")).items():
                    results[(n, column, label, name)] = p
                if show_plans and n == sizes.members[-1]:
                    say(f"\nPlans at {n:,} members, {column or 'as migrated'}, last 30 days:")
                    await explain(engine, container, periods["last 30 days"])
            await backfill(container)
            await check(container, periods["last 365 days"])
            for (label, name), p in (await measure_after(container, api, token, periods, sizes.samples)).items():
                results[(n, columns[-1], label, name)] = p
            report(sizes.members, list(periods), columns, results)  # so far, in case a later size is cut short
        say(f"\nload average at the end {os.getloadavg()[0]:.1f}")
        await api.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.kpis", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 then 100,000 members, 3 samples")
    parser.add_argument("--members", type=int, nargs="+",
                        help="the sizes to seed and time, ascending (e.g. --members 1000000 for 1M only)")
    parser.add_argument("--samples", type=int, help="timed calls per cell")
    parser.add_argument("--compare-indexes", action="store_true",
                        help="time each size without, then with, the indexes of migration 0011")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE at the largest size")
    parser.add_argument("--rollups", action="store_true",
                        help="time operatorKpis from raw rows (before) and from the daily rollups (after)")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    if args.members:
        sizes = Sizes(tuple(args.members), sizes.samples)
    if args.samples:
        sizes = Sizes(sizes.members, args.samples)
    asyncio.run(run(sizes, args.compare_indexes, args.explain, args.rollups))


if __name__ == "__main__":
    main()
