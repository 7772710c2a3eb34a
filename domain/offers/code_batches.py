"""Coupons as codes: staff make a batch of unique single-use codes for a template (print, a
partner); a member claims a code into their wallet, or a till redeems it directly.

One use per code is a conditional update (AVAILABLE → CLAIMED or REDEEMED): with two tills, or a
till and an app, racing for one code, exactly one update matches and the other is refused.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from datetime import datetime

from domain.auth.sources import purchase_source
from domain.auth.viewer import Role
from domain.deps import Deps
from domain.errors import BadUserInput, LimitExceeded, NotFound, OutOfStock
from domain.events import OfferIssued
from domain.idempotency import idempotent
from domain.offers.codes import is_batch_code, new_codes, normalise_code
from domain.offers.errors import CouponNotUsable
from domain.offers.model import CodeBatch, CodeStatus, Coupon, CouponCode, CouponTemplate, IssueSource
from domain.offers.rules import discount_for, validity
from domain.offers.services import CouponOrder, redeem_coupon
from domain.ports import UnitOfWork

MAX_BATCH = 10_000_000
_CHUNK = 100_000  # codes generated and sent to the database per round trip


@dataclass(frozen=True)
class CreateCodeBatch:
    template_id: int
    quantity: int
    label: str = ""


async def create_code_batch(cmd: CreateCodeBatch, deps: Deps,
                            progress: Callable[[int], None] | None = None) -> CodeBatch:
    """All the batch's codes in one transaction: a crash leaves no half batch (run it again).
    The codes count against the template's total quantity when it has one."""
    staff_id = deps.viewer.require_staff()
    uow, now = deps.uow, deps.clock.now()
    if not 1 <= cmd.quantity <= MAX_BATCH:
        raise BadUserInput.for_field("quantity", f"Make 1 to {MAX_BATCH:,} codes per batch.")
    label = cmd.label.strip()
    if len(label) > 80:
        raise BadUserInput.for_field("label", "A batch label is at most 80 characters.")
    async with uow:
        template = await uow.coupons.template(cmd.template_id)
        if template is None:
            raise NotFound("No such coupon template.")
        if not template.active:
            raise BadUserInput.for_field("templateId", "The template is not active.")
        _, valid_until = validity(template, now)
        if valid_until <= now:
            raise BadUserInput.for_field("templateId", "The template's coupons have ended.")
        if not await uow.coupons.take_quantity(template.id, cmd.quantity):
            raise OutOfStock("The template's total quantity does not allow this many codes.")
        batch = await uow.coupon_codes.add_batch(template.id, label or template.name, cmd.quantity, now, valid_until)
        missing = cmd.quantity
        while missing:
            # A duplicate (of this batch or any earlier code) is skipped by the unique index and
            # made up in the next round.
            inserted = await uow.coupon_codes.insert_codes(batch.id, new_codes(min(missing, _CHUNK)))
            missing -= inserted
            if progress is not None:
                progress(inserted)
        await uow.audit.record(Role.STAFF, staff_id, "coupon-codes.generated", f"coupon-code-batch:{batch.id}",
                               {"templateId": template.id, "quantity": cmd.quantity}, now)
        await uow.commit()
    return batch


async def batch_codes(new_uow: Callable[[], UnitOfWork], batch_id: int,
                      page: int = 10_000) -> AsyncIterator[list[CouponCode]]:
    """The batch's codes in generation order, a page per read: an export of millions never holds
    more than one page in memory, and it does not keep one long transaction open."""
    after = 0
    while True:
        async with new_uow().read_only() as uow:
            codes = await uow.coupon_codes.codes_after(batch_id, after, page)
        if not codes:
            return
        yield codes
        after = codes[-1].id


async def code_batch(uow: UnitOfWork, batch_id: int) -> CodeBatch:
    async with uow.read_only():
        batch = await uow.coupon_codes.batch(batch_id)
    if batch is None:
        raise NotFound("No such code batch.")
    return batch


async def _usable_code(uow: UnitOfWork, code: str, now: datetime) -> tuple[CouponCode, CodeBatch, CouponTemplate]:
    found = await uow.coupon_codes.by_code(code) if is_batch_code(code) else None
    if found is None:
        raise NotFound("No coupon has that code.")
    batch = await uow.coupon_codes.batch(found.batch_id)
    assert batch is not None
    template = await uow.coupons.template(batch.template_id)
    assert template is not None
    if not template.active:
        raise CouponNotUsable("This coupon has been withdrawn.")
    if now >= batch.valid_until:
        raise CouponNotUsable("This coupon is expired.")
    return found, batch, template


