"""Coupons as codes: batches of single-use codes (staff), claiming one into the wallet (member),
redeeming one at a till (staff/POS)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from domain.errors import BadUserInput
from domain.offers import code_batches
from domain.offers.codes import printed
from domain.offers.model import CodeBatch as DomainBatch
from domain.offers.model import CodeStatus as DomainCodeStatus
from domain.offers.services import CouponOrder
from schema.enums import register_enum
from schema.info import Info
from schema.offers import Coupon, CouponOrderInput, CouponPayload, _items, coupon_view
from schema.refs import parse_id

register_enum(DomainCodeStatus, "CouponCodeStatus", "Where a code from a batch stands.", {
    "AVAILABLE": "Not used yet.",
    "CLAIMED": "A member put it in their wallet (`claimCouponCode`); it is used as that member's coupon.",
    "REDEEMED": "Used at a till without being claimed.",
})
CouponCodeStatus = DomainCodeStatus

# Bigger batches (up to 10,000,000) go through the CLI (generate-coupon-codes), which also exports them.
MAX_BATCH_OVER_HTTP = 100_000


@strawberry.input(description="A batch of single-use codes to make for a coupon template.")
class CreateCouponCodeBatchInput:
    template_id: strawberry.ID = strawberry.field(description="The coupon template the codes give.")
    quantity: int = strawberry.field(description=f"How many codes (1 to {MAX_BATCH_OVER_HTTP:,} here; more "
                                                 "through the CLI `generate-coupon-codes`).")
    label: str = strawberry.field(default="", description="What the batch is for (print run, partner); the "
                                                          "template's name when empty.")


@strawberry.type(description="Staff: a batch of unique single-use codes of one coupon template.")
class CouponCodeBatch:
    id: strawberry.ID = strawberry.field(description="Id of the batch (pass it to the CLI `export-coupon-codes`).")
    template_id: strawberry.ID = strawberry.field(description="The coupon template the codes give.")
    label: str = strawberry.field(description="What the batch is for.")
    quantity: int = strawberry.field(description="How many codes it holds.")
    created_at: datetime = strawberry.field(description="When it was made.")
    valid_until: datetime = strawberry.field(description="Its codes cannot be claimed or redeemed from then on.")

    @classmethod
    def from_domain(cls, b: DomainBatch) -> CouponCodeBatch:
        return cls(id=strawberry.ID(str(b.id)), template_id=strawberry.ID(str(b.template_id)), label=b.label,
                   quantity=b.quantity, created_at=b.created_at, valid_until=b.valid_until)


@strawberry.type(description="The result of `createCouponCodeBatch`.")
class CouponCodeBatchPayload:
    batch: CouponCodeBatch = strawberry.field(description="The batch, with all its codes made.")


@strawberry.type(description="The result of `redeemCouponCode`.")
class RedeemCouponCodePayload:
    code: str = strawberry.field(description="The code as printed (groups of four).")
    status: CouponCodeStatus = strawberry.field(description="REDEEMED, or CLAIMED when a member had claimed it: "
                                                            "then `coupon` is their coupon, now used.")
    discount_cents: int = strawberry.field(description="Cents taken off the order.")
    coupon: Coupon | None = strawberry.field(description="The member's coupon when the code had been claimed; "
                                                         "null for a code used without claiming.")


@strawberry.type
class CouponCodeMutations:
    @strawberry.mutation(description="Staff: make a batch of unique single-use codes for a template (random, "
                                     "16 characters without 0/O/1/I/L). The codes count against the template's "
                                     "total quantity. Errors: BAD_USER_INPUT (quantity, label, inactive or ended "
                                     "template), NOT_FOUND (template), OUT_OF_STOCK (total quantity).")
    async def create_coupon_code_batch(self, info: Info, input: Annotated[CreateCouponCodeBatchInput,
                                       strawberry.argument(description="The template, how many, a label.")]
                                       ) -> CouponCodeBatchPayload:
        if not 1 <= input.quantity <= MAX_BATCH_OVER_HTTP:
            raise BadUserInput.for_field("quantity", f"Make 1 to {MAX_BATCH_OVER_HTTP:,} codes here; use the CLI "
                                                     "for more.")
        batch = await code_batches.create_code_batch(code_batches.CreateCodeBatch(
            parse_id(input.template_id, "templateId"), input.quantity, input.label), info.context.deps())
        return CouponCodeBatchPayload(batch=CouponCodeBatch.from_domain(batch))

    @strawberry.mutation(description="Member: put a coupon from a printed or partner code in the wallet (the "
                                     "coupon keeps the code; case, spaces and hyphens ignored). Claiming the same "
                                     "code again returns the same coupon. Errors: NOT_FOUND (no such code), "
                                     "COUPON_NOT_USABLE (used by someone, expired or withdrawn), LIMIT_EXCEEDED "
                                     "(the template's per-member limit).")
    async def claim_coupon_code(self, info: Info, code: Annotated[str, strawberry.argument(
            description="The code as printed.")]) -> CouponPayload:
        coupon = await code_batches.claim_code(code_batches.ClaimCode(code), info.context.deps())
        return CouponPayload(coupon=await coupon_view(info, coupon))

    @strawberry.mutation(description="Staff/POS: use a printed or partner code on an order, claimed or not; "
                                     "idempotent on (store, orderId), sharing keys with `redeemCoupon`. Errors: "
                                     "BAD_USER_INPUT (no orderId or items), NOT_FOUND (code), COUPON_NOT_USABLE "
                                     "(already used, expired, not valid yet or does not apply, with the reason), "
                                     "IDEMPOTENCY_CONFLICT (orderId reused with another code).")
    async def redeem_coupon_code(self, info: Info, input: Annotated[CouponOrderInput, strawberry.argument(
            description="The code, the store, the basket and the order id.")]) -> RedeemCouponCodePayload:
        done = await code_batches.redeem_code(CouponOrder(input.code, input.store_id, _items(input.items),
                                                          input.order_id or ""), info.context.deps())
        coupon = await coupon_view(info, done.coupon) if done.coupon is not None else None
        return RedeemCouponCodePayload(code=printed(done.code), status=done.status,
                                       discount_cents=done.discount_cents, coupon=coupon)
