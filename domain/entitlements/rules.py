"""Validation of kinds and grants, and what the next tier adds."""

from __future__ import annotations

import re
from collections.abc import Iterable

from domain.entitlements.model import EntitlementKind, EntitlementPeriod, Grant
from domain.errors import BadUserInput, FieldError

_CODE = re.compile(r"[A-Z][A-Z0-9_]{0,29}")
STORE_ID = re.compile(r"[A-Za-z0-9_.:\-]{1,64}")  # the same spelling purchases accept
MAX_QUOTA = 1_000_000
MAX_USE_QUANTITY = 1_000
MAX_GRANTS = 50
MAX_DISCOUNT_PCT = 50
MAX_CATEGORIES = 50


def validate_kind(kind: EntitlementKind) -> EntitlementKind:
    errors: list[FieldError] = []
    if not _CODE.fullmatch(kind.code):
        errors.append(FieldError("code", "A code is 1 to 30 upper-case letters, digits or _, starting with a letter."))
    for field, value, limit in (("nameZh", kind.name_zh, 40), ("nameEn", kind.name_en, 60),
                                ("unitZh", kind.unit_zh, 10), ("unitEn", kind.unit_en, 20)):
        if not value.strip() or len(value) > limit:
            errors.append(FieldError(field, f"1 to {limit} characters."))
    if errors:
        raise BadUserInput("The entitlement kind is invalid.", errors)
    return kind


def validate_grants(grants: list[Grant]) -> list[Grant]:
    """`grants[i]` answers as `grants.<i>.quota` / `.period`; one kind at most once per tier."""
    errors: list[FieldError] = []
    if len(grants) > MAX_GRANTS:
        errors.append(FieldError("grants", f"At most {MAX_GRANTS} entitlements per tier."))
    seen: set[int] = set()
    for i, g in enumerate(grants):
        if g.kind_id in seen:
            errors.append(FieldError(f"grants.{i}.kindCode", "Each kind at most once per tier."))
        seen.add(g.kind_id)
        if g.quota is None and g.period is not None:
            errors.append(FieldError(f"grants.{i}.period", "An unlimited entitlement (no quota) has no period."))
        if g.quota is not None and g.period is None:
            errors.append(FieldError(f"grants.{i}.period", "A quota needs the period it is counted over."))
        if g.quota is not None and not 1 <= g.quota <= MAX_QUOTA:
            errors.append(FieldError(f"grants.{i}.quota", f"A quota is 1 to {MAX_QUOTA}; null for unlimited."))
        if g.discount_pct is not None and not 1 <= g.discount_pct <= MAX_DISCOUNT_PCT:
            errors.append(FieldError(f"grants.{i}.discountPct", f"A member price is 1 to {MAX_DISCOUNT_PCT}% off."))
        if g.discount_pct is not None and g.quota is not None:
            errors.append(FieldError(f"grants.{i}.quota", "A member price has no quota."))
        if g.categories and g.discount_pct is None:
            errors.append(FieldError(f"grants.{i}.categories", "Categories belong to a member price (discountPct)."))
        if len(g.categories) > MAX_CATEGORIES or not all(0 < len(c.strip()) <= 40 for c in g.categories):
            errors.append(FieldError(f"grants.{i}.categories", f"At most {MAX_CATEGORIES} categories of 1 to 40 "
                                                               "characters."))
    if errors:
        raise BadUserInput("The tier's entitlements are invalid.", errors)
    return grants


_LENGTH = {EntitlementPeriod.DAY: 1, EntitlementPeriod.WEEK: 7, EntitlementPeriod.MONTH: 30,
           EntitlementPeriod.YEAR: 365}


def _better(upcoming: Grant, held: Grant | None) -> bool:
    """Whether `upcoming` gives more than `held`. Quotas over different periods compare by their
    average daily allowance (an approximation only used to decide what to show)."""
    if held is None:
        return True
    if upcoming.is_member_price or held.is_member_price:
        if not (upcoming.is_member_price and held.is_member_price):
            return upcoming.is_member_price
        wider = bool(held.categories) and (not upcoming.categories
                                           or not set(upcoming.categories) <= set(held.categories))
        return (upcoming.discount_pct or 0) > (held.discount_pct or 0) or wider
    if upcoming.quota is None:
        return held.quota is not None
    if held.quota is None:
        return False
    assert upcoming.period is not None and held.period is not None
    return upcoming.quota * _LENGTH[held.period] > held.quota * _LENGTH[upcoming.period]


def next_tier_adds(current: Iterable[Grant], upcoming: Iterable[Grant]) -> list[Grant]:
    """The next tier's grants that are new or more generous than what the member holds now."""
    held = {g.kind_id: g for g in current}
    return [g for g in upcoming if _better(g, held.get(g.kind_id))]
