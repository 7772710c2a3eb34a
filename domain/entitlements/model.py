"""Tier perks as entitlements: kinds of perk (parking hours, lounge visits, gift wrapping), what
each tier grants of them per period, and each use at a store."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class EntitlementPeriod(StrEnum):
    """The span a quota is counted over, in the program's time zone."""

    DAY = "DAY"
    WEEK = "WEEK"  # Monday to Sunday
    MONTH = "MONTH"
    YEAR = "YEAR"


@dataclass(frozen=True)
class EntitlementKind:
    """A perk staff can grant. Names and units are member-facing, so both languages are stored."""

    id: int
    code: str
    name_zh: str
    name_en: str
    unit_zh: str
    unit_en: str
    active: bool = True


@dataclass(frozen=True)
class Grant:
    """What one tier gets of one kind: `quota` per `period`, or unlimited (both None). A member
    price is a grant with `discount_pct` (percent off lines of `categories`, empty: every category);
    it applies through the price quote, has no quota and is not used at a store."""

    tier_id: int
    kind_id: int
    quota: int | None
    period: EntitlementPeriod | None
    discount_pct: int | None = None
    categories: tuple[str, ...] = field(default_factory=tuple)

    @property
    def is_member_price(self) -> bool:
        return self.discount_pct is not None

    @property
    def unlimited(self) -> bool:
        return self.quota is None


@dataclass(frozen=True)
class EntitlementStatus:
    """One perk as the member has it now."""

    kind: EntitlementKind
    grant: Grant
    used: int  # in the current period (0 for unlimited perks)
    period_start: datetime | None
    resets_at: datetime | None  # start of the next period; None for unlimited perks

    @property
    def remaining(self) -> int | None:
        return None if self.grant.quota is None else max(0, self.grant.quota - self.used)


@dataclass(frozen=True)
class EntitlementUse:
    id: int
    member_id: int
    kind_id: int
    tier_id: int
    quantity: int
    store_id: str
    staff_id: int
    period_start: datetime | None
    idempotency_key: str
    used_at: datetime