@dataclass(frozen=True)
class ClaimCode:
    code: str


async def claim_code(cmd: ClaimCode, deps: Deps) -> Coupon:
    """A member types a printed code: the coupon lands in their wallet with that same code. The
    template's per-member limit applies as for offers. Claiming a code one already claimed returns
    the same coupon (a retry after a lost answer); someone else's or a used code is refused."""
    member_id = deps.viewer.require_member()
    uow, now, code = deps.uow, deps.clock.now(), normalise_code(cmd.code)
    async with uow:
        found, batch, template = await _usable_code(uow, code, now)
        if found.status is CodeStatus.CLAIMED and found.member_id == member_id and found.coupon_id:
            mine = (await uow.coupons.coupons_by_ids([found.coupon_id])).get(found.coupon_id)
            if mine is not None:
                return mine
        if found.status is not CodeStatus.AVAILABLE:
            raise CouponNotUsable("This code has already been used.")
        if template.per_member_limit is not None:
            await uow.lock(f"coupon:{template.id}:{member_id}")
            if await uow.coupons.issued_to(template.id, member_id) >= template.per_member_limit:
                raise LimitExceeded("You already hold as many of these coupons as allowed.")
        if not await uow.coupon_codes.mark_claimed(found.id, member_id, now):
            raise CouponNotUsable("This code has already been used.")
        start, end = validity(template, now)
        coupon = await uow.coupons.add_coupon(template.id, member_id, code, IssueSource.CODE, f"code/{found.id}",
                                              now, start, min(end, batch.valid_until))
        assert coupon is not None  # the claim above is the only way to this issue key
        await uow.coupon_codes.link_coupon(found.id, coupon.id)
        uow.publish_after_commit(OfferIssued(member_id, coupon.id, template.id, IssueSource.CODE.value))
        await uow.commit()
    return coupon


@dataclass(frozen=True)
class CodeRedemption:
    """`coupon`: the member's coupon when the code had been claimed (it was used as that coupon)."""

    code: str
    status: CodeStatus
    discount_cents: int
    coupon: Coupon | None = None


async def redeem_code(cmd: CouponOrder, deps: Deps) -> CodeRedemption:
    """Use a batch code on an order at a till; idempotent on (store, order) like redeemCoupon, in the
    same key space, so one order id cannot take two coupons."""
    uow, viewer, now = deps.uow, deps.viewer, deps.clock.now()
    source = purchase_source(viewer, cmd.store_id)
    code = normalise_code(cmd.code)
    if not cmd.order_id:
        raise BadUserInput.for_field("orderId", "Redeeming needs the order id.")
    if not cmd.items or any(i.amount_cents < 0 for i in cmd.items):
        raise BadUserInput.for_field("items", "Send the order's line items.")
    async with uow.read_only():
        claimed = await uow.coupon_codes.by_code(code) if is_batch_code(code) else None
    if claimed is not None and claimed.status is CodeStatus.CLAIMED:
        coupon, discount = await redeem_coupon(replace(cmd, code=code), deps)
        return CodeRedemption(code, CodeStatus.CLAIMED, discount, coupon)
    order_ref = f"{source}/{cmd.order_id}"
    async with uow, idempotent(uow, f"coupon-order:{source}", cmd.order_id, {"code": code}, now) as slot:
        if slot.replay is not None:
            done = await uow.coupon_codes.by_order(order_ref)
            if done is None:
                raise NotFound("The original redemption is missing.")
            return CodeRedemption(done.code, done.status, done.discount_cents or 0)
        found, _, template = await _usable_code(uow, code, now)
        if found.status is not CodeStatus.AVAILABLE:
            raise CouponNotUsable("This code has already been used.")
        if template.valid_from is not None and now < template.valid_from:
            raise CouponNotUsable("This coupon is not valid yet.")
        result = discount_for(template, cmd.store_id, cmd.items)
        if not result.applies:
            raise CouponNotUsable(result.reason)
        if not await uow.coupon_codes.mark_redeemed(found.id, order_ref, result.discount_cents, now):
            raise CouponNotUsable("This code was just used.")
        slot.done({"code": found.id})
        await uow.commit()
    return CodeRedemption(code, CodeStatus.REDEEMED, result.discount_cents)
