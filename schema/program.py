"""Operator configuration: earning rules and program settings (staff only, enforced in domain/)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from domain.naming import camel_case
from domain.points.rules import Activity as DomainActivity
from domain.points.rules import EarningRule as DomainRule
from domain.points.rules import RuleKind as DomainRuleKind
from domain.program import services
from domain.program.settings import ProgramSettings as DomainSettings
from schema.enums import register_enum
from schema.info import Info
from schema.refs import parse_id

# Registered in place (the class itself is the GraphQL enum), so type checkers see a plain enum.
register_enum(DomainRuleKind, "EarningRuleKind", "What an earning rule does.", {
    "BASE_RATE": "Points per 100 cents spent (`pointsPer100Cents`); the first active one applies to every purchase.",
    "CATEGORY": "Multiplies the base-rate points of one product `category` by `multiplierPct`; `cap` is per order.",
    "CAMPAIGN": "Multiplies a purchase's points by `multiplierPct` on the days it runs (weekdays, days of month, "
                "date range); `cap` limits the extra points per order.",
    "ACTIVITY": "Fixed `points` for a non-purchase `activity`; `cap` limits what it pays per member per day.",
})
RuleKind = DomainRuleKind
register_enum(DomainActivity, "Activity", "A member action that can earn points.", {
    "PURCHASE": "Buying something (paid by BASE_RATE/CATEGORY/CAMPAIGN rules, not by ACTIVITY rules).",
    "CHECK_IN": "The daily check-in.",
    "REFERRAL": "Inviting a friend who joins.",
    "BIRTHDAY": "The member's birthday.",
    "COMMUNITY_POST": "Publishing a community post.",
    "COMMUNITY_LIKE_RECEIVED": "One of the member's posts getting a like.",
    "EVENT_ATTENDANCE": "Being checked in at an event.",
    "SURVEY": "Answering a survey.",
})
Activity = DomainActivity

COUPON_TEMPLATE_SETTINGS = ("welcome_coupon_template_id", "birthday_coupon_template_id", "upgrade_coupon_template_id")


@strawberry.type(description=(
    "A staff-configured rule that turns purchases or activities into points. Days are program days "
    "(Asia/Shanghai)."))
class EarningRule:
    id: strawberry.ID = strawberry.field(description="The rule's id.")
    kind: RuleKind = strawberry.field(description="What the rule does; decides which of the other fields matter.")
    name: str = strawberry.field(description="Operator-facing name (up to 60 characters).")
    active: bool = strawberry.field(description="False when the rule is switched off.")
    points_per_100_cents: int = strawberry.field(
        description="BASE_RATE: whole points per 100 cents (1 yuan) spent; 0 for other kinds.")
    category: str | None = strawberry.field(description="CATEGORY: the product category it applies to; else null.")
    multiplier_pct: int = strawberry.field(
        description="CATEGORY/CAMPAIGN: multiplier in percent (150 = x1.5); 100 means no change.")
    activity: Activity | None = strawberry.field(description="ACTIVITY: the activity it pays for; else null.")
    points: int = strawberry.field(description="ACTIVITY: whole points per occurrence.")
    cap: int | None = strawberry.field(description=(
        "Most points the rule gives: per order for CATEGORY/CAMPAIGN (the extra, for campaigns), per member per "
        "day for ACTIVITY; null = no cap."))
    weekdays: list[int] = strawberry.field(
        description="Days of the week it runs, 1 = Monday to 7 = Sunday; empty = every day.")
    month_days: list[int] = strawberry.field(description="Days of the month it runs (1 to 31); empty = every day.")
    starts_on: date | None = strawberry.field(description="First day it runs; null = no start limit.")
    ends_on: date | None = strawberry.field(description="Last day it runs (inclusive); null = no end.")

    @classmethod
    def from_domain(cls, r: DomainRule) -> EarningRule:
        return cls(id=strawberry.ID(str(r.id)), kind=r.kind, name=r.name, active=r.active,
                   points_per_100_cents=r.points_per_100_cents, category=r.category, multiplier_pct=r.multiplier_pct,
                   activity=r.activity, points=r.points, cap=r.cap, weekdays=list(r.weekdays),
                   month_days=list(r.month_days), starts_on=r.starts_on, ends_on=r.ends_on)


@strawberry.input(description="A whole earning rule to create or replace; invalid fields come back in "
                               "`extensions.fieldErrors` (BAD_USER_INPUT).")
class SaveEarningRuleInput:
    id: strawberry.ID | None = strawberry.field(default=None, description="The rule to replace; omit to create one.")
    kind: RuleKind = strawberry.field(description="What the rule does.")
    name: str = strawberry.field(description="Operator-facing name, 1 to 60 characters.")
    active: bool = strawberry.field(default=True, description="False saves the rule switched off.")
    points_per_100_cents: int = strawberry.field(
        default=0, description="BASE_RATE: 1 to 1000 whole points per 100 cents spent.")
    category: str | None = strawberry.field(default=None, description="CATEGORY: the product category (required).")
    multiplier_pct: int = strawberry.field(
        default=100, description="CATEGORY/CAMPAIGN: multiplier in percent, 0 to 1000 (150 = x1.5).")
    activity: Activity | None = strawberry.field(
        default=None, description="ACTIVITY: the activity it pays for (required; not PURCHASE).")
    points: int = strawberry.field(default=0, description="ACTIVITY: 1 to 100000 whole points per occurrence.")
    cap: int | None = strawberry.field(default=None, description=(
        "Positive points cap: per order for CATEGORY/CAMPAIGN, per member per day for ACTIVITY; null = none."))
    weekdays: list[int] = strawberry.field(
        default_factory=list, description="Days of the week it runs, 1 = Monday to 7 = Sunday; empty = every day.")
    month_days: list[int] = strawberry.field(
        default_factory=list, description="Days of the month it runs (1 to 31); empty = every day.")
    starts_on: date | None = strawberry.field(default=None, description="First day it runs; null = no start limit.")
    ends_on: date | None = strawberry.field(
        default=None, description="Last day it runs (inclusive, not before `startsOn`); null = no end.")


@strawberry.type(description="The result of saveEarningRule.")
class SaveEarningRulePayload:
    rule: EarningRule = strawberry.field(description="The rule as saved.")


@strawberry.type(description=(
    "Program-wide settings operators change at run time. Days are program days (Asia/Shanghai)."))
class ProgramSettings:
    return_window_days: int = strawberry.field(
        description=(
            "Days after a purchase during which it can be returned; its points stay pending (not spendable) until "
            "then."))
    points_expiry_months: int = strawberry.field(
        description='Months after they are earned that points expire (policy 0, rolling).')
    points_expiry_policy: int = strawberry.field(
        description='0: rolling `pointsExpiryMonths`; 1: points earned in year Y expire at the end of '
                    '`pointsExpiryMonth`/`pointsExpiryDay` of Y+1; 2: at the end of the `pointsExpiryQuarters`-th '
                    'quarter after earning. Applies to points earned from then on.')
    points_expiry_month: int = strawberry.field(description='Month of the fixed expiry day (policy 1).')
    points_expiry_day: int = strawberry.field(description='Day of the fixed expiry day (policy 1).')
    points_expiry_quarters: int = strawberry.field(description='Quarters after the quarter of earning (policy 2).')
    expiring_soon_days: int = strawberry.field(
        description='How many days ahead points count as "expiring soon" in the balance.')
    gift_daily_limit_points: int = strawberry.field(
        description='Most whole points a member may gift to others per day.')
    gift_min_tier_rank: int = strawberry.field(
        description='Lowest tier rank allowed to gift points; 0 = every member.')
    tier_window_months: int = strawberry.field(
        description='Months of spending that count towards qualifying for a tier.')
    tier_grace_months: int = strawberry.field(
        description='Months a reached tier is kept before a downgrade can take effect.')
    tier_calendar_year: int = strawberry.field(
        description='1: tiers qualify on the calendar year so far (program time zone); 0: on the last '
                    '`tierWindowMonths` months.')
    tier_downgrade_one_step: int = strawberry.field(
        description='1: a tier review moves a member down one tier at a time; 0: straight to the tier they qualify '
                    'for.')
    welcome_coupon_template_id: strawberry.ID | None = strawberry.field(
        description="Coupon template given to every new member; null when none is set.")
    birthday_coupon_template_id: strawberry.ID | None = strawberry.field(
        description="Coupon template given for the birthday; null when none is set.")
    upgrade_coupon_template_id: strawberry.ID | None = strawberry.field(
        description="Coupon template given on a tier upgrade; null when none is set.")
    birthday_whole_month: int = strawberry.field(
        description='1: birthday rewards can be had any day of the birthday month; 0: only on the day itself.')
    checkin_cycle_days: int = strawberry.field(
        description='Every Nth consecutive check-in day pays the streak bonus; 0 = no bonus.')
    checkin_bonus_points: int = strawberry.field(
        description='Whole points of the check-in streak bonus.')
    makeup_checkins_per_month: int = strawberry.field(
        description='Missed days a member may make up per month; 0 turns make-ups off.')
    makeup_cost_points: int = strawberry.field(
        description='Whole points a make-up check-in costs.')
    referral_min_purchase_cents: int = strawberry.field(
        description='Smallest purchase (in cents, 1/100 yuan) by the invited member that pays the referral points.')
    referral_referrer_points: int = strawberry.field(
        description='Whole points the inviting member gets for a referral.')
    referral_referee_points: int = strawberry.field(
        description='Whole points the invited member gets.')
    lifecycle_new_days: int = strawberry.field(
        description='A member is NEW while they joined within this many days.')
    lifecycle_active_days: int = strawberry.field(
        description='A member is ACTIVE while their last purchase is within this many days.')
    lifecycle_dormant_days: int = strawberry.field(
        description='A member is DORMANT until their last purchase is this many days old, then CHURNED.')
    rfm_windows: list[int] = strawberry.field(
        description='Windows in days, ascending, over which RFM scores are computed; a segment names one of them.')
    payment_points_per_yuan: int = strawberry.field(
        description="Points as payment: this many points pay ¥1 (100 = a point pays 1 cent); 0 = points cannot pay.")
    payment_max_share_bp: int = strawberry.field(
        description="The most of an order points may pay, in basis points (5000 = half the order).")
    payment_min_order_cents: int = strawberry.field(
        description="Smallest order (in cents) points may pay part of.")
    payment_min_balance_left: int = strawberry.field(
        description="Whole points a member must keep after paying with points.")
    payment_hold_minutes: int = strawberry.field(
        description="Minutes an authorized points payment holds the points before it times out.")
    payment_excluded_categories: list[str] = strawberry.field(
        description="Line item categories points never pay for.")
    point_value_cents_per_100_points: int = strawberry.field(
        description="What 100 points are worth to the program, in cents (100: one point is one fen); the operator "
                    "KPIs value outstanding points (the points liability) with it.")

    @classmethod
    def from_domain(cls, s: DomainSettings) -> ProgramSettings:
        values = s.to_dict()
        for name in COUPON_TEMPLATE_SETTINGS:
            # The domain keeps 0 for "none"; clients see null, and an ID when one is set.
            values[name] = strawberry.ID(str(values[name])) if values[name] else None
        return cls(**values)  # type: ignore[arg-type]  # the same fields, checked by the domain


@strawberry.input(description=(
    "Settings to change: omitted or null fields keep their value. Out-of-range values answer BAD_USER_INPUT with "
    "`extensions.fieldErrors`."))
class UpdateProgramSettingsInput:
    return_window_days: int | None = strawberry.field(
        default=None, description=(
            "Days after a purchase during which it can be returned; its points stay pending (not spendable) until "
            "then. Allowed: 0 to 90."))
    points_expiry_months: int | None = strawberry.field(
        default=None, description='Months after they are earned that points expire. Allowed: 1 to 120.')
    points_expiry_policy: int | None = strawberry.field(
        default=None, description='0 rolling months, 1 a fixed day of the next year, 2 the end of the Nth quarter '
                                  'after earning. Allowed: 0 to 2. Points already earned keep their expiry.')
    points_expiry_month: int | None = strawberry.field(
        default=None, description='Month of the fixed expiry day (policy 1). Allowed: 1 to 12.')
    points_expiry_day: int | None = strawberry.field(
        default=None, description='Day of the fixed expiry day (policy 1); must exist every year. Allowed: 1 to 31.')
    points_expiry_quarters: int | None = strawberry.field(
        default=None, description='Quarters after the quarter of earning (policy 2). Allowed: 1 to 12.')
    expiring_soon_days: int | None = strawberry.field(
        default=None, description=(
            "How many days ahead points count as \"expiring soon\" in the balance. Allowed: 1 to 365."))
    gift_daily_limit_points: int | None = strawberry.field(
        default=None, description='Most whole points a member may gift to others per day. Allowed: 0 to 10,000,000.')
    gift_min_tier_rank: int | None = strawberry.field(
        default=None, description='Lowest tier rank allowed to gift points; 0 = every member. Allowed: 0 to 100.')
    tier_window_months: int | None = strawberry.field(
        default=None, description='Months of spending that count towards qualifying for a tier. Allowed: 1 to 36.')
    tier_grace_months: int | None = strawberry.field(
        default=None, description='Months a reached tier is kept before a downgrade can take effect. Allowed: 0 to 36.')
    tier_calendar_year: int | None = strawberry.field(
        default=None, description='1: tiers qualify on the calendar year so far; 0: on rolling months. Allowed: 0 '
                                  'to 1.')
    tier_downgrade_one_step: int | None = strawberry.field(
        default=None, description='1: reviews move down one tier at a time; 0: to the tier qualified for. Allowed: 0 '
                                  'to 1.')
    welcome_coupon_template_id: strawberry.ID | None = strawberry.field(
        default=None, description='A coupon template id; "0" removes the setting.')
    birthday_coupon_template_id: strawberry.ID | None = strawberry.field(
        default=None, description='A coupon template id; "0" removes the setting.')
    upgrade_coupon_template_id: strawberry.ID | None = strawberry.field(
        default=None, description='A coupon template id; "0" removes the setting.')
    birthday_whole_month: int | None = strawberry.field(
        default=None, description=(
            "1: birthday rewards can be had any day of the birthday month; 0: only on the day itself. "
            "Allowed: 0 to 1."))
    checkin_cycle_days: int | None = strawberry.field(
        default=None, description=(
            "Every Nth consecutive check-in day pays the streak bonus; 0 = no bonus. Allowed: 0 to 31."))
    checkin_bonus_points: int | None = strawberry.field(
        default=None, description='Whole points of the check-in streak bonus. Allowed: 0 to 100,000.')
    makeup_checkins_per_month: int | None = strawberry.field(
        default=None, description='Missed days a member may make up per month; 0 turns make-ups off. Allowed: 0 to 31.')
    makeup_cost_points: int | None = strawberry.field(
        default=None, description='Whole points a make-up check-in costs. Allowed: 0 to 100,000.')
    referral_min_purchase_cents: int | None = strawberry.field(
        default=None, description=(
            "Smallest purchase (in cents, 1/100 yuan) by the invited member that pays the referral points. Allowed: 0 "
            "to 100,000,000."))
    referral_referrer_points: int | None = strawberry.field(
        default=None, description='Whole points the inviting member gets for a referral. Allowed: 0 to 100,000.')
    referral_referee_points: int | None = strawberry.field(
        default=None, description='Whole points the invited member gets. Allowed: 0 to 100,000.')
    lifecycle_new_days: int | None = strawberry.field(
        default=None, description='A member is NEW while they joined within this many days. Allowed: 1 to 365.')
    lifecycle_active_days: int | None = strawberry.field(
        default=None, description=(
            "A member is ACTIVE while their last purchase is within this many days. Allowed: 1 to 730."))
    lifecycle_dormant_days: int | None = strawberry.field(
        default=None, description=(
            "A member is DORMANT until their last purchase is this many days old, then CHURNED. Allowed: 2 to 1,460. "
            "Must be more than lifecycleActiveDays."))
    rfm_windows: list[int] | None = strawberry.field(default=None, description=(
        "Windows in days over which RFM scores are computed: 1 to 6 different windows of 1 to 730 days "
        "(stored ascending)."))
    payment_points_per_yuan: int | None = strawberry.field(default=None, description=(
        "Points as payment: this many points pay ¥1; 0 = points cannot pay. Allowed: 0 to 10,000."))
    payment_max_share_bp: int | None = strawberry.field(default=None, description=(
        "The most of an order points may pay, in basis points. Allowed: 0 to 10,000."))
    payment_min_order_cents: int | None = strawberry.field(default=None, description=(
        "Smallest order (in cents) points may pay part of. Allowed: 0 to 100,000,000."))
    payment_min_balance_left: int | None = strawberry.field(default=None, description=(
        "Whole points a member must keep after paying with points. Allowed: 0 to 10,000,000."))
    payment_hold_minutes: int | None = strawberry.field(default=None, description=(
        "Minutes an authorized points payment holds the points. Allowed: 1 to 1,440."))
    payment_excluded_categories: list[str] | None = strawberry.field(default=None, description=(
        "Line item categories points never pay for: at most 50, each 1 to 40 characters (replaces the list)."))
    point_value_cents_per_100_points: int | None = strawberry.field(default=None, description=(
        "What 100 points are worth to the program, in cents, for the points liability. Allowed: 0 to 100,000."))


@strawberry.type(description="The result of updateProgramSettings.")
class ProgramSettingsPayload:
    settings: ProgramSettings = strawberry.field(description="All settings after the change.")


@strawberry.type
class ProgramQueries:
    @strawberry.field(description="Staff: every earning rule, active or not.")
    async def earning_rules(self, info: Info) -> list[EarningRule]:
        return [EarningRule.from_domain(r) for r in await services.list_rules(info.context.uow(), info.context.viewer)]

    @strawberry.field(description="Members, staff or anonymous callers (not partners): the program's current settings.")
    async def program_settings(self, info: Info) -> ProgramSettings:
        return ProgramSettings.from_domain(await services.get_settings(info.context.uow()))


@strawberry.type
class ProgramMutations:
    @strawberry.mutation(description=(
        "Staff: create (no id) or replace an earning rule. BAD_USER_INPUT when invalid; NOT_FOUND for an unknown id."))
    async def save_earning_rule(
        self, info: Info,
        input: Annotated[SaveEarningRuleInput, strawberry.argument(description="The whole rule.")],
    ) -> SaveEarningRulePayload:
        rule = DomainRule(
            id=parse_id(input.id) if input.id is not None else 0, kind=input.kind, name=input.name,
            active=input.active, points_per_100_cents=input.points_per_100_cents, category=input.category,
            multiplier_pct=input.multiplier_pct, activity=input.activity, points=input.points, cap=input.cap,
            weekdays=tuple(input.weekdays), month_days=tuple(input.month_days), starts_on=input.starts_on,
            ends_on=input.ends_on,
        )
        saved = await services.save_rule(info.context.uow(), info.context.viewer, rule, info.context.container.now())
        return SaveEarningRulePayload(rule=EarningRule.from_domain(saved))

    @strawberry.mutation(description=(
        "Staff: change program settings (only the fields given). BAD_USER_INPUT with `extensions.fieldErrors` "
        "for values out of range."))
    async def update_program_settings(
        self, info: Info,
        input: Annotated[UpdateProgramSettingsInput, strawberry.argument(description="The settings to change.")],
    ) -> ProgramSettingsPayload:
        changes = {k: v for k, v in vars(input).items() if v is not None}
        for name in COUPON_TEMPLATE_SETTINGS:
            if name in changes:
                raw = str(changes[name]).strip()
                changes[name] = 0 if raw == "0" else parse_id(strawberry.ID(raw), camel_case(name))
        updated = await services.update_settings(info.context.uow(), info.context.viewer, changes,
                                                 info.context.container.now())
        return ProgramSettingsPayload(settings=ProgramSettings.from_domain(updated))
