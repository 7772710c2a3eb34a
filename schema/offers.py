"""Coupons and offers: templates (staff), issuing, claiming, and validating/redeeming at the till."""

from __future__ import annotations

from datetime import datetime

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
from schema.enums import LifecycleStage, stage_values
from schema.info import Info
from schema.points import LineItemInput
from schema.refs import Node, global_id, parse_id
from schema.segment_filters import RfmFilterInput

# Registered in place (strawberry.enum returns the class itself), so type checkers see a plain enum.
strawberry.enum(DomainKind, name="CouponKind")
CouponKind = DomainKind
# Registered in place (strawberry.enum returns the class itself), so type checkers see a plain enum.
strawberry.enum(DomainStatus, name="CouponStatus")
CouponStatus = DomainStatus
# Registered in place (strawberry.enum returns the class itself), so type checkers see a plain enum.
strawberry.enum(DomainSource, name="CouponSource")
IssueSource = DomainSource


@strawberry.type
class CouponTemplate:
    id: strawberry.ID
    name: str
    kind: CouponKind
    value_cents: int
    percent: int
    cap_cents: int | None
    min_spend_cents: int
    categories: list[str]
    stores: list[str]
    valid_from: datetime | None
    valid_until: datetime | None
    valid_days: int | None
    per_member_limit: int | None
    total_quantity: int | None
    issued_count: int
    claimable: bool
    active: bool

    @classmethod
    def from_domain(cls, t: DomainTemplate) -> CouponTemplate:
        return cls(id=strawberry.ID(str(t.id)), name=t.name, kind=t.kind, value_cents=t.value_cents,
                   percent=t.percent, cap_cents=t.cap_cents, min_spend_cents=t.min_spend_cents,
                   categories=list(t.categories), stores=list(t.stores), valid_from=t.valid_from,
                   valid_until=t.valid_until, valid_days=t.valid_days, per_member_limit=t.per_member_limit,
                   total_quantity=t.total_quantity, issued_count=t.issued_count, claimable=t.claimable,
                   active=t.active)


@strawberry.type
class Coupon(Node):
    id: strawberry.ID
    code: str = strawberry.field(description="Shown as a QR/bar code at the till.")
    status: CouponStatus
    source: IssueSource
    issued_at: datetime
    valid_from: datetime
    valid_until: datetime
    redeemed_at: datetime | None
    discount_cents: int | None = strawberry.field(
        description="Cents taken off: once used, what it took off that order; before, the fixed value of "
                    "CASH_OFF and SPEND_AND_SAVE coupons; null for PERCENT_OFF, BUY_ONE_GET_ONE and FREE_ITEM "
                    "(it depends on the basket) until used.")
    template_id: strawberry.ID
    name: str
    kind: CouponKind
    value_cents: int = strawberry.field(description="CASH_OFF/SPEND_AND_SAVE: cents off; FREE_ITEM: the most the "
                                                    "free item may cost; else 0.")
    percent: int = strawberry.field(description="PERCENT_OFF: whole percent off eligible items; else 0.")
    cap_cents: int | None = strawberry.field(description="PERCENT_OFF: the most it takes off, if capped.")
    min_spend_cents: int = strawberry.field(description="Eligible items must add up to at least this.")
    categories: list[str] = strawberry.field(description="Item categories it applies to; empty: every category.")
    stores: list[str] = strawberry.field(description="Store ids where it is valid; empty: every store.")
    usage_terms: str = strawberry.field(description="The terms in one line, for the wallet card (English).")

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
                   usage_terms=describe_terms(t))


async def coupons_view(info: Info, found: list[DomainCoupon]) -> list[Coupon]:
    """Coupons with their template's terms, the templates batched through the request's loader."""
    templates = await info.context.loaders.coupon_template_by_id.load_many([c.template_id for c in found])
    now = info.context.container.now()
    return [Coupon.from_domain(c, now, t) for c, t in zip(found, templates, strict=True) if t is not None]


