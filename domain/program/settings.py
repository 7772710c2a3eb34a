"""Program-wide settings operators can change at run time (stored as data, not code)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

from domain.errors import BadUserInput, FieldError
from domain.naming import camel_case


@dataclass(frozen=True)
class ProgramSettings:
    return_window_days: int = 7
    points_expiry_months: int = 12
    # Expiry policy (domain/points/expiry_policy.py): 0 rolling months, 1 a fixed day of the next year,
    # 2 the end of the Nth quarter after earning. Lots keep the expiry stamped when credited.
    points_expiry_policy: int = 0
    points_expiry_month: int = 3
    points_expiry_day: int = 31
    points_expiry_quarters: int = 4
    expiring_soon_days: int = 30
    gift_daily_limit_points: int = 5_000
    gift_min_tier_rank: int = 0
    tier_window_months: int = 12
    tier_grace_months: int = 12
    tier_calendar_year: int = 0  # 1: tiers qualify on the calendar year so far (program time zone), not rolling months
    tier_downgrade_one_step: int = 0  # 1: a review moves down one tier at a time; 0: to the tier qualified for
    welcome_coupon_template_id: int = 0  # 0: none
    birthday_coupon_template_id: int = 0
    upgrade_coupon_template_id: int = 0
    birthday_whole_month: int = 1  # 1: any day of the birthday month; 0: the day itself
    checkin_cycle_days: int = 7  # every Nth consecutive day pays the bonus
    checkin_bonus_points: int = 50
    makeup_checkins_per_month: int = 0  # 0: make-ups are off
    makeup_cost_points: int = 20
    referral_min_purchase_cents: int = 0
    referral_referrer_points: int = 200
    referral_referee_points: int = 100
    # Lifecycle stages (compute-segments): NEW while joined within lifecycle_new_days; ACTIVE while
    # the last purchase is within lifecycle_active_days; DORMANT up to lifecycle_dormant_days; then CHURNED.
    lifecycle_new_days: int = 30
    lifecycle_active_days: int = 90
    lifecycle_dormant_days: int = 180
    # RFM windows in days (compute-segments scores each; segments name one). Ascending, distinct.
    rfm_windows: tuple[int, ...] = (7, 30, 90, 365)
    # Points as payment (domain/payments): what a point is worth (points per ¥1; 0 turns paying with
    # points off), the most of an order points may pay (basis points of the order), the smallest
    # order they may pay, points a member must keep, minutes an authorization holds points, and line
    # item categories points never pay for.
    payment_points_per_yuan: int = 100
    payment_max_share_bp: int = 5000
    payment_min_order_cents: int = 0
    payment_min_balance_left: int = 0
    payment_hold_minutes: int = 15
    payment_excluded_categories: tuple[str, ...] = ()
    # What 100 points are worth to the program, in cents (100: a point is one fen), for the points
    # liability in the operator KPIs.
    point_value_cents_per_100_points: int = 100

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> ProgramSettings:
        known = {f.name for f in fields(cls)}
        values = {k: tuple(int(x) for x in v) if k in _LISTS  # type: ignore[attr-defined]
                  else tuple(str(x) for x in v) if k in _TEXT_LISTS  # type: ignore[attr-defined]
                  else int(v)  # type: ignore[call-overload]
                  for k, v in data.items() if k in known}
        return cls(**values)  # type: ignore[arg-type]

    def validated(self) -> ProgramSettings:
        limits = {
            "return_window_days": (0, 90), "points_expiry_months": (1, 120), "expiring_soon_days": (1, 365),
            "points_expiry_policy": (0, 2), "points_expiry_month": (1, 12), "points_expiry_day": (1, 31),
            "points_expiry_quarters": (1, 12),
            "gift_daily_limit_points": (0, 10_000_000), "gift_min_tier_rank": (0, 100),
            "tier_window_months": (1, 36), "tier_grace_months": (0, 36),
            "tier_calendar_year": (0, 1), "tier_downgrade_one_step": (0, 1),
            "welcome_coupon_template_id": (0, 2**62), "birthday_coupon_template_id": (0, 2**62),
            "upgrade_coupon_template_id": (0, 2**62), "birthday_whole_month": (0, 1),
            "checkin_cycle_days": (0, 31), "checkin_bonus_points": (0, 100_000),
            "makeup_checkins_per_month": (0, 31), "makeup_cost_points": (0, 100_000),
            "referral_min_purchase_cents": (0, 100_000_000), "referral_referrer_points": (0, 100_000),
            "referral_referee_points": (0, 100_000),
            "point_value_cents_per_100_points": (0, 100_000),
            "lifecycle_new_days": (1, 365), "lifecycle_active_days": (1, 730), "lifecycle_dormant_days": (2, 1460),
            "payment_points_per_yuan": (0, 10_000), "payment_max_share_bp": (0, 10_000),
            "payment_min_order_cents": (0, 100_000_000), "payment_min_balance_left": (0, 10_000_000),
            "payment_hold_minutes": (1, 1440),
        }
        errors = [
            FieldError(camel_case(name), f"{camel_case(name)} must be between {low} and {high}.")
            for name, (low, high) in limits.items()
            if not low <= getattr(self, name) <= high
        ]
        # A fixed expiry day must exist every year (so 29 February is refused).
        if not errors and self.points_expiry_day > _DAYS_IN_MONTH[self.points_expiry_month]:
            errors.append(FieldError("pointsExpiryDay", f"pointsExpiryDay must exist in month "
                                                        f"{self.points_expiry_month} every year."))
        if not errors and self.lifecycle_dormant_days <= self.lifecycle_active_days:
            errors.append(FieldError("lifecycleDormantDays",
                                     "lifecycleDormantDays must be more than lifecycleActiveDays."))
        windows = tuple(self.rfm_windows)
        if not 1 <= len(windows) <= MAX_RFM_WINDOWS or len(set(windows)) != len(windows) or not all(
                1 <= w <= MAX_RFM_WINDOW_DAYS for w in windows):
            errors.append(FieldError("rfmWindows", f"Give 1 to {MAX_RFM_WINDOWS} different windows of 1 to "
                                                   f"{MAX_RFM_WINDOW_DAYS} days."))
        categories = tuple(sorted({c.strip() for c in self.payment_excluded_categories}))
        if len(categories) > MAX_EXCLUDED_CATEGORIES or not all(0 < len(c) <= 40 for c in categories):
            errors.append(FieldError("paymentExcludedCategories",
                                     f"Give at most {MAX_EXCLUDED_CATEGORIES} categories of 1 to 40 characters."))
        if errors:
            raise BadUserInput("Program settings are invalid.", errors)
        ordered = tuple(sorted(windows))
        if self.rfm_windows == ordered and self.payment_excluded_categories == categories:
            return self
        return replace(self, rfm_windows=ordered, payment_excluded_categories=categories)


_DAYS_IN_MONTH = {1: 31, 2: 28, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30, 12: 31}
MAX_RFM_WINDOWS = 6
MAX_RFM_WINDOW_DAYS = 730
MAX_EXCLUDED_CATEGORIES = 50
_LISTS = {"rfm_windows"}
_TEXT_LISTS = {"payment_excluded_categories"}
