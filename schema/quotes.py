"""The member price quote (POS and mini-program) and the coupon stacking rules it follows."""

from __future__ import annotations

from typing import Annotated

import strawberry

from domain.entitlements import quotes
from domain.points.rules import LineItem
from schema.info import Info
from schema.offers import Coupon, CouponKind, coupon_view
from schema.refs import MemberRefInput
from schema.tiers import Tier


@strawberry.input(description="One line of an order to quote.")
class QuoteLineInput:
    category: str = strawberry.field(description="Product category (1 to 40 characters), as coupons and member "
                                                 "prices name them.")
    amount_cents: int = strawberry.field(description="The line's list price in fen (1/100 yuan); positive.")


@strawberry.input(description="An order to price for a member.")
class PriceQuoteInput:
    member: MemberRefInput | None = strawberry.field(default=None, description="Staff/POS: the member (exactly "
                                                                               "one way of naming them). Members "
                                                                               "leave it out.")
    store_id: str = strawberry.field(description="The store (1-64 letters, digits or . _ : -); coupons may be "
                                                 "limited to stores.")
    lines: list[QuoteLineInput] = strawberry.field(description="The order's lines, 1 to 200.")


@strawberry.type(description="One quoted line.")
class QuotedLine:
    category: str = strawberry.field(description="Product category.")
    amount_cents: int = strawberry.field(description="List price in fen.")
    member_discount_cents: int = strawberry.field(description="Member price discount on this line in fen, rounded "
                                                              "down (0 when the member price is not applied).")


@strawberry.type(description="What a member pays for an order: member price and best coupon, under the stacking "
                             "rules. The same answer for the POS and the mini-program.")
class PriceQuote:
    tier: Tier | None = strawberry.field(description="The member's tier the member price comes from.")
    lines: list[QuotedLine] = strawberry.field(description="The lines with their member discounts.")
    list_cents: int = strawberry.field(description="Sum of the list prices in fen.")
    member_price_applied: bool = strawberry.field(description="Whether the tier's member price is part of the best "
                                                              "quote.")
    member_discount_cents: int = strawberry.field(description="Member price discount in fen.")
    coupon: Coupon | None = strawberry.field(description="The member's coupon the quote uses (redeem it with "
                                                         "`redeemCoupon`); null when none helps.")
    coupon_discount_cents: int = strawberry.field(description="The coupon's discount in fen.")
    total_discount_cents: int = strawberry.field(description="Member discount plus coupon discount, in fen.")
    payable_cents: int = strawberry.field(description="What the member pays, in fen.")


@strawberry.type(description="Whether a coupon kind combines with the member price on one order.")
class CouponStackingRule:
    kind: CouponKind = strawberry.field(description="The coupon kind.")
    with_member_price: bool = strawberry.field(description="True: the coupon applies on top of member prices; "
                                                           "false: the quote uses either the coupon or the member "
                                                           "price, whichever saves more.")


def _rules(found: dict) -> list[CouponStackingRule]:
    return [CouponStackingRule(kind=k, with_member_price=v) for k, v in found.items()]


@strawberry.type
class QuoteQueries:
    @strawberry.field(description="Member (own order) or staff/POS (a named member): price an order with the "
                                  "tier's member price and the best valid coupon under the stacking rules. Reads "
                                  "only. Errors: BAD_USER_INPUT (`lines.<i>.<field>`, `storeId`, `member`), "
                                  "NOT_FOUND (member).")
    async def price_quote(self, info: Info, input: Annotated[PriceQuoteInput, strawberry.argument(
            description="The member, store and lines.")]) -> PriceQuote:
        ctx = info.context
        found = await quotes.quote_order(quotes.QuoteOrder(
            input.member.to_domain() if input.member is not None else None, input.store_id,
            [LineItem(line.category, line.amount_cents) for line in input.lines]), ctx.deps())
        q = found.quote
        return PriceQuote(
            tier=Tier.from_domain(found.tier) if found.tier else None,
            lines=[QuotedLine(category=line.category, amount_cents=line.amount_cents,
                              member_discount_cents=line.member_discount_cents) for line in q.lines],
            list_cents=q.list_cents, member_price_applied=q.member_price_applied,
            member_discount_cents=q.member_discount_cents,
            coupon=await coupon_view(info, q.coupon) if q.coupon else None,
            coupon_discount_cents=q.coupon_discount_cents, total_discount_cents=q.total_discount_cents,
            payable_cents=q.payable_cents)

    @strawberry.field(description="Staff: which coupon kinds combine with the member price.")
    async def coupon_stacking(self, info: Info) -> list[CouponStackingRule]:
        return _rules(await quotes.coupon_stacking(info.context.deps()))


@strawberry.type
class QuoteMutations:
    @strawberry.mutation(description="Staff: set the coupon kinds that combine with the member price (the others "
                                      "do not). Audited.")
    async def set_coupon_stacking(self, info: Info, with_member_price: Annotated[list[CouponKind], strawberry.argument(
            description="Coupon kinds that apply on top of member prices.")]) -> list[CouponStackingRule]:
        return _rules(await quotes.set_coupon_stacking(list(with_member_price), info.context.deps()))
