"""Coupons and offers: templates (staff), issuing, claiming, and validating/redeeming at the till."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from domain import cursors
from domain.errors import BadUserInput
from domain.offers import services
from domain.offers.model import Coupon as DomainCoupon
from domain.offers.model import CouponKind as DomainKind
from domain.offers.model import CouponStatus as DomainStatus
from domain.offers.model import CouponTemplate as DomainTemplate
from domain.offers.model import IssueSource as DomainSource
from domain.offers.model import NotClaimableReason as DomainNotClaimable
from domain.offers.model import OfferForMember as DomainOffer
from domain.offers.rules import describe_terms, face_value_cents
from domain.points.rules import LineItem
from schema.connections import PageInfo
from schema.enums import LifecycleStage, register_enum, stage_values
from schema.info import Info
from schema.points import LineItemInput
from schema.refs import Node, global_id, parse_id
from schema.segment_filters import RfmFilterInput

# Registered in place (the class itself is the enum), so type checkers see a plain enum.
register_enum(DomainKind, "CouponKind", "How a coupon takes money off an order (one coupon per order).", {
    "CASH_OFF": "A fixed `valueCents` off the eligible items.",
    "PERCENT_OFF": "`percent` off the eligible items, at most `capCents` when set.",
    "SPEND_AND_SAVE": "Spend at least `minSpendCents` on eligible items, save `valueCents`.",
    "BUY_ONE_GET_ONE": "With two or more eligible items, the cheapest eligible item is free.",
    "FREE_ITEM": "The most expensive eligible item free, up to `valueCents`.",
})
CouponKind = DomainKind
register_enum(DomainStatus, "CouponStatus", "Where a member's coupon stands.", {
    "AVAILABLE": "Can be used (from `validFrom`) until `validUntil`.",
    "REDEEMED": "Used on an order.",
    "EXPIRED": "Not used before `validUntil`.",
    "SHARED": "Given to a friend (`shareCoupon`); the friend holds a new coupon with its own code.",
})
CouponStatus = DomainStatus
register_enum(DomainSource, "CouponSource", "How the member got a coupon.", {
    "WELCOME": "The welcome gift when the member joined.",
    "BIRTHDAY": "The birthday gift.",
    "TIER_UPGRADE": "The gift for reaching a higher tier.",
    "STAFF": "Sent by staff (`issueCoupons`).",
    "CLAIM": "Claimed by the member from an offer (`claimOffer`).",
    "CODE": "Claimed by the member with a code from a batch (`claimCouponCode`).",
    "SHARE": "Given by a friend (`shareCoupon`); it cannot be given on.",
    "AUTOMATION": "Given by a journey or segment campaign step.",
})
IssueSource = DomainSource


@strawberry.type(description="Staff: the blueprint coupons are issued from (terms, validity, quantities).")
class CouponTemplate:
    id: strawberry.ID = strawberry.field(description="Id of the template: `Coupon.templateId`, `Offer.id`.")
    name: str = strawberry.field(description="Name shown on every coupon of it (1 to 80 characters).")
    kind: CouponKind = strawberry.field(description="How its coupons take money off.")
    value_cents: int = strawberry.field(description="CASH_OFF/SPEND_AND_SAVE: cents off; FREE_ITEM: the most the "
                                                    "free item may cost; else 0.")
    percent: int = strawberry.field(description="PERCENT_OFF: whole percent off eligible items (1 to 99); else 0.")
    cap_cents: int | None = strawberry.field(description="PERCENT_OFF: the most it takes off, in cents; null: "
                                                          "no cap.")
    min_spend_cents: int = strawberry.field(description="Eligible items must add up to at least this (cents); "
                                                        "0: no minimum.")
    categories: list[str] = strawberry.field(description="Item categories it applies to; empty: every category.")
    stores: list[str] = strawberry.field(description="Store ids where it is valid; empty: every store.")
    valid_from: datetime | None = strawberry.field(description="Coupons are usable from then at the earliest "
                                                               "(UTC); null: from issue.")
    valid_until: datetime | None = strawberry.field(description="Coupons end then at the latest, and claiming "
                                                                "stops (UTC); null: see `validDays`.")
    valid_days: int | None = strawberry.field(description="Each coupon is valid this many days from its issue "
                                                          "(never past `validUntil`); null: until `validUntil`.")
    per_member_limit: int | None = strawberry.field(description="How many one member may hold from it through "
                                                                "claims and automatic gifts; null: no limit "
                                                                "(staff issuing ignores it).")
    total_quantity: int | None = strawberry.field(description="How many may be issued in all; null: unlimited.")
    issued_count: int = strawberry.field(description="How many have been issued so far.")
    claimable: bool = strawberry.field(description="Listed in `offers` for members to claim.")
    active: bool = strawberry.field(description="False: no more coupons are issued from it (issued ones stay "
                                                "valid).")
    shareable: bool = strawberry.field(description="Members may give an unused coupon of it to a friend, once "
                                                   "(`shareCoupon`).")

    @classmethod
    def from_domain(cls, t: DomainTemplate) -> CouponTemplate:
        return cls(id=strawberry.ID(str(t.id)), name=t.name, kind=t.kind, value_cents=t.value_cents,
                   percent=t.percent, cap_cents=t.cap_cents, min_spend_cents=t.min_spend_cents,
                   categories=list(t.categories), stores=list(t.stores), valid_from=t.valid_from,
                   valid_until=t.valid_until, valid_days=t.valid_days, per_member_limit=t.per_member_limit,
                   total_quantity=t.total_quantity, issued_count=t.issued_count, claimable=t.claimable,
                   active=t.active, shareable=t.shareable)


@strawberry.type(description="A coupon in a member's wallet, with its template's terms.")
class Coupon(Node):
    id: strawberry.ID = strawberry.field(description="Global id of the coupon (opaque; works with `node`).")
    code: str = strawberry.field(description="Shown as a QR/bar code at the till.")
    status: CouponStatus = strawberry.field(description="Where it stands now (EXPIRED once past `validUntil` "
                                                        "unused).")
    source: IssueSource = strawberry.field(description="How the member got it.")
    issued_at: datetime = strawberry.field(description="When it was issued (UTC).")
    valid_from: datetime = strawberry.field(description="Usable from then (UTC).")
    valid_until: datetime = strawberry.field(description="Usable until then, exclusive (UTC).")
    redeemed_at: datetime | None = strawberry.field(description="When it was used (UTC); null until then.")
    discount_cents: int | None = strawberry.field(
        description="Cents taken off: once used, what it took off that order; before, the fixed value of "
                    "CASH_OFF and SPEND_AND_SAVE coupons; null for PERCENT_OFF, BUY_ONE_GET_ONE and FREE_ITEM "
                    "(it depends on the basket) until used.")
    template_id: strawberry.ID = strawberry.field(description="Id of the coupon template it was issued from.")
    name: str = strawberry.field(description="The template's name.")
    kind: CouponKind = strawberry.field(description="How it takes money off.")
    value_cents: int = strawberry.field(description="CASH_OFF/SPEND_AND_SAVE: cents off; FREE_ITEM: the most the "
                                                    "free item may cost; else 0.")
    percent: int = strawberry.field(description="PERCENT_OFF: whole percent off eligible items; else 0.")
    cap_cents: int | None = strawberry.field(description="PERCENT_OFF: the most it takes off, if capped.")
    min_spend_cents: int = strawberry.field(description="Eligible items must add up to at least this.")
    categories: list[str] = strawberry.field(description="Item categories it applies to; empty: every category.")
    stores: list[str] = strawberry.field(description="Store ids where it is valid; empty: every store.")
    usage_terms: str = strawberry.field(description="The terms in one line, for the wallet card (English).")
    can_share: bool = strawberry.field(description="Whether `shareCoupon` would give it to a friend now: its "
                                                   "template is shareable, it is unused and was not itself "
                                                   "received from a friend.")

    @classmethod
    def from_domain(cls, c: DomainCoupon, now: datetime, t: DomainTemplate) -> Coupon:
        discount = c.discount_cents if c.discount_cents is not None else (
            face_value_cents(t) if c.status is DomainStatus.AVAILABLE else None)
        return cls(id=global_id("Coupon", c.id), code=c.code, status=c.status_at(now), source=c.source,
                   issued_at=c.issued_at, valid_from=c.valid_from, valid_until=c.valid_until,
                   redeemed_at=c.redeemed_at, discount_cents=discount,
                   template_id=strawberry.ID(str(c.template_id)), name=t.name, kind=t.kind,
                   value_cents=t.value_cents, percent=t.percent, cap_cents=t.cap_cents,
                   min_spend_cents=t.min_spend_cents, categories=list(t.categories), stores=list(t.stores),
                   usage_terms=describe_terms(t),
                   can_share=(t.shareable and c.source is not DomainSource.SHARE
                              and c.status_at(now) is DomainStatus.AVAILABLE))


async def coupons_view(info: Info, found: list[DomainCoupon]) -> list[Coupon]:
    """Coupons with their template's terms, the templates batched through the request's loader."""
    templates = await info.context.loaders.coupon_template_by_id.load_many([c.template_id for c in found])
    now = info.context.container.now()
    return [Coupon.from_domain(c, now, t) for c, t in zip(found, templates, strict=True) if t is not None]


async def coupon_view(info: Info, found: DomainCoupon) -> Coupon:
    return (await coupons_view(info, [found]))[0]


@strawberry.type(description="One coupon in a page of a member's coupons.")
class CouponEdge:
    cursor: str = strawberry.field(description="Opaque cursor of this coupon: pass it as `after` for the next page.")
    node: Coupon = strawberry.field(description="The coupon.")


@strawberry.type(description="A page of a member's coupons, newest first.")
class CouponConnection:
    edges: list[CouponEdge] = strawberry.field(description="The coupons of this page, newest first.")
    page_info: PageInfo = strawberry.field(description="Whether more follow, and the cursor to continue from.")
    total_count: int = strawberry.field(description="Coupons with this status in all pages.")

    @strawberry.field(description="The nodes of `edges`, for clients that do not need per-item cursors.")
    def nodes(self) -> list[Coupon]:
        return [e.node for e in self.edges]


async def load_coupons(info: Info, member_id: int, status: DomainStatus | None, first: int,
                       after: str | None) -> CouponConnection:
    ctx = info.context
    page = await services.member_coupons(services.MemberCoupons(member_id, status, first, after), ctx.deps())
    nodes = await coupons_view(info, page.coupons)
    edges = [CouponEdge(cursor=cursors.encode(c.id, c.id), node=n) for c, n in zip(page.coupons, nodes, strict=True)]
    return CouponConnection(edges=edges, total_count=page.total,
                            page_info=PageInfo(has_next_page=page.has_next,
                                               end_cursor=edges[-1].cursor if edges else None))


async def load_available_coupons_count(info: Info, member_id: int) -> int:
    ctx = info.context
    return await services.available_coupons_count(ctx.uow(), ctx.viewer, member_id, ctx.container.now())


# Registered in place (strawberry.enum returns the class itself), so type checkers see a plain enum.
register_enum(DomainNotClaimable, "NotClaimableReason", "Why the member cannot claim an offer now.", {
    "LIMIT_REACHED": "The member already holds as many as one member may (`perMemberLimit`).",
    "SOLD_OUT": "Every coupon of the offer has been handed out.",
})
NotClaimableReason = DomainNotClaimable


@strawberry.type(description="A claimable offer as the signed-in member sees it.")
class Offer:
    """A claimable offer as the signed-in member sees it."""

    id: strawberry.ID = strawberry.field(description="The coupon template id: pass it to `claimOffer`.")
    name: str = strawberry.field(description="Name of the offer, and of the coupon it gives.")
    kind: CouponKind = strawberry.field(description="How the coupon takes money off.")
    value_cents: int = strawberry.field(description="CASH_OFF/SPEND_AND_SAVE: cents off; FREE_ITEM: the most the "
                                                    "free item may cost; else 0.")
    percent: int = strawberry.field(description="PERCENT_OFF: whole percent off eligible items; else 0.")
    cap_cents: int | None = strawberry.field(description="PERCENT_OFF: the most it takes off, in cents; null: "
                                                          "no cap.")
    min_spend_cents: int = strawberry.field(description="Eligible items must add up to at least this (cents).")
    categories: list[str] = strawberry.field(description="Item categories it applies to; empty: every category.")
    stores: list[str] = strawberry.field(description="Store ids where it is valid; empty: every store.")
    valid_from: datetime | None = strawberry.field(description="When the offer started (UTC); null: no start "
                                                               "date.")
    valid_until: datetime | None = strawberry.field(description="The offer ends then (claims after are refused).")
    valid_days: int | None = strawberry.field(description="A claimed coupon is valid this many days.")
    usage_terms: str = strawberry.field(description="The terms in one line, for the offer card (English).")
    per_member_limit: int | None = strawberry.field(description="How many one member may claim; null: no limit.")
    claimed_by_me: int = strawberry.field(description="How many of these the member has claimed (or received).")
    remaining_for_me: int | None = strawberry.field(description="How many more the member may claim; null: no limit.")
    remaining_quantity: int | None = strawberry.field(description="Left for everyone; null: unlimited.")
    can_claim: bool = strawberry.field(description="False when `claimOffer` would be refused (see the reason).")
    not_claimable_reason: NotClaimableReason | None = strawberry.field(
        description="Why `claimOffer` would be refused; null when `canClaim` is true.")

    @classmethod
    def from_domain(cls, o: DomainOffer) -> Offer:
        t = o.template
        return cls(id=strawberry.ID(str(t.id)), name=t.name, kind=t.kind, value_cents=t.value_cents,
                   percent=t.percent, cap_cents=t.cap_cents, min_spend_cents=t.min_spend_cents,
                   categories=list(t.categories), stores=list(t.stores), valid_from=t.valid_from,
                   valid_until=t.valid_until, valid_days=t.valid_days, usage_terms=describe_terms(t),
                   per_member_limit=t.per_member_limit, claimed_by_me=o.claimed,
                   remaining_for_me=o.remaining_for_member, remaining_quantity=o.remaining_quantity,
                   can_claim=o.not_claimable is None, not_claimable_reason=o.not_claimable)


@strawberry.input(description="A coupon template as staff set it up; every field is replaced on save. "
                             "Give `validUntil`, `validDays` or both.")
class SaveCouponTemplateInput:
    id: strawberry.ID | None = strawberry.field(default=None, description="The template to change; omit to "
                                                                          "create one (unknown id: NOT_FOUND).")
    name: str = strawberry.field(description="Name, 1 to 80 characters (trimmed).")
    kind: CouponKind = strawberry.field(description="How its coupons take money off.")
    value_cents: int = strawberry.field(default=0, description="Cents off (CASH_OFF, SPEND_AND_SAVE) or the most "
                                                               "the free item may cost (FREE_ITEM); positive for "
                                                               "those kinds.")
    percent: int = strawberry.field(default=0, description="PERCENT_OFF: whole percent off, 1 to 99.")
    cap_cents: int | None = strawberry.field(default=None, description="PERCENT_OFF: the most it takes off, in "
                                                                       "cents (positive); null: no cap.")
    min_spend_cents: int = strawberry.field(default=0, description="Minimum eligible spend in cents (0 or more); "
                                                                   "SPEND_AND_SAVE needs it above `valueCents`.")
    categories: list[str] = strawberry.field(default_factory=list, description="Item categories it applies to "
                                                                               "(at most 50); empty: every "
                                                                               "category.")
    stores: list[str] = strawberry.field(default_factory=list, description="Store ids where it is valid (at most "
                                                                           "500); empty: every store.")
    valid_from: datetime | None = strawberry.field(default=None, description="Coupons are usable from then at the "
                                                                             "earliest; null: from issue.")
    valid_until: datetime | None = strawberry.field(default=None, description="Coupons end then at the latest "
                                                                              "(after validFrom); null: give "
                                                                              "`validDays`.")
    valid_days: int | None = strawberry.field(default=None, description="Each coupon is valid this many days from "
                                                                        "issue, 1 to 3650; null: give "
                                                                        "`validUntil`.")
    per_member_limit: int | None = strawberry.field(default=1, description="How many one member may hold through "
                                                                           "claims and automatic gifts (1 or "
                                                                           "more); null: no limit.")
    total_quantity: int | None = strawberry.field(default=None, description="How many may be issued in all (0 or "
                                                                            "more); null: unlimited.")
    claimable: bool = strawberry.field(default=False, description="List it in `offers` for members to claim.")
    active: bool = strawberry.field(default=True, description="False stops issuing from it.")
    shareable: bool = strawberry.field(default=False, description="Members may give an unused coupon of it to a "
                                                                  "friend, once.")


@strawberry.input(description="Staff: which members get a coupon. Give `memberIds`, or one or more segment "
                             "filters (as in `memberSegment`), not both.")
class IssueCouponsInput:
    template_id: strawberry.ID = strawberry.field(description="Id of the coupon template to issue from.")
    idempotency_key: str = strawberry.field(description="A unique key for this send; rerunning with the same key "
                                                        "completes an interrupted send without giving anyone a "
                                                        "second coupon.")
    member_ids: list[strawberry.ID] | None = strawberry.field(default=None, description="Members by id, at most "
                                                                                         "1,000; null: use the "
                                                                                         "segment filters.")
    tier_codes: list[str] | None = strawberry.field(default=None, description="Segment: members in these tiers.")
    tags: list[str] | None = strawberry.field(default=None, description="Segment: members with these tags.")
    stages: list[LifecycleStage] | None = strawberry.field(default=None, description="Segment: members in these "
                                                                                     "lifecycle stages.")
    rfm: RfmFilterInput | None = strawberry.field(default=None, description="Segment: members in these RFM score "
                                                                            "ranges.")


@strawberry.input(description="A coupon presented at a till, with the order it is for.")
class CouponOrderInput:
    code: str = strawberry.field(description="The coupon code the member shows (case and surrounding spaces "
                                             "ignored).")
    store_id: str = strawberry.field(description="The store of the till; coupons limited to other stores do not "
                                                 "apply.")
    items: list[LineItemInput] = strawberry.field(description="The order's line items (amounts in cents); the "
                                                              "discount is computed from the eligible ones.")
    order_id: str | None = strawberry.field(default=None, description="The order id, unique per store: required "
                                                                      "by `redeemCoupon` (its idempotency key), "
                                                                      "ignored by `validateCoupon`.")


@strawberry.type(description="The result of `saveCouponTemplate`.")
class CouponTemplatePayload:
    template: CouponTemplate = strawberry.field(description="The template as saved.")


@strawberry.type(description="The result of `issueCoupons`.")
class IssueCouponsPayload:
    issued: int = strawberry.field(description="Coupons issued by this call (members already served under the "
                                               "same key, erased members and an inactive template give none).")


@strawberry.type(description="The result of `claimOffer`.")
class CouponPayload:
    coupon: Coupon = strawberry.field(description="The coupon now in the member's wallet.")


@strawberry.type(description="What a coupon would do to a basket (`validateCoupon`); nothing is changed.")
class CouponCheck:
    applies: bool = strawberry.field(description="Whether the coupon can be used on this order now.")
    discount_cents: int = strawberry.field(description="Cents it would take off; 0 when it does not apply.")
    reason: str = strawberry.field(description="Why it does not apply (English, for the cashier); empty when it "
                                               "applies.")
    coupon: Coupon = strawberry.field(description="The coupon the code belongs to.")


@strawberry.type(description="The result of `redeemCoupon`.")
class RedeemCouponPayload:
    coupon: Coupon = strawberry.field(description="The coupon, now REDEEMED.")
    discount_cents: int = strawberry.field(description="Cents taken off the order.")


def _items(items: list[LineItemInput]) -> list[LineItem]:
    return [LineItem(i.category, i.amount_cents, i.sku) for i in items]


@strawberry.type
class OfferQueries:
    @strawberry.field(description="Running offers, with what the member already claimed; offers the member "
                                  "can no longer claim stay listed with `canClaim: false` and the reason. "
                                  "Members only.")
    async def offers(self, info: Info) -> list[Offer]:
        found = await services.offers_for_member(info.context.uow(), info.context.viewer,
                                                 info.context.container.now())
        return [Offer.from_domain(o) for o in found]

    @strawberry.field(description="One of the member's coupons (staff: anyone's). Others' coupons: NOT_FOUND.")
    async def coupon(self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(
            description="Global id of the coupon.")]) -> Coupon:
        found = await services.coupon_for(info.context.uow(), info.context.viewer, parse_id(id, type_name="Coupon"))
        return await coupon_view(info, found)

    @strawberry.field(description="Staff/POS: what a coupon would take off this basket (changes nothing). Unknown "
                                  "code: NOT_FOUND; a coupon that does not apply answers `applies: false` with "
                                  "the reason.")
    async def validate_coupon(self, info: Info, input: Annotated[CouponOrderInput, strawberry.argument(
            description="The code, the store and the basket (`orderId` not needed).")]) -> CouponCheck:
        ctx = info.context
        coupon, result = await services.check_coupon(services.CouponOrder(
            input.code, input.store_id, _items(input.items)), ctx.deps())
        return CouponCheck(applies=result.applies, discount_cents=result.discount_cents, reason=result.reason,
                           coupon=await coupon_view(info, coupon))


@strawberry.type
class OfferMutations:
    @strawberry.mutation(description="Staff: create (no id) or change a coupon template. BAD_USER_INPUT lists each "
                                     "invalid field; an unknown id is NOT_FOUND.")
    async def save_coupon_template(self, info: Info, input: Annotated[SaveCouponTemplateInput, strawberry.argument(
            description="The template; every field is replaced.")]) -> CouponTemplatePayload:
        ctx = info.context
        template = DomainTemplate(
            id=parse_id(input.id) if input.id is not None else 0, name=input.name, kind=input.kind,
            value_cents=input.value_cents, percent=input.percent, cap_cents=input.cap_cents,
            min_spend_cents=input.min_spend_cents, categories=list(input.categories), stores=list(input.stores),
            valid_from=input.valid_from, valid_until=input.valid_until, valid_days=input.valid_days,
            per_member_limit=input.per_member_limit, total_quantity=input.total_quantity,
            claimable=input.claimable, active=input.active, shareable=input.shareable,
        )
        saved = await services.save_template(ctx.uow(), ctx.viewer, template, ctx.container.now())
        return CouponTemplatePayload(template=CouponTemplate.from_domain(saved))

    @strawberry.mutation(description="Staff: send coupons to listed members or a segment (tiers, tags, stages, "
                                     "RFM), ignoring the per-member limit. Errors: BAD_USER_INPUT (no or mixed "
                                     "audience, too many ids), NOT_FOUND (template), OUT_OF_STOCK (total quantity "
                                     "ran out; coupons sent before stay sent).")
    async def issue_coupons(self, info: Info, input: Annotated[IssueCouponsInput, strawberry.argument(
            description="The template, the audience and an idempotency key.")]) -> IssueCouponsPayload:
        ctx = info.context
        segment = services.Segment(
            tier_codes=input.tier_codes, tags=input.tags, stages=stage_values(input.stages),
            rfm=input.rfm.to_domain() if input.rfm else None,
            member_ids=[parse_id(m, "memberIds") for m in input.member_ids] if input.member_ids is not None else None,
        )
        issued = await services.issue_to_segment(
            services.IssueToSegment(parse_id(input.template_id), segment, input.idempotency_key), ctx.deps())
        return IssueCouponsPayload(issued=issued)

    @strawberry.mutation(description="Member: pick up a claimable offer; the coupon lands in the wallet. Errors: "
                                     "NOT_FOUND (not claimable, not started or ended), LIMIT_EXCEEDED (already "
                                     "claimed as many as allowed), OUT_OF_STOCK (sold out).")
    async def claim_offer(self, info: Info, template_id: Annotated[strawberry.ID, strawberry.argument(
            description="The offer's id (`Offer.id`).")]) -> CouponPayload:
        ctx = info.context
        coupon = await services.claim_offer(ctx.uow(), ctx.viewer, parse_id(template_id), ctx.container.now())
        return CouponPayload(coupon=await coupon_view(info, coupon))

    @strawberry.mutation(description="Staff/POS: use a coupon on an order; idempotent on (store, orderId): a retry "
                                     "returns the first result. Errors: BAD_USER_INPUT (no orderId or items), "
                                     "NOT_FOUND (code), COUPON_NOT_USABLE (used, expired, not valid yet or does not "
                                     "apply, with the reason), IDEMPOTENCY_CONFLICT (orderId reused with another "
                                     "code).")
    async def redeem_coupon(self, info: Info, input: Annotated[CouponOrderInput, strawberry.argument(
            description="The code, the store, the basket and the order id.")]) -> RedeemCouponPayload:
        ctx = info.context
        if not input.order_id:
            raise BadUserInput.for_field("orderId", "Redeeming needs the order id.")
        coupon, discount = await services.redeem_coupon(services.CouponOrder(
            input.code, input.store_id, _items(input.items), input.order_id), ctx.deps())
        return RedeemCouponPayload(coupon=await coupon_view(info, coupon), discount_cents=discount)
