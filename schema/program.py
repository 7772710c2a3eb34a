"""Operator configuration: earning rules and program settings (staff only, enforced in domain/)."""

from __future__ import annotations

from datetime import date

import strawberry

from domain.naming import camel_case
from domain.points.rules import Activity as DomainActivity
from domain.points.rules import EarningRule as DomainRule
from domain.points.rules import RuleKind as DomainRuleKind
from domain.program import services
from domain.program.settings import ProgramSettings as DomainSettings
from schema.info import Info
from schema.refs import parse_id

# Registered in place (strawberry.enum returns the class itself), so type checkers see a plain enum.
strawberry.enum(DomainRuleKind, name="EarningRuleKind")
RuleKind = DomainRuleKind
# Registered in place (strawberry.enum returns the class itself), so type checkers see a plain enum.
strawberry.enum(DomainActivity, name="Activity")
Activity = DomainActivity

COUPON_TEMPLATE_SETTINGS = ("welcome_coupon_template_id", "birthday_coupon_template_id", "upgrade_coupon_template_id")


@strawberry.type
class EarningRule:
    id: strawberry.ID
    kind: RuleKind
    name: str
    active: bool
    points_per_100_cents: int
    category: str | None
    multiplier_pct: int
    activity: Activity | None
    points: int
    cap: int | None
    weekdays: list[int]
    month_days: list[int]
    starts_on: date | None
    ends_on: date | None

    @classmethod
    def from_domain(cls, r: DomainRule) -> EarningRule:
        return cls(id=strawberry.ID(str(r.id)), kind=r.kind, name=r.name, active=r.active,
                   points_per_100_cents=r.points_per_100_cents, category=r.category, multiplier_pct=r.multiplier_pct,
                   activity=r.activity, points=r.points, cap=r.cap, weekdays=list(r.weekdays),
                   month_days=list(r.month_days), starts_on=r.starts_on, ends_on=r.ends_on)


@strawberry.input
class SaveEarningRuleInput:
    id: strawberry.ID | None = None
    kind: RuleKind
    name: str
    active: bool = True
    points_per_100_cents: int = 0
    category: str | None = None
    multiplier_pct: int = 100
    activity: Activity | None = None
    points: int = 0
    cap: int | None = None
    weekdays: list[int] = strawberry.field(default_factory=list)
    month_days: list[int] = strawberry.field(default_factory=list)
    starts_on: date | None = None
    ends_on: date | None = None


@strawberry.type
class SaveEarningRulePayload:
    rule: EarningRule


@strawberry.type
class ProgramSettings:
    return_window_days: int
    points_expiry_months: int
    expiring_soon_days: int
    gift_daily_limit_points: int
    gift_min_tier_rank: int
    tier_window_months: int
    tier_grace_months: int
    welcome_coupon_template_id: strawberry.ID | None
    birthday_coupon_template_id: strawberry.ID | None
    upgrade_coupon_template_id: strawberry.ID | None
    birthday_whole_month: int
    checkin_cycle_days: int
    checkin_bonus_points: int
    makeup_checkins_per_month: int
    makeup_cost_points: int
    referral_min_purchase_cents: int
    referral_referrer_points: int
    referral_referee_points: int
    lifecycle_new_days: int
    lifecycle_active_days: int
    lifecycle_dormant_days: int
    rfm_windows: list[int]

    @classmethod
    def from_domain(cls, s: DomainSettings) -> ProgramSettings:
        values = s.to_dict()
        for name in COUPON_TEMPLATE_SETTINGS:
            # The domain keeps 0 for "none"; clients see null, and an ID when one is set.
            values[name] = strawberry.ID(str(values[name])) if values[name] else None
        return cls(**values)  # type: ignore[arg-type]  # the same fields, checked by the domain


@strawberry.input
class UpdateProgramSettingsInput:
    return_window_days: int | None = None
    points_expiry_months: int | None = None
    expiring_soon_days: int | None = None
    gift_daily_limit_points: int | None = None
    gift_min_tier_rank: int | None = None
    tier_window_months: int | None = None
    tier_grace_months: int | None = None
    welcome_coupon_template_id: strawberry.ID | None = strawberry.field(
        default=None, description='A coupon template id; "0" removes the setting.')
    birthday_coupon_template_id: strawberry.ID | None = strawberry.field(
        default=None, description='A coupon template id; "0" removes the setting.')
    upgrade_coupon_template_id: strawberry.ID | None = strawberry.field(
        default=None, description='A coupon template id; "0" removes the setting.')
    birthday_whole_month: int | None = None
    checkin_cycle_days: int | None = None
    checkin_bonus_points: int | None = None
    makeup_checkins_per_month: int | None = None
    makeup_cost_points: int | None = None
    referral_min_purchase_cents: int | None = None
    referral_referrer_points: int | None = None
    referral_referee_points: int | None = None
    lifecycle_new_days: int | None = None
    lifecycle_active_days: int | None = None
    lifecycle_dormant_days: int | None = None
    rfm_windows: list[int] | None = None


@strawberry.type
class ProgramSettingsPayload:
    settings: ProgramSettings


@strawberry.type
class ProgramQueries:
    @strawberry.field(description="Staff: every earning rule, active or not.")
    async def earning_rules(self, info: Info) -> list[EarningRule]:
        return [EarningRule.from_domain(r) for r in await services.list_rules(info.context.uow(), info.context.viewer)]

    @strawberry.field(description="The program's settings.")
    async def program_settings(self, info: Info) -> ProgramSettings:
        return ProgramSettings.from_domain(await services.get_settings(info.context.uow()))


@strawberry.type
class ProgramMutations:
    @strawberry.mutation(description="Staff: create (no id) or replace an earning rule.")
    async def save_earning_rule(self, info: Info, input: SaveEarningRuleInput) -> SaveEarningRulePayload:
        rule = DomainRule(
            id=parse_id(input.id) if input.id is not None else 0, kind=input.kind, name=input.name,
            active=input.active, points_per_100_cents=input.points_per_100_cents, category=input.category,
            multiplier_pct=input.multiplier_pct, activity=input.activity, points=input.points, cap=input.cap,
            weekdays=tuple(input.weekdays), month_days=tuple(input.month_days), starts_on=input.starts_on,
            ends_on=input.ends_on,
        )
        saved = await services.save_rule(info.context.uow(), info.context.viewer, rule, info.context.container.now())
        return SaveEarningRulePayload(rule=EarningRule.from_domain(saved))

    @strawberry.mutation(description="Staff: change program settings (only the fields given).")
    async def update_program_settings(self, info: Info, input: UpdateProgramSettingsInput) -> ProgramSettingsPayload:
        changes = {k: v for k, v in vars(input).items() if v is not None}
        for name in COUPON_TEMPLATE_SETTINGS:
            if name in changes:
                raw = str(changes[name]).strip()
                changes[name] = 0 if raw == "0" else parse_id(strawberry.ID(raw), camel_case(name))
        updated = await services.update_settings(info.context.uow(), info.context.viewer, changes,
                                                 info.context.container.now())
        return ProgramSettingsPayload(settings=ProgramSettings.from_domain(updated))
