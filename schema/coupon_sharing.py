"""Shareable coupons: give one to a friend (by phone or a link), accept a link, take a link back."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from domain.members.phone import mask_phone
from domain.offers import sharing
from domain.offers.model import CouponShare as DomainShare
from domain.offers.model import ShareStatus as DomainShareStatus
from schema.enums import register_enum
from schema.info import Info
from schema.offers import CouponPayload, coupon_view
from schema.refs import parse_id

register_enum(DomainShareStatus, "CouponShareStatus", "Where a coupon given to a friend stands.", {
    "PENDING": "A link waits for the friend to sign up and accept it.",
    "ACCEPTED": "The friend holds the coupon.",
    "CANCELLED": "The giver took the link back; their coupon is usable again (not givable again).",
})
CouponShareStatus = DomainShareStatus


@strawberry.input(description="A coupon to give to a friend.")
class ShareCouponInput:
    coupon_id: strawberry.ID = strawberry.field(description="Global id of one of your unused coupons.")
    phone: str | None = strawberry.field(default=None, description="The friend's mobile number: a member gets "
                                                                   "the coupon at once, anyone else a link only "
                                                                   "that number can accept. Null: a link for "
                                                                   "whoever opens it first.")


@strawberry.type(description="A coupon given to a friend (the giver's view).")
class CouponShare:
    id: strawberry.ID = strawberry.field(description="Id of the share (pass it to `cancelCouponShare`).")
    status: CouponShareStatus = strawberry.field(description="Where it stands.")
    sent_to: str | None = strawberry.field(description="The friend's phone, masked; null for an open link.")
    created_at: datetime = strawberry.field(description="When it was given.")
    expires_at: datetime = strawberry.field(description="A link not accepted by then lapses (the coupon's end).")

    @classmethod
    def from_domain(cls, s: DomainShare) -> CouponShare:
        return cls(id=strawberry.ID(str(s.id)), status=s.status,
                   sent_to=mask_phone(s.to_phone) if s.to_phone else None, created_at=s.created_at,
                   expires_at=s.expires_at)


@strawberry.type(description="The result of `shareCoupon`.")
class ShareCouponPayload:
    share: CouponShare = strawberry.field(description="The share: ACCEPTED when a member received it at once, "
                                                      "else PENDING.")
    share_token: str | None = strawberry.field(description="PENDING only: the link's secret, shown once; put it "
                                                           "in the link the app sends (the friend passes it to "
                                                           "`acceptSharedCoupon`).")


@strawberry.type(description="The result of `cancelCouponShare`.")
class CancelCouponSharePayload:
    share: CouponShare = strawberry.field(description="The share, now CANCELLED.")


@strawberry.type
class CouponSharingMutations:
    @strawberry.mutation(description="Member: give an unused coupon of a shareable template to a friend, once "
                                     "(your coupon is retired; the friend gets a new code). Errors: NOT_FOUND (not "
                                     "your coupon), COUPON_NOT_USABLE (not shareable, received from a friend, "
                                     "used, expired or already given), BAD_USER_INPUT (phone).")
    async def share_coupon(self, info: Info, input: Annotated[ShareCouponInput, strawberry.argument(
            description="The coupon and the friend's phone.")]) -> ShareCouponPayload:
        result = await sharing.share_coupon(sharing.ShareCoupon(
            parse_id(input.coupon_id, "couponId", type_name="Coupon"), input.phone), info.context.deps())
        return ShareCouponPayload(share=CouponShare.from_domain(result.share), share_token=result.token)

    @strawberry.mutation(description="Member (sign up first): accept a coupon a friend sent as a link; accepting "
                                     "again returns the same coupon. Errors: NOT_FOUND (unknown link, or sent to "
                                     "another phone), COUPON_NOT_USABLE (accepted by someone, taken back, expired, "
                                     "or your own).")
    async def accept_shared_coupon(self, info: Info, share_token: Annotated[str, strawberry.argument(
            description="The token from the link.")]) -> CouponPayload:
        coupon = await sharing.accept_shared_coupon(sharing.AcceptShare(share_token), info.context.deps())
        return CouponPayload(coupon=await coupon_view(info, coupon))

    @strawberry.mutation(description="Member: take back a link nobody accepted; the coupon is usable again but "
                                     "cannot be given a second time. Errors: NOT_FOUND, COUPON_NOT_USABLE "
                                     "(already accepted).")
    async def cancel_coupon_share(self, info: Info, share_id: Annotated[strawberry.ID, strawberry.argument(
            description="`CouponShare.id`.")]) -> CancelCouponSharePayload:
        share = await sharing.cancel_share(parse_id(share_id, "shareId"), info.context.deps())
        return CancelCouponSharePayload(share=CouponShare.from_domain(share))
