"""Coupon use cases: configure templates, issue (welcome, birthday, upgrade, staff, claim), and
validate or redeem at the till."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from domain import cursors
from domain.auth.sources import purchase_source
from domain.auth.viewer import Role, Viewer
from domain.benefits.rules import new_voucher_code
from domain.deps import Deps
from domain.errors import BadUserInput, LimitExceeded, NotFound, OutOfStock
from domain.events import CouponRedeemed, OfferIssued
from domain.idempotency import idempotent
from domain.offers.errors import CouponNotUsable
from domain.offers.model import Coupon, CouponStatus, CouponTemplate, IssueSource, OfferForMember
from domain.offers.rules import Discount, discount_for, validate_template, validity
from domain.points.rules import LineItem
from domain.ports import UnitOfWork
from domain.segments.model import RfmFilter, SegmentFilter
from domain.segments.services import resolve_filter
from domain.visibility import reads_member

MAX_LISTED_MEMBERS = 1_000


async def save_template(uow: UnitOfWork, viewer: Viewer, template: CouponTemplate, now: datetime) -> CouponTemplate:
    staff_id = viewer.require_staff()
    validate_template(template)
    async with uow:
        if template.id and await uow.coupons.template(template.id) is None:
            raise NotFound("No such coupon template.")
        saved = await uow.coupons.save_template(replace(template, name=template.name.strip()), now)
        await uow.audit.record(Role.STAFF, staff_id, "coupon-template.saved", f"coupon-template:{saved.id}",
                               {"kind": saved.kind.value, "active": saved.active}, now)
        await uow.commit()
    return saved


@dataclass(frozen=True)
class CouponGrant:
    """Who gets a coupon and why; `issue_key` makes the grant happen once."""

    member_id: int
    source: IssueSource
    issue_key: str


async def issue(uow: UnitOfWork, template: CouponTemplate, grant: CouponGrant, now: datetime, *,
                enforce_member_limit: bool = True) -> Coupon | None:
    """Inside the caller's transaction. None when the issue_key was already used or the member
    reached the template's limit; raises OutOfStock when the total quantity is gone."""
    member_id, source, issue_key = grant.member_id, grant.source, grant.issue_key
    if not template.active:
        return None
    if enforce_member_limit and template.per_member_limit is not None:
        await uow.lock(f"coupon:{template.id}:{member_id}")
        if await uow.coupons.issued_to(template.id, member_id) >= template.per_member_limit:
            return None
    start, end = validity(template, now)
    if end <= now:
        return None
    coupon = await uow.coupons.add_coupon(template.id, member_id, new_voucher_code(), source, issue_key, now, start,
                                          end)
    if coupon is None:
        return None
    if not await uow.coupons.take_quantity(template.id, 1):
        raise OutOfStock("All of these coupons have been given out.")
    uow.publish_after_commit(OfferIssued(member_id, coupon.id, template.id, source.value))
    return coupon


async def issue_by_setting(uow: UnitOfWork, template_id: int, grant: CouponGrant, now: datetime) -> Coupon | None:
    """Issue the coupon a program setting names (welcome, birthday, upgrade), if it names one."""
    if not template_id:
        return None
    template = await uow.coupons.template(template_id)
    if template is None:
        return None
    try:
        return await issue(uow, template, grant, now)
    except OutOfStock:
        return None  # an automatic gift that ran out is skipped, not an error for the member


async def claim_offer(uow: UnitOfWork, viewer: Viewer, template_id: int, now: datetime) -> Coupon:
    """A member picks up a claimable offer in the app; the per-member limit holds under concurrency."""
    member_id = viewer.require_member()
    async with uow:
        template = await uow.coupons.template(template_id)
        if template is None or not template.claimable or not template.active:
            raise NotFound("That offer is not available.")
        if template.valid_until is not None and template.valid_until <= now:
            raise NotFound("That offer has ended.")
        if template.valid_from is not None and template.valid_from > now:
            raise NotFound("That offer has not started.")
        taken = await uow.coupons.issued_to(template.id, member_id)
        coupon = await issue(uow, template, CouponGrant(
            member_id, IssueSource.CLAIM, f"claim/{template.id}/{member_id}/{taken}"), now)
        if coupon is None:
            raise LimitExceeded("You already claimed this offer.")
        await uow.commit()
    return coupon


