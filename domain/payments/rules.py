"""The arithmetic of paying with points, in integers: points per ¥1 (100 cents) is the program's
rate, and points only ever pay a whole number of cents worth a whole number of points.

With 100 points = ¥1 a point pays 1 cent; with 1 point = ¥1 points pay whole yuan (a step of 100
cents), never ¥0.50 for "half a point". So the cents points cover are a multiple of
`100 / gcd(rate, 100)`, and the points charged are exactly `cents * rate / 100`: no rounding.
"""

from __future__ import annotations

from collections.abc import Iterable
from math import gcd

from domain.payments.model import Quote, QuoteLimit
from domain.points.rules import LineItem
from domain.program.settings import ProgramSettings


def step_cents(points_per_yuan: int) -> int:
    return 100 // gcd(points_per_yuan, 100) if points_per_yuan else 0


def points_for(cents: int, points_per_yuan: int) -> int:
    """Exact for a multiple of step_cents."""
    return cents * points_per_yuan // 100


def cents_for(points: int, points_per_yuan: int) -> int:
    return points * 100 // points_per_yuan


def quote(order_cents: int, items: Iterable[LineItem], settings: ProgramSettings, spendable_points: int) -> Quote:
    """How many points may pay this order: the least of the share cap (basis points of the order),
    the lines not in an excluded category, and the member's spendable points less the minimum
    balance to keep; rounded down to a whole step."""
    rate = settings.payment_points_per_yuan
    step = step_cents(rate)
    excluded = set(settings.payment_excluded_categories)
    eligible = sum(i.amount_cents for i in items if i.category.strip() not in excluded)
    limit = min(eligible, order_cents * settings.payment_max_share_bp // 10_000)
    usable = max(0, spendable_points - settings.payment_min_balance_left)
    blocked: QuoteLimit | None = None
    if rate == 0:
        blocked = QuoteLimit.PAYMENT_OFF
    elif order_cents < settings.payment_min_order_cents:
        blocked = QuoteLimit.BELOW_MINIMUM_ORDER
    elif limit // step == 0:
        blocked = QuoteLimit.NO_ELIGIBLE_ITEMS
    covers = 0
    if blocked is None:
        covers = min(limit, cents_for(usable, rate)) // step * step
        if covers == 0:
            blocked = QuoteLimit.NOT_ENOUGH_POINTS
    limit_cents = limit // step * step if step else 0
    return Quote(order_cents, eligible, limit_cents, usable, points_for(covers, rate), covers, rate, step, blocked)
