"""The nightly KPI rollup job: recomputes whole program-local days from the raw rows.

Idempotent: a day's rows are replaced, never added to, so running it twice (or after a crash, or
for a day that late purchases or an import changed) leaves the same rows. Schedule it nightly for
yesterday and today (the default); `import-purchases` re-rolls the days it touched, and
`rollup-kpis --from --to` rebuilds any span (a backfill after deploying, or after a fix)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date, timedelta, tzinfo

from domain.clock import Clock
from domain.kpis.rollup_model import DayFacts, Metric, RollupRow
from domain.ports import UnitOfWork

BASE_TIER = ""  # members who never changed tier hold the base tier


def rows_for_day(facts: DayFacts, zone: tzinfo) -> list[RollupRow]:
    """Pure: the day's facts as rollup rows (zero rows left out)."""
    sums: Counter[tuple[Metric, str]] = Counter()
    for s in facts.sales:
        for (m_orders, m_sales, m_units), key in (((Metric.ORDERS, Metric.SALES_CENTS, Metric.UNITS), s.store_id),
                                                  ((Metric.CHANNEL_ORDERS, Metric.CHANNEL_SALES_CENTS,
                                                    Metric.CHANNEL_UNITS), s.channel)):
            sums[(m_orders, key)] += s.orders
            sums[(m_sales, key)] += s.sales_cents
            sums[(m_units, key)] += s.units
    for store, channel, cents in facts.refunds:
        sums[(Metric.REFUND_CENTS, store)] += cents
        sums[(Metric.CHANNEL_REFUND_CENTS, channel)] += cents
    rows = [RollupRow(metric, value, key) for (metric, key), value in sorted(sums.items())]
    for tier, orders, cents in facts.tier_sales:
        key = BASE_TIER if tier is None else str(tier)
        rows += [RollupRow(Metric.TIER_ORDERS, orders, key), RollupRow(Metric.TIER_SALES_CENTS, cents, key)]
    rows += [RollupRow(Metric.TIER_REFUND_CENTS, cents, BASE_TIER if tier is None else str(tier))
             for tier, cents in facts.tier_refunds]
    cohorts: Counter[str] = Counter()
    for joined_at, cents in facts.spend_by_join:
        cohorts[joined_at.astimezone(zone).strftime("%Y-%m")] += cents
    rows += [RollupRow(Metric.COHORT_NET_CENTS, cents, month) for month, cents in sorted(cohorts.items())]
    if facts.new_members:
        rows.append(RollupRow(Metric.NEW_MEMBERS, facts.new_members))
    joins = Counter(j.astimezone(zone).date().isoformat() for j in facts.first_purchasers_joined)
    rows += [RollupRow(Metric.FIRST_PURCHASES, n, day) for day, n in sorted(joins.items())]
    for kind, credited, debited in facts.ledger:
        rows += [RollupRow(Metric.POINTS_CREDITED, credited, kind), RollupRow(Metric.POINTS_DEBITED, debited, kind)]
    rows += [RollupRow(Metric.COUPONS_ISSUED, n, str(t), source) for t, source, n in facts.coupons_issued]
    for t, source, n, discount in facts.coupons_redeemed:
        rows += [RollupRow(Metric.COUPONS_REDEEMED, n, str(t), source),
                 RollupRow(Metric.COUPON_DISCOUNT_CENTS, discount, str(t), source)]
    rows += [RollupRow(Metric.TIER_MOVES, n, reason) for reason, n in facts.tier_moves]
    return [r for r in rows if r.value]


async def rollup_kpis(new_uow: Callable[[], UnitOfWork], clock: Clock, from_day: date | None = None,
                      to_day: date | None = None, progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Rebuild the rollups of the local days [from_day, to_day] (default: yesterday and today)."""
    today = clock.today()
    to_day = to_day or today
    from_day = from_day or min(to_day, today - timedelta(days=1))
    days = [from_day + timedelta(days=i) for i in range((to_day - from_day).days + 1)]
    return await rollup_days(new_uow, clock, days, progress)


async def rollup_days(new_uow: Callable[[], UnitOfWork], clock: Clock, days: Sequence[date],
                      progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """One transaction per day, so a crash loses at most the day in hand and a rerun redoes it."""
    counts = {"days": 0, "rows": 0}
    for day in days:
        start, end = clock.day_bounds(day)
        async with new_uow() as uow:
            facts = await uow.kpi_rollups.day_facts(start, end)
            rows = rows_for_day(facts, clock.zone)
            await uow.kpi_rollups.replace_day(day, rows, clock.now())
            await uow.kpi_rollups.replace_member_days(day, start, end)
            await uow.commit()
        counts["days"] += 1
        counts["rows"] += len(rows)
        if progress:
            progress(1)
    return counts


async def first_rollup_day(new_uow: Callable[[], UnitOfWork], clock: Clock) -> date:
    """The local day the first member joined (today for an empty program): where a backfill starts."""
    async with new_uow() as uow:
        first = await uow.kpi_rollups.first_activity()
    return clock.day_of(first) if first is not None else clock.today()