@dataclass(frozen=True)
class Segment:
    """Listed members, or everyone matching the given tiers, tags, lifecycle stages and RFM scores
    (the same selection staff see through memberSegment)."""

    tier_codes: list[str] | None = None
    tags: list[str] | None = None
    member_ids: list[int] | None = None
    stages: list[str] | None = None
    rfm: RfmFilter | None = None

    @property
    def selection(self) -> SegmentFilter:
        return SegmentFilter(self.stages, self.tier_codes, self.tags, self.rfm)


@dataclass(frozen=True)
class IssueToSegment:
    """`key` is the staff's idempotency key for the whole send."""

    template_id: int
    segment: Segment
    key: str


async def issue_to_segment(cmd: IssueToSegment, deps: Deps) -> int:
    """Staff send a coupon to listed members or to everyone in a segment. Idempotent per
    member and key: a rerun after a crash completes the rest without doubling anyone's coupon.
    One transaction per batch of members (the unit of work is entered once per batch)."""
    uow, now, template_id, segment, key = deps.uow, deps.clock.now(), cmd.template_id, cmd.segment, cmd.key
    deps.viewer.require_staff()
    if segment.member_ids is not None and len(segment.member_ids) > MAX_LISTED_MEMBERS:
        raise BadUserInput.for_field("memberIds", f"List at most {MAX_LISTED_MEMBERS} members; use a segment.")
    if segment.member_ids is None and segment.selection.empty:
        raise BadUserInput.for_field("segment", "Name members, tiers, tags, lifecycle stages or RFM scores.")
    if segment.member_ids is not None and not segment.selection.empty:
        # Sending to the listed members only would silently ignore the filter staff typed.
        raise BadUserInput.for_field("memberIds", "List members or describe a segment, not both.")
    async with uow:
        template = await uow.coupons.template(template_id)
        if template is None:
            raise NotFound("No such coupon template.")
        query = await resolve_filter(uow, segment.selection) if segment.member_ids is None else None
    issued = 0
    after = 0
    while True:
        async with uow:
            if query is None:
                batch = sorted(m for m in set(segment.member_ids or []) if m > after)[:200]
            else:
                batch = await uow.segments.find(query, after, 200)
            if not batch:
                return issued
            for member_id in batch:
                member = await uow.members.get(member_id)
                if member is None or member.is_erased:
                    continue
                coupon = await issue(uow, template, CouponGrant(
                    member_id, IssueSource.STAFF, f"staff/{template.id}/{key}/{member_id}"), now,
                    enforce_member_limit=False)
                issued += coupon is not None
            await uow.commit()
        after = batch[-1]


@dataclass(frozen=True)
class CouponOrder:
    """A coupon presented at a till: `order_id` only when it is used (redeem), not when checked."""

    code: str
    store_id: str
    items: list[LineItem]
    order_id: str = ""


async def check_coupon(cmd: CouponOrder, deps: Deps) -> tuple[Coupon, Discount]:
    uow, viewer, now = deps.uow, deps.viewer, deps.clock.now()
    code, store_id, items = cmd.code, cmd.store_id, cmd.items
    # Staff at the till only: a partner checking codes would learn which coupons exist.
    viewer.require_store(store_id)
    async with uow:
        coupon = await uow.coupons.coupon_by_code(code.strip().upper())
        if coupon is None:
            raise NotFound("No coupon has that code.")
        template = await uow.coupons.template(coupon.template_id)
    assert template is not None
    return coupon, _evaluate(coupon, template, store_id, items, now)


def _evaluate(coupon: Coupon, template: CouponTemplate, store_id: str, items: list[LineItem],
              now: datetime) -> Discount:
    status = coupon.status_at(now)
    if status is not CouponStatus.AVAILABLE:
        return Discount(False, 0, f"This coupon is {status.value.lower()}.")
    if now < coupon.valid_from:
        return Discount(False, 0, "This coupon is not valid yet.")
    return discount_for(template, store_id, items)


