"""Earning rules are data configured by staff; this module is how they turn into points."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from domain.errors import BadUserInput, FieldError


class RuleKind(StrEnum):
    BASE_RATE = "BASE_RATE"  # points per 100 cents of purchase
    CATEGORY = "CATEGORY"  # multiplier for one product category
    CAMPAIGN = "CAMPAIGN"  # multiplier on chosen weekdays / days of month / date range
    ACTIVITY = "ACTIVITY"  # fixed points for an activity (check-in, referral...), with a daily cap


class Activity(StrEnum):
    PURCHASE = "PURCHASE"
    CHECK_IN = "CHECK_IN"
    REFERRAL = "REFERRAL"
    BIRTHDAY = "BIRTHDAY"
    COMMUNITY_POST = "COMMUNITY_POST"
    COMMUNITY_LIKE_RECEIVED = "COMMUNITY_LIKE_RECEIVED"
    EVENT_ATTENDANCE = "EVENT_ATTENDANCE"
    SURVEY = "SURVEY"


@dataclass(frozen=True)
class EarningRule:
    id: int
    kind: RuleKind
    name: str
    active: bool = True
    points_per_100_cents: int = 0
    category: str | None = None
    multiplier_pct: int = 100
    activity: Activity | None = None
    points: int = 0
    cap: int | None = None  # per order for CATEGORY/CAMPAIGN, per day for ACTIVITY
    weekdays: tuple[int, ...] = ()  # 1 = Monday … 7 = Sunday
    month_days: tuple[int, ...] = ()
    starts_on: date | None = None
    ends_on: date | None = None

    def runs_on(self, day: date) -> bool:
        if not self.active:
            return False
        if (self.starts_on and day < self.starts_on) or (self.ends_on and day > self.ends_on):
            return False
        if self.weekdays and day.isoweekday() not in self.weekdays:
            return False
        return not (self.month_days and day.day not in self.month_days)


def validate_rule(rule: EarningRule) -> EarningRule:
    errors: list[FieldError] = []
    if not rule.name.strip() or len(rule.name) > 60:
        errors.append(FieldError("name", "Give the rule a name of up to 60 characters."))
    if rule.kind is RuleKind.BASE_RATE and not 0 < rule.points_per_100_cents <= 1000:
        errors.append(FieldError("pointsPer100Cents", "Base rate is 1 to 1000 points per 100 cents."))
    if rule.kind in (RuleKind.CATEGORY, RuleKind.CAMPAIGN) and not 0 <= rule.multiplier_pct <= 1000:
        errors.append(FieldError("multiplierPct", "Multiplier is 0% to 1000%."))
    if rule.kind is RuleKind.CATEGORY and not (rule.category or "").strip():
        errors.append(FieldError("category", "A category rule names its category."))
    if rule.kind is RuleKind.ACTIVITY:
        if rule.activity is None or rule.activity is Activity.PURCHASE:
            errors.append(FieldError("activity", "An activity rule names a non-purchase activity."))
        if not 0 < rule.points <= 100_000:
            errors.append(FieldError("points", "Activity points are 1 to 100000."))
    if rule.cap is not None and rule.cap <= 0:
        errors.append(FieldError("cap", "A cap is a positive number of points."))
    if any(d not in range(1, 8) for d in rule.weekdays):
        errors.append(FieldError("weekdays", "Weekdays are 1 (Monday) to 7 (Sunday)."))
    if any(d not in range(1, 32) for d in rule.month_days):
        errors.append(FieldError("monthDays", "Days of the month are 1 to 31."))
    if rule.starts_on and rule.ends_on and rule.starts_on > rule.ends_on:
        errors.append(FieldError("endsOn", "The rule ends before it starts."))
    if errors:
        raise BadUserInput("The earning rule is invalid.", errors)
    return rule


@dataclass(frozen=True)
class LineItem:
    category: str
    amount_cents: int  # the whole line, not the unit price
    sku: str | None = None
    quantity: int = 1  # units on the line; items per order (连带销售系数) adds these up


@dataclass(frozen=True)
class PurchasePoints:
    points: int
    base: int
    breakdown: list[dict[str, object]] = field(default_factory=list)


def purchase_points(
    items: list[LineItem], rules: list[EarningRule], tier_multiplier_pct: int, day: date
) -> PurchasePoints:
    """base rate * category rule * tier multiplier, per category, rounded down and capped;
    then each campaign running that day multiplies the running total, its extra capped."""
    base_rule = next((r for r in rules if r.kind is RuleKind.BASE_RATE and r.active), None)
    if base_rule is None:
        return PurchasePoints(0, 0, [{"rule": "none", "note": "no active base rate"}])
    by_category: dict[str, int] = defaultdict(int)
    for item in items:
        by_category[item.category] += item.amount_cents
    category_rules = {r.category: r for r in rules if r.kind is RuleKind.CATEGORY and r.active}
    breakdown: list[dict[str, object]] = []
    base = 0
    for category, cents in sorted(by_category.items()):
        rule = category_rules.get(category)
        pct = rule.multiplier_pct if rule else 100
        points = cents * base_rule.points_per_100_cents * pct * tier_multiplier_pct // (100 * 100 * 100)
        if rule and rule.cap is not None:
            points = min(points, rule.cap)
        base += points
        breakdown.append({"category": category, "cents": cents, "categoryPct": pct, "points": points})
    total = base
    for campaign in sorted((r for r in rules if r.kind is RuleKind.CAMPAIGN and r.runs_on(day)), key=lambda r: r.id):
        extra = total * campaign.multiplier_pct // 100 - total
        if campaign.cap is not None:
            extra = min(extra, campaign.cap)
        total += extra
        breakdown.append({"campaign": campaign.name, "multiplierPct": campaign.multiplier_pct, "extra": extra})
    return PurchasePoints(max(total, 0), base, breakdown)


def capped(rules: list[EarningRule], activity: Activity, day: date) -> bool:
    """Whether the activity's rule running that day has a daily cap (else what was earned today
    does not matter, and nobody needs to sum it)."""
    rule = next((r for r in rules if r.kind is RuleKind.ACTIVITY and r.activity is activity and r.runs_on(day)),
                None)
    return rule is not None and rule.cap is not None


def activity_points(rules: list[EarningRule], activity: Activity, day: date, earned_today: int,
                    points: int | None = None) -> int:
    """Points for one occurrence of an activity, limited by what is left of its daily cap.
    `points` is an amount the occurrence names itself (a survey's own reward): it replaces the
    rule's amount and is paid without a rule, but a rule running that day still caps it."""
    rule = next((r for r in rules if r.kind is RuleKind.ACTIVITY and r.activity is activity and r.runs_on(day)),
                None)
    amount = points if points is not None else (rule.points if rule else 0)
    if rule is None or rule.cap is None:
        return amount
    return max(0, min(amount, rule.cap - earned_today))
