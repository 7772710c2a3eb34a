"""The operator KPI report: validates the period, runs the set-based queries, assembles the answer.

Definitions (also in README "Operator KPIs"):
- A member *exists* at an instant when they joined before it.
- A member is *active* in a span when they made a purchase (purchased_at), checked in (the moment
  the check-in was made, make-ups included), wrote a post or a comment (any moderation status) or
  redeemed a reward (any status, cancelled ones included) inside it.
- *Retention N days*: of the members who joined on a day of the period, the share active again on
  local days 1..N after their join day (the join day itself does not count). Only join days whose
  whole window has ended by the time of the report are counted, so a fresh cohort does not drag
  the rate down; the window may reach past the end of the period.
"""

from __future__ import annotations

from bisect import bisect_left
from datetime import date, datetime, timedelta
from itertools import accumulate

from domain.deps import Deps
from domain.kpis.model import LedgerTotals, MonthActivity, PointsFlow, ProgramKpis, Retention, TierCount
from domain.kpis.period import KpiReport, Period, basis_points, report_period
from domain.kpis.rollup_model import Metric
from domain.points.model import EntryKind
from domain.ports import UnitOfWork
from domain.tiers.model import Tier, TierChangeReason
from domain.tiers.rules import ladder

__all__ = ["KpiReport", "program_kpis"]
EPOCH = date(1970, 1, 1)


async def program_kpis(cmd: KpiReport, deps: Deps) -> ProgramKpis:
    """Read from the daily rollups (domain/kpis/rollups.py): sums per day for members joined, points and
    tier moves, and the member-day rows for every distinct-member figure. Only the tier distribution
    at the end reads a raw table (tier_changes, one row per change, not per action). Days the rollup
    job has not covered are named in `first_missing_day`; their activity is missing from the figures."""
    period = report_period(cmd, deps)
    uow, now, zone = deps.uow, deps.clock.now(), period.zone
    months = period.months()
    async with uow.read_only():
        rolled = {day for day, _at in await uow.kpi_rollups.rolled_days(period.from_day, period.to_day)}
        joins = await uow.kpi_rollups.daily(EPOCH, period.to_day, [Metric.NEW_MEMBERS])
        counts = await uow.kpi_rollups.member_counts(period.from_day, period.to_day)
        monthly = (await uow.kpi_rollups.active_members([(m.from_day, m.to_day) for m in months])
                   if len(months) > 1 else [counts.active])
        retention_7d = await _retention(uow, period, 7, now)
        retention_30d = await _retention(uow, period, 30, now)
        sums = await uow.kpi_rollups.sums(period.from_day, period.to_day,
                                          [Metric.POINTS_CREDITED, Metric.POINTS_DEBITED, Metric.TIER_MOVES])
        tiers = await uow.tiers.tiers()
        by_tier = await uow.kpis.tiers_at(period.end)
    joined = _joined_before(joins, [period.from_day] + [m.to_day + timedelta(days=1) for m in months])
    members_at_start, members_at_end = joined[0], joined[-1]
    credited = {d1: v for m, d1, _d2, v in sums if m == Metric.POINTS_CREDITED}
    debited = {d1: v for m, d1, _d2, v in sums if m == Metric.POINTS_DEBITED}
    moves = {d1: v for m, d1, _d2, v in sums if m == Metric.TIER_MOVES}
    points = _points_flow([LedgerTotals(kind, credited.get(kind, 0), debited.get(kind, 0))
                           for kind in credited.keys() | debited.keys()])
    return ProgramKpis(
        from_day=period.from_day, to_day=period.to_day, time_zone=zone.key, as_of=now,
        new_members=members_at_end - members_at_start, members_at_start=members_at_start,
        members_at_end=members_at_end, active_members=counts.active,
        active_rate_bp=basis_points(counts.active, members_at_end),
        months=[MonthActivity(m.first_day, count, at_end, basis_points(count, at_end))
                for m, count, at_end in zip(months, monthly, joined[1:], strict=True)],
        retention_7d=retention_7d, retention_30d=retention_30d, points=points,
        redeeming_members=counts.redeeming, redeeming_rate_bp=basis_points(counts.redeeming, counts.active),
        tier_distribution=_distribution(tiers, by_tier, members_at_end),
        upgrades=moves.get(TierChangeReason.UPGRADE.value, 0),
        downgrades=moves.get(TierChangeReason.DOWNGRADE.value, 0),
        purchasing_members=counts.purchasing, repeat_purchasing_members=counts.repeat_purchasing,
        repeat_purchase_rate_bp=basis_points(counts.repeat_purchasing, counts.purchasing),
        checked_in_members=counts.checked_in, check_in_rate_bp=basis_points(counts.checked_in, members_at_end),
        days_rolled_up=len(rolled), first_missing_day=next((d for d in period.days() if d not in rolled), None),
    )


def _joined_before(joins: list[tuple[date, str, int]], bounds: list[date]) -> list[int]:
    """For each bound, the members who joined on an earlier day (the daily new-member rollups, added up)."""
    days = [day for day, _m, _n in joins]  # in day order
    running = [0, *accumulate(n for _d, _m, n in joins)]
    return [running[bisect_left(days, bound)] for bound in bounds]


async def _retention(uow: UnitOfWork, period: Period, days: int, now: datetime) -> Retention:
    eligible_days = period.cohort_days(days, now)
    eligible, retained = await uow.kpi_rollups.retention(eligible_days) if eligible_days else (0, 0)
    return Retention(days, eligible, retained, basis_points(retained, eligible))


def _points_flow(totals: list[LedgerTotals]) -> PointsFlow:
    """Gross flows by entry kind, never netted against each other: a refund's take-back shows as
    reversed_earned, not as less issued; a cancelled redemption's give-back as reversed_spent, not as
    less redeemed. Gifts move points between members and are reported once, as transferred."""
    credited = {t.kind: t.credited for t in totals}
    debited = {t.kind: t.debited for t in totals}
    return PointsFlow(
        issued=credited.get(EntryKind.EARN.value, 0),
        redeemed=debited.get(EntryKind.REDEEM.value, 0),
        expired=debited.get(EntryKind.EXPIRE.value, 0),
        adjusted_up=credited.get(EntryKind.ADJUST.value, 0),
        adjusted_down=debited.get(EntryKind.ADJUST.value, 0),
        reversed_earned=debited.get(EntryKind.REVERSE.value, 0),
        reversed_spent=credited.get(EntryKind.REVERSE.value, 0),
        transferred=debited.get(EntryKind.GIFT_OUT.value, 0),
    )


def _distribution(tiers: list[Tier], by_tier: dict[int, int], members_at_end: int) -> list[TierCount]:
    """Every active tier in rank order (and a retired one while members still hold it); members
    without a tier change are in the base tier."""
    active = ladder(tiers)
    if not active:
        return []
    counts = dict(by_tier)
    counts[active[0].id] = counts.get(active[0].id, 0) + members_at_end - sum(by_tier.values())
    shown = [t for t in sorted(tiers, key=lambda t: t.rank) if t.active or counts.get(t.id, 0)]
    return [TierCount(t, counts.get(t.id, 0)) for t in shown]
