"""Points as payment at the POS: quote, authorize (hold), capture, release."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from domain.payments import services
from domain.payments.model import Hold, HoldStatus, Quote, QuoteLimit
from domain.points.rules import LineItem
from schema.enums import register_enum
from schema.info import Info
from schema.points import LineItemInput
from schema.refs import MemberRefInput

# Registered in place (strawberry.enum returns the class itself), so type checkers see a plain enum.
register_enum(HoldStatus, "PointsPaymentStatus", "Where a points payment on an order stands.", {
    "HELD": "Authorized: the points are reserved for this order (not spendable elsewhere) until captured, "
            "released or the hold times out.",
    "CAPTURED": "Paid: the points left the member's balance (a ledger entry, source PAYMENT).",
    "RELEASED": "Released by the POS: the points are spendable again.",
    "EXPIRED": "Not captured in time (the setting `paymentHoldMinutes`): the points are spendable again.",
})
register_enum(QuoteLimit, "PointsPaymentLimit", "Why points cannot pay an order at all.", {
    "PAYMENT_OFF": "The program does not take points as payment (`paymentPointsPerYuan` is 0).",
    "BELOW_MINIMUM_ORDER": "The order is below `paymentMinOrderCents`.",
    "NO_ELIGIBLE_ITEMS": "Every line is in an excluded category (or the share cap leaves less than one step).",
    "NOT_ENOUGH_POINTS": "The member's spendable points, less `paymentMinBalanceLeft`, do not pay one step.",
})
PointsPaymentStatus = HoldStatus
PointsPaymentLimit = QuoteLimit


@strawberry.input(description="An order to pay partly with points: the member (staff only) and its lines.")
class QuotePointsPaymentInput:
    member: MemberRefInput | None = strawberry.field(
        default=None, description="Staff (the POS): the member who pays. Members leave it out (they quote for "
                                  "themselves).")
    amount_cents: int = strawberry.field(description="The order total in cents (1/100 yuan); positive.")
    items: list[LineItemInput] = strawberry.field(description="The order's lines (1 to 200), adding up to "
                                                              "`amountCents`; excluded categories are not paid with "
                                                              "points.")


@strawberry.type(description="How many points a member may use on an order now, and what they pay. A read: "
                             "nothing is reserved until `authorizePointsPayment`.")
class PointsPaymentQuote:
    max_points: int = strawberry.field(description="The most whole points this member may pay this order with "
                                                   "(0 when `blockedBy` is set).")
    covers_cents: int = strawberry.field(description="What `maxPoints` pay, in cents.")
    eligible_cents: int = strawberry.field(description="The order less lines in excluded categories, in cents.")
    limit_cents: int = strawberry.field(description="The most points may pay by the program's rules (share cap "
                                                    "and eligible lines), in cents, whatever the member's balance.")
    usable_points: int = strawberry.field(description="The member's spendable points (held points excluded) less "
                                                      "the minimum balance they must keep.")
    points_per_yuan: int = strawberry.field(description="What a point is worth: this many points pay ¥1.")
    step_cents: int = strawberry.field(description="Points pay whole multiples of this many cents (1 when 100 "
                                                   "points = ¥1; 100 when 1 point = ¥1).")
    blocked_by: PointsPaymentLimit | None = strawberry.field(description="Why points cannot pay this order; null "
                                                                         "when they can.")

    @classmethod
    def from_domain(cls, q: Quote) -> PointsPaymentQuote:
        return cls(max_points=q.max_points, covers_cents=q.covers_cents, eligible_cents=q.eligible_cents,
                   limit_cents=q.limit_cents, usable_points=q.usable_points, points_per_yuan=q.points_per_yuan,
                   step_cents=q.step_cents, blocked_by=q.blocked_by)


@strawberry.input(description="Reserve points to pay (part of) an order at a store.")
class AuthorizePointsPaymentInput:
    member: MemberRefInput = strawberry.field(description="The member who pays (exactly one way of naming them).")
    store_id: str = strawberry.field(description="The store (1-64 letters, digits or . _ : -).")
    order_id: str = strawberry.field(description="The order's id at the store (1-64 letters, digits or . _ : -); "
                                                 "one points payment per order.")
    amount_cents: int = strawberry.field(description="The order total in cents (1/100 yuan); positive.")
    items: list[LineItemInput] = strawberry.field(description="The order's lines (1 to 200), adding up to "
                                                              "`amountCents`.")
    points: int | None = strawberry.field(default=None, description="Whole points to pay with; at most the quote's "
                                                                    "`maxPoints`, paying whole cents. Null: "
                                                                    "`maxPoints`.")
    idempotency_key: str = strawberry.field(description="A key the POS chooses per attempt (1-100 letters, digits "
                                                        "or . _ : / -); retrying with it replays the first result.")


@strawberry.type(description="Points paying (part of) one order: reserved, then captured or released.")
class PointsPayment:
    store_id: str = strawberry.field(description="The store of the order.")
    order_id: str = strawberry.field(description="The order's id at the store.")
    points: int = strawberry.field(description="Whole points reserved (and, once captured, paid).")
    covers_cents: int = strawberry.field(description="What those points pay, in cents.")
    order_cents: int = strawberry.field(description="The order total, in cents.")
    status: PointsPaymentStatus = strawberry.field(description="Where the payment stands now.")
    points_refunded: int = strawberry.field(description="Whole points returned by refunds of the order so far.")
    expires_at: datetime = strawberry.field(description="When an uncaptured hold times out (UTC).")
    created_at: datetime = strawberry.field(description="When the points were authorized (UTC).")

    @classmethod
    def from_domain(cls, h: Hold, now: datetime) -> PointsPayment:
        return cls(store_id=h.store_id, order_id=h.order_id, points=h.points, covers_cents=h.covers_cents,
                   order_cents=h.order_cents, status=h.status_at(now), points_refunded=h.points_refunded,
                   expires_at=h.expires_at, created_at=h.created_at)


@strawberry.type(description="The result of a points-payment mutation.")
class PointsPaymentPayload:
    payment: PointsPayment = strawberry.field(description="The order's points payment after the call.")


def _items(items: list[LineItemInput]) -> list[LineItem]:
    return [LineItem(i.category, i.amount_cents, i.sku) for i in items]


@strawberry.type
class PaymentQueries:
    @strawberry.field(description="Staff (the POS) for a named member, or a member for themself: how many points "
                                  "may pay this order now. Errors: UNAUTHENTICATED, FORBIDDEN, BAD_USER_INPUT, "
                                  "NOT_FOUND (no such member).")
    async def quote_points_payment(
        self, info: Info,
        input: Annotated[QuotePointsPaymentInput, strawberry.argument(description="The order.")],
    ) -> PointsPaymentQuote:
        cmd = services.QuotePayment(input.member.to_domain() if input.member else None, input.amount_cents,
                                    _items(input.items))
        return PointsPaymentQuote.from_domain(await services.quote_points_payment(cmd, info.context.deps()))


@strawberry.type
class PaymentMutations:
    @strawberry.mutation(description="Staff (the POS): reserve the member's oldest spendable points for an order "
                                     "(nothing else can spend them) until captured, released or timed out. "
                                     "Errors: UNAUTHENTICATED, FORBIDDEN, BAD_USER_INPUT (the payment rules), "
                                     "INSUFFICIENT_POINTS, NOT_FOUND, CONFLICT (the order already has a points "
                                     "payment), IDEMPOTENCY_CONFLICT.")
    async def authorize_points_payment(
        self, info: Info,
        input: Annotated[AuthorizePointsPaymentInput, strawberry.argument(description="The order and the points.")],
    ) -> PointsPaymentPayload:
        hold = await services.authorize_points_payment(services.AuthorizePayment(
            input.member.to_domain(), input.store_id, input.order_id, input.amount_cents, _items(input.items),
            input.points, input.idempotency_key), info.context.deps())
        return PointsPaymentPayload(payment=PointsPayment.from_domain(hold, info.context.container.now()))

    @strawberry.mutation(description="Staff (the POS): pay the order with the held points (a ledger debit); "
                                     "repeating it answers the same. Errors: UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, "
                                     "POINTS_PAYMENT_NOT_OPEN (released or expired).")
    async def capture_points_payment(
        self, info: Info,
        store_id: Annotated[str, strawberry.argument(description="The store of the order.")],
        order_id: Annotated[str, strawberry.argument(description="The order's id at the store.")],
    ) -> PointsPaymentPayload:
        hold = await services.capture_points_payment(services.PaymentRef(store_id, order_id), info.context.deps())
        return PointsPaymentPayload(payment=PointsPayment.from_domain(hold, info.context.container.now()))

    @strawberry.mutation(description="Staff (the POS): give the held points back (order paid otherwise or "
                                     "cancelled); repeating it answers the same. Errors: UNAUTHENTICATED, "
                                     "FORBIDDEN, NOT_FOUND, POINTS_PAYMENT_NOT_OPEN (captured: refund instead).")
    async def release_points_payment(
        self, info: Info,
        store_id: Annotated[str, strawberry.argument(description="The store of the order.")],
        order_id: Annotated[str, strawberry.argument(description="The order's id at the store.")],
    ) -> PointsPaymentPayload:
        hold = await services.release_points_payment(services.PaymentRef(store_id, order_id), info.context.deps())
        return PointsPaymentPayload(payment=PointsPayment.from_domain(hold, info.context.container.now()))
