"""The member price quote: the tier's member price and the member's best coupon under the stacking
rules, computed the same way for the POS and the mini-program.

Money is integer fen. Rounding: the member price is taken per line and rounded down to the fen
(`amount * pct // 100`), so a discount is never more than its percentage; the coupon's discount is
what `domain.offers.rules.discount_for` gives (percent coupons also round down), computed on the
member prices when the coupon kind combines with the member price, on list prices when it does not.

The best quote is the largest total discount among: no discount; the member price alone; each
valid coupon alone (on list prices); each combining coupon on top of the member price. Ties go to
the option that uses no coupon, then the one keeping the member price, then the coupon that
expires first, then the lowest coupon id, so every caller gets the same answer."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from domain.entitlements.model import Grant
from domain.offers.model import Coupon, CouponKind, CouponTemplate
from domain.offers.rules import discount_for
from domain.points.rules import LineItem


@dataclass(frozen=True)
class PricedLine:
    category: str
    amount_cents: int
    member_discount_cents: int


@dataclass(frozen=True)
class Quote:
    lines: list[PricedLine]  # member discounts as applied (all 0 when the member price is not used)
    list_cents: int
    member_price_applied: bool
    member_discount_cents: int
    coupon: Coupon | None
    coupon_template: CouponTemplate | None
    coupon_discount_cents: int

    @property
    def total_discount_cents(self) -> int:
        return self.member_discount_cents + self.coupon_discount_cents

    @property
    def payable_cents(self) -> int:
        return self.list_cents - self.total_discount_cents


def member_discounts(lines: list[LineItem], grants: Iterable[Grant]) -> list[int]:
    """Per line, the best member-price percentage that covers its category, rounded down to the fen."""
    prices = [g for g in grants if g.discount_pct is not None]
    out = []
    for line in lines:
        pct = max((g.discount_pct or 0 for g in prices if not g.categories or line.category in g.categories),
                  default=0)
        out.append(line.amount_cents * pct // 100)
    return out


@dataclass(frozen=True)
class _Option:
    member: bool
    coupon: tuple[Coupon, CouponTemplate] | None
    coupon_cents: int


def best_quote(lines: list[LineItem], store_id: str, grants: Iterable[Grant],
               coupons: list[tuple[Coupon, CouponTemplate]],
               combines_with_member_price: Callable[[CouponKind], bool]) -> Quote:
    """`coupons`: the member's coupons usable now (status and dates checked by the caller)."""
    cuts = member_discounts(lines, grants)
    member_cents = sum(cuts)
    discounted = [LineItem(line.category, line.amount_cents - cut, line.sku) for line, cut in zip(lines, cuts,
                                                                                                    strict=True)]
    options = [_Option(False, None, 0)]
    if member_cents:
        options.append(_Option(True, None, 0))
    for coupon, template in coupons:
        alone = discount_for(template, store_id, lines)
        if alone.applies:
            options.append(_Option(False, (coupon, template), alone.discount_cents))
        if member_cents and combines_with_member_price(template.kind):
            stacked = discount_for(template, store_id, discounted)
            if stacked.applies:
                options.append(_Option(True, (coupon, template), stacked.discount_cents))

    def rank(o: _Option) -> tuple[int, bool, bool, float, int]:
        coupon = o.coupon[0] if o.coupon else None
        total = (member_cents if o.member else 0) + o.coupon_cents
        return (-total, coupon is not None, not o.member, coupon.valid_until.timestamp() if coupon else 0.0,
                coupon.id if coupon else 0)

    best = min(options, key=rank)
    applied = cuts if best.member else [0] * len(lines)
    return Quote(
        lines=[PricedLine(line.category, line.amount_cents, cut) for line, cut in zip(lines, applied, strict=True)],
        list_cents=sum(line.amount_cents for line in lines), member_price_applied=best.member,
        member_discount_cents=member_cents if best.member else 0,
        coupon=best.coupon[0] if best.coupon else None, coupon_template=best.coupon[1] if best.coupon else None,
        coupon_discount_cents=best.coupon_cents)
