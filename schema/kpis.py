"""Operator KPIs (staff only, enforced in domain/). Rates are basis points: 4321 means 43.21%."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import strawberry

from domain.kpis import services
from domain.kpis.model import ProgramKpis as DomainKpis
from domain.kpis.model import Retention as DomainRetention
from schema.info import Info
from schema.scalars import Long
from schema.tiers import Tier

RATE = "Basis points (4321 = 43.21%), rounded half up; null when the denominator is 0."


@strawberry.type(description="Member growth over the period.")
class MemberGrowthKpis:
    new_members: int = strawberry.field(description="Members who joined during the period.")
    members_at_start: int = strawberry.field(description="Members who joined before the period began.")
    members_at_end: int = strawberry.field(description="Members who joined before the period ended.")


@strawberry.type(description="Active members in one calendar month of the period (clipped to the period).")
class MonthlyActivity:
    month: date = strawberry.field(description="The first day of the month.")
    active_members: int = strawberry.field(description="Members active during the month (within the period).")
    members_at_end: int = strawberry.field(description="Members at the end of the month (or of the period).")
    active_rate_bp: int | None = strawberry.field(description=RATE)


@strawberry.type(description=(
    "A member is active when they made a purchase, checked in, wrote a post or comment, or redeemed a reward "
    "during the span. Likes and partner transactions do not count."
))
class ActivityKpis:
    active_members: int = strawberry.field(description="Members active at least once during the period.")
    active_rate_bp: int | None = strawberry.field(description="activeMembers / members at the end. " + RATE)
    months: list[MonthlyActivity] = strawberry.field(description="The same, per calendar month, oldest first.")


@strawberry.type(description=(
    "Of the members who joined on a day of the period, the share active again on local days 1..N after "
    "their join day (not the join day itself). Only join days whose whole N-day window has passed count."
))
class RetentionKpi:
    days: int = strawberry.field(description="N: the length of the window after the join day (7 or 30).")
    eligible_members: int = strawberry.field(
        description="Members who joined on a counted day of the period (their whole window has passed).")
    retained_members: int = strawberry.field(description="Of those, members active again within the window.")
    rate_bp: int | None = strawberry.field(description=RATE)

    @classmethod
    def from_domain(cls, r: DomainRetention) -> RetentionKpi:
        return cls(days=r.days, eligible_members=r.eligible_members, retained_members=r.retained_members,
                   rate_bp=r.rate_bp)


@strawberry.type(description="Gross points moved in the period by ledger entry kind, never netted.")
class PointsFlowKpis:
    issued: Long = strawberry.field(description="EARN entries: purchases, activities, bonuses, referrals.")
    redeemed: Long = strawberry.field(description="REDEEM entries: rewards, make-up check-ins, partner burns.")
    expired: Long = strawberry.field(description="Points that expired unused.")
    adjusted_up: Long = strawberry.field(description="Staff adjustments that added points.")
    adjusted_down: Long = strawberry.field(description="Staff adjustments that removed points.")
    reversed_earned: Long = strawberry.field(description="Earned points taken back (refunds, partner reversals).")
    reversed_spent: Long = strawberry.field(description="Spent points given back (cancelled redemptions).")
    transferred: Long = strawberry.field(description="Points gifted between members.")
    redeeming_members: int = strawberry.field(description="Members who redeemed a reward in the period.")
    redeeming_rate_bp: int | None = strawberry.field(description="redeemingMembers / active members. " + RATE)


@strawberry.type(description="How many members are in one tier.")
class TierCount:
    tier: Tier = strawberry.field(description="The tier.")
    members: int = strawberry.field(description="Members in it at the end of the period.")


@strawberry.type(description="Tier distribution and movements.")
class TierKpis:
    distribution: list[TierCount] = strawberry.field(description="Members per tier at the end of the period.")
    upgrades: int = strawberry.field(description="Tier upgrades during the period.")
    downgrades: int = strawberry.field(description="Tier downgrades during the period.")


@strawberry.type(description="Every recorded purchase counts, refunded or not.")
class PurchaseKpis:
    purchasing_members: int = strawberry.field(description="Members with at least one purchase.")
    repeat_purchasing_members: int = strawberry.field(description="Members with at least two purchases.")
    repeat_purchase_rate_bp: int | None = strawberry.field(description="repeat / purchasing. " + RATE)


@strawberry.type(description="Daily check-in use over the period.")
class CheckInKpis:
    checked_in_members: int = strawberry.field(description="Members who checked in (make-ups included).")
    check_in_rate_bp: int | None = strawberry.field(description="checkedInMembers / members at the end. " + RATE)


@strawberry.type(description="Program KPIs over whole local days [from, to] in the program's time zone.")
class ProgramKpis:
    from_day: date = strawberry.field(name="from", description="First local day of the period (included).")
    to_day: date = strawberry.field(name="to", description="Last local day of the period (included).")
    time_zone: str = strawberry.field(description='The program time zone the days are in, e.g. "Asia/Shanghai".')
    as_of: datetime = strawberry.field(description="When these figures were computed.")
    days_rolled_up: int = strawberry.field(description=(
        "Days of the period the KPI rollup job has computed (the figures are read from its daily rollups)."))
    first_missing_day: date | None = strawberry.field(description=(
        "The first day of the period not rolled up yet (its activity is missing from the figures); null "
        "when every day is."))
    members: MemberGrowthKpis = strawberry.field(description="Member counts and growth.")
    activity: ActivityKpis = strawberry.field(description="Active members over the period and per month.")
    retention_7d: RetentionKpi = strawberry.field(description="Share of new members active again within 7 days.")
    retention_30d: RetentionKpi = strawberry.field(description="Share of new members active again within 30 days.")
    points: PointsFlowKpis = strawberry.field(description="Points issued, redeemed, expired and adjusted.")
    tiers: TierKpis = strawberry.field(description="Members per tier, upgrades and downgrades.")
    purchases: PurchaseKpis = strawberry.field(description="Purchasing and repeat-purchasing members.")
    check_ins: CheckInKpis = strawberry.field(description="Members who checked in.")

    @classmethod
    def from_domain(cls, k: DomainKpis) -> ProgramKpis:
        return cls(
            from_day=k.from_day, to_day=k.to_day, time_zone=k.time_zone, as_of=k.as_of,
            days_rolled_up=k.days_rolled_up, first_missing_day=k.first_missing_day,
            members=MemberGrowthKpis(new_members=k.new_members, members_at_start=k.members_at_start,
                                     members_at_end=k.members_at_end),
            activity=ActivityKpis(
                active_members=k.active_members, active_rate_bp=k.active_rate_bp,
                months=[MonthlyActivity(month=m.month, active_members=m.active_members,
                                        members_at_end=m.members_at_end, active_rate_bp=m.active_rate_bp)
                        for m in k.months]),
            retention_7d=RetentionKpi.from_domain(k.retention_7d),
            retention_30d=RetentionKpi.from_domain(k.retention_30d),
            points=PointsFlowKpis(
                issued=Long(k.points.issued), redeemed=Long(k.points.redeemed), expired=Long(k.points.expired),
                adjusted_up=Long(k.points.adjusted_up), adjusted_down=Long(k.points.adjusted_down),
                reversed_earned=Long(k.points.reversed_earned), reversed_spent=Long(k.points.reversed_spent),
                transferred=Long(k.points.transferred), redeeming_members=k.redeeming_members,
                redeeming_rate_bp=k.redeeming_rate_bp),
            tiers=TierKpis(distribution=[TierCount(tier=Tier.from_domain(t.tier), members=t.members)
                                         for t in k.tier_distribution],
                           upgrades=k.upgrades, downgrades=k.downgrades),
            purchases=PurchaseKpis(purchasing_members=k.purchasing_members,
                                   repeat_purchasing_members=k.repeat_purchasing_members,
                                   repeat_purchase_rate_bp=k.repeat_purchase_rate_bp),
            check_ins=CheckInKpis(checked_in_members=k.checked_in_members, check_in_rate_bp=k.check_in_rate_bp),
        )


@strawberry.type
class KpiQueries:
    @strawberry.field(description=(
        "Staff: program KPIs over whole local days [from, to] (program time zone), at most 366 days, "
        "not after today. Read from the daily KPI rollups: see `daysRolledUp` and `firstMissingDay`."))
    async def program_kpis(
        self, info: Info,
        from_: Annotated[date, strawberry.argument(
            name="from", description="First local day (program time zone), included.")],
        to: Annotated[date, strawberry.argument(
            description="Last local day, included; not before `from` nor after today (366 days at most).")],
    ) -> ProgramKpis:
        ctx = info.context
        kpis = await services.program_kpis(services.KpiReport(from_, to), ctx.deps())
        return ProgramKpis.from_domain(kpis)
