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

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from domain.deps import Deps
from domain.kpis.model import LedgerTotals, MonthActivity, PointsFlow, ProgramKpis, Retention, TierCount
from domain.kpis.period import Period, basis_points
from domain.points.model import EntryKind
from domain.ports import UnitOfWork
from domain.tiers.model import Tier, TierChangeReason
from domain.tiers.rules import ladder


@dataclass(frozen=True)
class KpiReport:
    """Whole program-local days [from_day, to_day]."""

    from_day: date
    to_day: date


async def program_kpis(cmd: KpiReport, deps: Deps) -> ProgramKpis:
    uow, now, zone = deps.uow, deps.clock.now(), deps.clock.zone
    # The report names its time zone, so the program's clock runs on a named (IANA) zone.
    assert isinstance(zone, ZoneInfo)
    from_day, to_day = cmd.from_day, cmd.to_day
    deps.viewer.require_staff()
    period = Period.of(from_day, to_day, now.astimezone(zone).date(), zone)
    months = period.months()
    async with uow:
        joined = await uow.kpis.members_joined_before([period.start] + [m.end for m in months])
        members_at_start, members_at_end = joined[0], joined[-1]
        active = (await uow.kpis.active_members([period.start, period.end]))[0]
        monthly = (await uow.kpis.active_members([period.start] + [m.end for m in months])
                   if len(months) > 1 else [active])
        retention_7d = await _retention(uow, period, 7, now)
        retention_30d = await _retention(uow, period, 30, now)
        points = _points_flow(await uow.kpis.ledger_totals(period.start, period.end))
        redeeming = await uow.kpis.redeeming_members(period.start, period.end)
        tiers = await uow.tiers.tiers()
        by_tier = await uow.kpis.tiers_at(period.end)
        moves = await uow.kpis.tier_moves(period.start, period.end)
        purchasing, repeat = await uow.kpis.purchasers(period.start, period.end)
        checked_in = await uow.kpis.checked_in_members(period.start, period.end)
    return ProgramKpis(
        from_day=period.from_day, to_day=period.to_day, time_zone=zone.key, as_of=now,
        new_members=members_at_end - members_at_start, members_at_start=members_at_start,
        members_at_end=members_at_end, active_members=active, active_rate_bp=basis_points(active, members_at_end),
        months=[MonthActivity(m.first_day, count, at_end, basis_points(count, at_end))
                for m, count, at_end in zip(months, monthly, joined[1:], strict=True)],
        retention_7d=retention_7d, retention_30d=retention_30d, points=points,
        redeeming_members=redeeming, redeeming_rate_bp=basis_points(redeeming, active),
        tier_distribution=_distribution(tiers, by_tier, members_at_end),
        upgrades=moves.get(TierChangeReason.UPGRADE.value, 0),
        downgrades=moves.get(TierChangeReason.DOWNGRADE.value, 0),
        purchasing_members=purchasing, repeat_purchasing_members=repeat,
        repeat_purchase_rate_bp=basis_points(repeat, purchasing),
        checked_in_members=checked_in, check_in_rate_bp=basis_points(checked_in, members_at_end),
    )


async def _retention(uow: UnitOfWork, period: Period, days: int, now: datetime) -> Retention:
    eligible_days = period.cohort_days(days, now)
    eligible, retained = await uow.kpis.retention(eligible_days) if eligible_days else (0, 0)
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