async def redeem_coupon(cmd: CouponOrder, deps: Deps) -> tuple[Coupon, int]:
    """Use a coupon on an order: computes the discount; idempotent on (source, order)."""
    uow, viewer, now = deps.uow, deps.viewer, deps.clock.now()
    code, order_id, store_id, items = cmd.code, cmd.order_id, cmd.store_id, cmd.items
    source = purchase_source(viewer, store_id)
    if not items or any(i.amount_cents < 0 for i in items):
        raise BadUserInput.for_field("items", "Send the order's line items.")
    order_ref = f"{source}/{order_id}"
    async with uow, idempotent(uow, f"coupon-order:{source}", order_id, {"code": code.strip().upper()}, now) as slot:
        if slot.replay is not None:
            coupon = await uow.coupons.coupon_by_order(order_ref)
            if coupon is None:
                raise NotFound("The original redemption is missing.")
            return coupon, coupon.discount_cents or 0
        coupon = await uow.coupons.coupon_by_code(code.strip().upper(), for_update=True)
        if coupon is None:
            raise NotFound("No coupon has that code.")
        template = await uow.coupons.template(coupon.template_id)
        assert template is not None
        result = _evaluate(coupon, template, store_id, items, now)
        if not result.applies:
            raise CouponNotUsable(result.reason)
        if not await uow.coupons.mark_redeemed(coupon.id, order_ref, result.discount_cents, now):
            raise CouponNotUsable("This coupon was just used.")
        uow.publish_after_commit(CouponRedeemed(coupon.member_id, coupon.id, coupon.template_id, order_ref,
                                                result.discount_cents))
        slot.done({"coupon": coupon.id})
        await uow.commit()
        used = await uow.coupons.coupon_by_code(coupon.code)
    assert used is not None
    return used, result.discount_cents


@dataclass(frozen=True)
class CouponPage:
    coupons: list[Coupon]
    has_next: bool
    total: int


@dataclass(frozen=True)
class MemberCoupons:
    member_id: int
    status: CouponStatus | None
    first: int
    after: str | None = None


async def member_coupons(cmd: MemberCoupons, deps: Deps) -> CouponPage:
    """Newest first, keyset-paginated on the coupon id."""
    uow, viewer, now = deps.uow, deps.viewer, deps.clock.now()
    member_id, status, first, after = cmd.member_id, cmd.status, cmd.first, cmd.after
    viewer.require_self_or_staff(member_id)
    if not 1 <= first <= 100:
        raise BadUserInput.for_field("first", "Ask for 1 to 100 coupons.")
    before_id = cursors.decode_int(after)[1] if after else None
    async with uow.read_only():
        found = await uow.coupons.member_coupons(member_id, status, now, first + 1, before_id)
        total = await uow.coupons.count_coupons(member_id, status, now)
    return CouponPage(found[:first], len(found) > first, total)


async def visible_coupons(uow: UnitOfWork, viewer: Viewer, coupon_ids: list[int]) -> dict[int, Coupon]:
    """The caller's own coupons among these ids (staff: all), in one query; others are absent."""
    async with uow.read_only():
        found = await uow.coupons.coupons_by_ids(coupon_ids)
    return {i: c for i, c in found.items() if reads_member(viewer, c.member_id)}


async def coupon_for(uow: UnitOfWork, viewer: Viewer, coupon_id: int) -> Coupon:
    """One coupon: its holder or staff; anyone else learns nothing (NOT_FOUND)."""
    found = (await visible_coupons(uow, viewer, [coupon_id])).get(coupon_id)
    if found is None:
        raise NotFound("No such coupon.")
    return found


async def templates_by_id(uow: UnitOfWork, template_ids: list[int]) -> dict[int, CouponTemplate]:
    async with uow.read_only():
        return await uow.coupons.templates(template_ids)


async def available_coupons_count(uow: UnitOfWork, viewer: Viewer, member_id: int, now: datetime) -> int:
    """The badge on the app's offers tab: coupons the member holds and can still use."""
    viewer.require_self_or_staff(member_id)
    async with uow.read_only():
        return await uow.coupons.count_available(member_id, now)


async def offers_for_member(uow: UnitOfWork, viewer: Viewer, now: datetime) -> list[OfferForMember]:
    """Running offers with what this member already claimed; offers they can no longer claim stay
    listed (marked), so an app can show "claimed" instead of a button that fails."""
    member_id = viewer.require_member()
    async with uow.read_only():
        templates = await uow.coupons.claimable_templates(now)
        claimed = await uow.coupons.claimed_counts(member_id, [t.id for t in templates])
    return [OfferForMember(t, claimed.get(t.id, 0)) for t in templates]