async def coupon_view(info: Info, found: DomainCoupon) -> Coupon:
    return (await coupons_view(info, [found]))[0]


@strawberry.type
class CouponEdge:
    cursor: str
    node: Coupon


@strawberry.type
class CouponConnection:
    edges: list[CouponEdge]
    page_info: PageInfo
    total_count: int = strawberry.field(description="Coupons with this status in all pages.")

    @strawberry.field(description="The nodes of `edges`, for clients that do not need per-item cursors.")
    def nodes(self) -> list[Coupon]:
        return [e.node for e in self.edges]


async def load_coupons(info: Info, member_id: int, status: DomainStatus | None, first: int,
                       after: str | None) -> CouponConnection:
    ctx = info.context
    page = await services.member_coupons(ctx.uow(), ctx.viewer, member_id, status, ctx.container.now(), first, after)
    nodes = await coupons_view(info, page.coupons)
    edges = [CouponEdge(cursor=cursors.encode(c.id, c.id), node=n) for c, n in zip(page.coupons, nodes, strict=True)]
    return CouponConnection(edges=edges, total_count=page.total,
                            page_info=PageInfo(has_next_page=page.has_next,
                                               end_cursor=edges[-1].cursor if edges else None))


async def load_available_coupons_count(info: Info, member_id: int) -> int:
    ctx = info.context
    return await services.available_coupons_count(ctx.uow(), ctx.viewer, member_id, ctx.container.now())


# Registered in place (strawberry.enum returns the class itself), so type checkers see a plain enum.
strawberry.enum(DomainNotClaimable, name="NotClaimableReason", description="Why the member cannot claim an offer now.")
NotClaimableReason = DomainNotClaimable


@strawberry.type
class Offer:
    """A claimable offer as the signed-in member sees it."""

    id: strawberry.ID = strawberry.field(description="The coupon template id: pass it to `claimOffer`.")
    name: str
    kind: CouponKind
    value_cents: int
    percent: int
    cap_cents: int | None
    min_spend_cents: int
    categories: list[str]
    stores: list[str]
    valid_from: datetime | None
    valid_until: datetime | None = strawberry.field(description="The offer ends then (claims after are refused).")
    valid_days: int | None = strawberry.field(description="A claimed coupon is valid this many days.")
    usage_terms: str
    per_member_limit: int | None = strawberry.field(description="How many one member may claim; null: no limit.")
    claimed_by_me: int = strawberry.field(description="How many of these the member has claimed (or received).")
    remaining_for_me: int | None = strawberry.field(description="How many more the member may claim; null: no limit.")
    remaining_quantity: int | None = strawberry.field(description="Left for everyone; null: unlimited.")
    can_claim: bool = strawberry.field(description="False when `claimOffer` would be refused (see the reason).")
    not_claimable_reason: NotClaimableReason | None

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


@strawberry.input
class SaveCouponTemplateInput:
    id: strawberry.ID | None = None
    name: str
    kind: CouponKind
    value_cents: int = 0
    percent: int = 0
    cap_cents: int | None = None
    min_spend_cents: int = 0
    categories: list[str] = strawberry.field(default_factory=list)
    stores: list[str] = strawberry.field(default_factory=list)
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    valid_days: int | None = None
    per_member_limit: int | None = 1
    total_quantity: int | None = None
    claimable: bool = False
    active: bool = True


@strawberry.input
class IssueCouponsInput:
    template_id: strawberry.ID
    idempotency_key: str
    member_ids: list[strawberry.ID] | None = None
    tier_codes: list[str] | None = None
    tags: list[str] | None = None
    stages: list[LifecycleStage] | None = None
    rfm: RfmFilterInput | None = None


@strawberry.input
class CouponOrderInput:
    code: str
    store_id: str
    items: list[LineItemInput]
    order_id: str | None = None


