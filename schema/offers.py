"""Coupons and offers: templates (staff), issuing, claiming, and validating/redeeming at the till."""

from __future__ import annotations

from datetime import datetime

import strawberry

from domain.errors import BadUserInput
from domain.offers import services
from domain.offers.model import Coupon as DomainCoupon
from domain.offers.model import CouponKind as DomainKind
from domain.offers.model import CouponStatus as DomainStatus
from domain.offers.model import CouponTemplate as DomainTemplate
from domain.offers.model import IssueSource as DomainSource
from domain.points.rules import LineItem
from schema.enums import LifecycleStage, stage_values
from schema.info import Info
from schema.points import LineItemInput
from schema.refs import parse_id
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
class Coupon:
    id: strawberry.ID
    code: str
    status: CouponStatus
    source: IssueSource
    issued_at: datetime
    valid_from: datetime
    valid_until: datetime
    redeemed_at: datetime | None
    discount_cents: int | None
    template_id: strawberry.ID

    @classmethod
    def from_domain(cls, c: DomainCoupon, now: datetime) -> Coupon:
        return cls(id=strawberry.ID(str(c.id)), code=c.code, status=c.status_at(now), source=c.source,
                   issued_at=c.issued_at, valid_from=c.valid_from, valid_until=c.valid_until,
                   redeemed_at=c.redeemed_at, discount_cents=c.discount_cents,
                   template_id=strawberry.ID(str(c.template_id)))


async def load_coupons(info: Info, member_id: int, status: DomainStatus | None, first: int) -> list[Coupon]:
    ctx = info.context
    now = ctx.container.now()
    rows = await services.member_coupons(ctx.uow(), ctx.viewer, member_id, status, now, first)
    return [Coupon.from_domain(c, now) for c in rows]


async def load_available_coupons_count(info: Info, member_id: int) -> int:
    ctx = info.context
    return await services.available_coupons_count(ctx.uow(), ctx.viewer, member_id, ctx.container.now())


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
    @strawberry.field(description="Offers members can claim in the app right now.")
    async def offers(self, info: Info) -> list[CouponTemplate]:
        info.context.viewer.require_member()
        return [CouponTemplate.from_domain(t)
                for t in await services.claimable_offers(info.context.uow(), info.context.container.now())]

    @strawberry.field(description="POS: what a coupon would take off this basket (changes nothing).")
    async def validate_coupon(self, info: Info, input: CouponOrderInput) -> CouponCheck:
        ctx = info.context
        now = ctx.container.now()
        coupon, result = await services.check_coupon(services.CouponOrder(
            input.code, input.store_id, _items(input.items)), ctx.deps())
        return CouponCheck(applies=result.applies, discount_cents=result.discount_cents, reason=result.reason,
                           coupon=Coupon.from_domain(coupon, now))


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
        return CouponPayload(coupon=Coupon.from_domain(coupon, ctx.container.now()))

    @strawberry.mutation(description="POS: use a coupon on an order; idempotent on (store, orderId).")
    async def redeem_coupon(self, info: Info, input: CouponOrderInput) -> RedeemCouponPayload:
        ctx = info.context
        if not input.order_id:
            raise BadUserInput.for_field("orderId", "Redeeming needs the order id.")
        coupon, discount = await services.redeem_coupon(services.CouponOrder(
            input.code, input.store_id, _items(input.items), input.order_id), ctx.deps())
        return RedeemCouponPayload(coupon=Coupon.from_domain(coupon, ctx.container.now()), discount_cents=discount)
