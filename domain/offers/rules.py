"""How much a coupon takes off an order, and when a template's coupons are valid."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.errors import BadUserInput, FieldError
from domain.offers.model import CouponKind, CouponTemplate
from domain.points.rules import LineItem

FOREVER = timedelta(days=3650)


@dataclass(frozen=True)
class Discount:
    applies: bool
    discount_cents: int
    reason: str = ""


def discount_for(template: CouponTemplate, store_id: str, items: list[LineItem]) -> Discount:
    if template.stores and store_id not in template.stores:
        return Discount(False, 0, "This coupon is not valid in this store.")
    eligible = [i for i in items if not template.categories or i.category in template.categories]
    eligible_cents = sum(i.amount_cents for i in eligible)
    if not eligible:
        return Discount(False, 0, "Nothing in this order is eligible.")
    if eligible_cents < template.min_spend_cents:
        return Discount(False, 0, f"Spend at least {template.min_spend_cents} cents on eligible items.")
    if template.kind is CouponKind.CASH_OFF or template.kind is CouponKind.SPEND_AND_SAVE:
        off = template.value_cents
    elif template.kind is CouponKind.PERCENT_OFF:
        off = eligible_cents * template.percent // 100
        if template.cap_cents is not None:
            off = min(off, template.cap_cents)
    elif template.kind is CouponKind.BUY_ONE_GET_ONE:
        if len(eligible) < 2:
            return Discount(False, 0, "Buy two eligible items to get one free.")
        off = min(i.amount_cents for i in eligible)
    else:
        off = min(template.value_cents, max(i.amount_cents for i in eligible))
    return Discount(True, max(0, min(off, eligible_cents)))


def validity(template: CouponTemplate, issued_at: datetime) -> tuple[datetime, datetime]:
    start = max(template.valid_from or issued_at, issued_at)
    if template.valid_days is not None:
        end = issued_at + timedelta(days=template.valid_days)
        if template.valid_until is not None:
            end = min(end, template.valid_until)
    else:
        end = template.valid_until or issued_at + FOREVER
    return start, end


def validate_template(t: CouponTemplate) -> CouponTemplate:
    errors: list[FieldError] = []
    if not 0 < len(t.name.strip()) <= 80:
        errors.append(FieldError("name", "A coupon name is 1 to 80 characters."))
    if t.kind in (CouponKind.CASH_OFF, CouponKind.SPEND_AND_SAVE, CouponKind.FREE_ITEM) and t.value_cents <= 0:
        errors.append(FieldError("valueCents", "This kind of coupon needs a positive value in cents."))
    if t.kind is CouponKind.SPEND_AND_SAVE and t.min_spend_cents <= t.value_cents:
        errors.append(FieldError("minSpendCents", "Spend-and-save needs a threshold above the saving."))
    if t.kind is CouponKind.PERCENT_OFF and not 0 < t.percent < 100:
        errors.append(FieldError("percent", "Percent off is 1 to 99."))
    if t.min_spend_cents < 0 or (t.cap_cents is not None and t.cap_cents <= 0):
        errors.append(FieldError("capCents", "Caps and minimum spends are not negative."))
    if t.valid_days is not None and not 0 < t.valid_days <= 3650:
        errors.append(FieldError("validDays", "Valid for 1 to 3650 days."))
    if t.valid_days is None and t.valid_until is None:
        errors.append(FieldError("validUntil", "Give an end date or a number of days from issue."))
    if t.valid_from and t.valid_until and t.valid_from >= t.valid_until:
        errors.append(FieldError("validUntil", "The coupon ends before it starts."))
    if t.per_member_limit is not None and t.per_member_limit <= 0:
        errors.append(FieldError("perMemberLimit", "A limit is 1 or more."))
    if t.total_quantity is not None and t.total_quantity < 0:
        errors.append(FieldError("totalQuantity", "Quantity is 0 or more."))
    if len(t.categories) > 50 or len(t.stores) > 500:
        errors.append(FieldError("categories", "Too many categories or stores."))
    if errors:
        raise BadUserInput("The coupon template is invalid.", errors)
    return t


def _yuan(cents: int) -> str:
    return f"¥{cents // 100}" if cents % 100 == 0 else f"¥{cents / 100:.2f}"


def describe_terms(t: CouponTemplate) -> str:
    """One line a wallet can show under the coupon's name: what it takes off and where it applies."""
    if t.kind is CouponKind.CASH_OFF or t.kind is CouponKind.SPEND_AND_SAVE:
        what = f"{_yuan(t.value_cents)} off"
    elif t.kind is CouponKind.PERCENT_OFF:
        what = f"{t.percent}% off" + (f", at most {_yuan(t.cap_cents)}" if t.cap_cents is not None else "")
    elif t.kind is CouponKind.BUY_ONE_GET_ONE:
        what = "Buy two eligible items, the cheaper one is free"
    else:
        what = f"One eligible item free (up to {_yuan(t.value_cents)})"
    parts = [what]
    if t.min_spend_cents:
        parts.append(f"on eligible items of {_yuan(t.min_spend_cents)} or more")
    parts.append(f"for {', '.join(t.categories)} only" if t.categories else "on any category")
    if t.stores:
        parts.append(f"at stores {', '.join(t.stores)}")
    return "; ".join(parts) + ". One coupon per order."


def face_value_cents(t: CouponTemplate) -> int | None:
    """What the coupon takes off when that does not depend on the basket; None for percentages and free items."""
    if t.kind in (CouponKind.CASH_OFF, CouponKind.SPEND_AND_SAVE):
        return t.value_cents
    return None