@strawberry.type
class CouponTemplatePayload:
    template: CouponTemplate


@strawberry.type
class IssueCouponsPayload:
    issued: int


@strawberry.type
class CouponPayload:
    coupon: Coupon


@strawberry.type
class CouponCheck:
    applies: bool
    discount_cents: int
    reason: str
    coupon: Coupon


@strawberry.type
class RedeemCouponPayload:
    coupon: Coupon
    discount_cents: int


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
    async def coupon(self, info: Info, id: strawberry.ID) -> Coupon:
        found = await services.coupon_for(info.context.uow(), info.context.viewer, parse_id(id, type_name="Coupon"))
        return await coupon_view(info, found)

    @strawberry.field(description="POS: what a coupon would take off this basket (changes nothing).")
    async def validate_coupon(self, info: Info, input: CouponOrderInput) -> CouponCheck:
        ctx = info.context
        coupon, result = await services.check_coupon(services.CouponOrder(
            input.code, input.store_id, _items(input.items)), ctx.deps())
        return CouponCheck(applies=result.applies, discount_cents=result.discount_cents, reason=result.reason,
                           coupon=await coupon_view(info, coupon))


@strawberry.type
class OfferMutations:
    @strawberry.mutation(description="Staff: create (no id) or change a coupon template.")
    async def save_coupon_template(self, info: Info, input: SaveCouponTemplateInput) -> CouponTemplatePayload:
        ctx = info.context
        template = DomainTemplate(
            id=parse_id(input.id) if input.id is not None else 0, name=input.name, kind=input.kind,
            value_cents=input.value_cents, percent=input.percent, cap_cents=input.cap_cents,
            min_spend_cents=input.min_spend_cents, categories=list(input.categories), stores=list(input.stores),
            valid_from=input.valid_from, valid_until=input.valid_until, valid_days=input.valid_days,
            per_member_limit=input.per_member_limit, total_quantity=input.total_quantity,
            claimable=input.claimable, active=input.active,
        )
        saved = await services.save_template(ctx.uow(), ctx.viewer, template, ctx.container.now())
        return CouponTemplatePayload(template=CouponTemplate.from_domain(saved))

    @strawberry.mutation(description="Staff: send coupons to listed members or a segment (tiers, tags, stages, RFM).")
    async def issue_coupons(self, info: Info, input: IssueCouponsInput) -> IssueCouponsPayload:
        ctx = info.context
        segment = services.Segment(
            tier_codes=input.tier_codes, tags=input.tags, stages=stage_values(input.stages),
            rfm=input.rfm.to_domain() if input.rfm else None,
            member_ids=[parse_id(m, "memberIds") for m in input.member_ids] if input.member_ids is not None else None,
        )
        issued = await services.issue_to_segment(ctx.container.uow, ctx.viewer, parse_id(input.template_id),
                                                 segment, input.idempotency_key, ctx.container.now())
        return IssueCouponsPayload(issued=issued)

    @strawberry.mutation(description="Pick up a claimable offer.")
    async def claim_offer(self, info: Info, template_id: strawberry.ID) -> CouponPayload:
        ctx = info.context
        coupon = await services.claim_offer(ctx.uow(), ctx.viewer, parse_id(template_id), ctx.container.now())
        return CouponPayload(coupon=await coupon_view(info, coupon))

    @strawberry.mutation(description="POS: use a coupon on an order; idempotent on (store, orderId).")
    async def redeem_coupon(self, info: Info, input: CouponOrderInput) -> RedeemCouponPayload:
        ctx = info.context
        if not input.order_id:
            raise BadUserInput.for_field("orderId", "Redeeming needs the order id.")
        coupon, discount = await services.redeem_coupon(services.CouponOrder(
            input.code, input.store_id, _items(input.items), input.order_id), ctx.deps())
        return RedeemCouponPayload(coupon=await coupon_view(info, coupon), discount_cents=discount)
