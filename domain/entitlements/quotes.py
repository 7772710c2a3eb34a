"""Use cases of the member price quote and the coupon stacking rules it follows."""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.auth.viewer import Role
from domain.deps import Deps
from domain.entitlements.pricing import Quote, best_quote
from domain.entitlements.rules import STORE_ID
from domain.errors import BadUserInput, FieldError, NotFound
from domain.members.lookup import MemberRef, resolve
from domain.offers.model import CouponKind, CouponStatus
from domain.points.rules import LineItem
from domain.tiers.model import Tier
from domain.tiers.rules import ladder

MAX_LINES = 200
MAX_COUPONS_CONSIDERED = 100  # newest available coupons; a wallet holds far fewer
_CATEGORY = re.compile(r".{1,40}", re.S)


@dataclass(frozen=True)
class QuoteOrder:
    member: MemberRef | None  # staff name the member; a member quotes for themselves
    store_id: str
    lines: list[LineItem]


@dataclass(frozen=True)
class MemberQuote:
    member_id: int
    tier: Tier | None
    quote: Quote


def _check(cmd: QuoteOrder) -> None:
    errors = []
    if not STORE_ID.fullmatch(cmd.store_id or ""):
        errors.append(FieldError("storeId", "A store id is 1-64 letters, digits or . _ : -."))
    if not 1 <= len(cmd.lines) <= MAX_LINES:
        errors.append(FieldError("lines", f"Send 1 to {MAX_LINES} lines."))
    for i, line in enumerate(cmd.lines[:MAX_LINES]):
        if not 0 < line.amount_cents <= 10**11:
            errors.append(FieldError(f"lines.{i}.amountCents", "A line amount is a positive number of fen."))
        if not line.category.strip() or not _CATEGORY.fullmatch(line.category):
            errors.append(FieldError(f"lines.{i}.category", "A category is 1 to 40 characters."))
    if errors:
        raise BadUserInput("The order is invalid.", errors)


async def quote_order(cmd: QuoteOrder, deps: Deps) -> MemberQuote:
    """Read only: nothing is reserved; the POS redeems the quoted coupon with `redeemCoupon`."""
    viewer, now = deps.viewer, deps.clock.now()
    own: int | None = None
    if viewer.role is Role.STAFF:
        viewer.require_staff()
        if cmd.member is None:
            raise BadUserInput.for_field("member", "Name the member the order is for.")
    else:
        own = viewer.require_member()
        if cmd.member is not None and cmd.member.member_id != own:
            raise NotFound("No such member.")
    _check(cmd)
    async with deps.uow.read_only() as uow:
        if own is not None:
            member_id = own
        else:
            assert cmd.member is not None
            member_id = (await resolve(uow, cmd.member)).id
        tiers = await uow.tiers.tiers()
        state = await uow.tiers.member_tier(member_id)
        tier = next((t for t in tiers if state and t.id == state.tier_id), None) or next(iter(ladder(tiers)), None)
        kinds = {k.id: k for k in await uow.entitlements.kinds() if k.active}
        grants = [g for g in await uow.entitlements.grants([tier.id]) if g.kind_id in kinds] if tier else []
        held = await uow.coupons.member_coupons(member_id, CouponStatus.AVAILABLE, now, MAX_COUPONS_CONSIDERED)
        templates = await uow.coupons.templates(sorted({c.template_id for c in held}))
        stacking = await uow.entitlements.stacking()
    usable = [(c, templates[c.template_id]) for c in held
              if c.status_at(now) is CouponStatus.AVAILABLE and c.valid_from <= now and c.template_id in templates]
    quote = best_quote(cmd.lines, cmd.store_id, grants, usable, lambda kind: stacking.get(kind.value, True))
    return MemberQuote(member_id, tier, quote)


async def coupon_stacking(deps: Deps) -> dict[CouponKind, bool]:
    deps.viewer.require_staff()
    async with deps.uow.read_only() as uow:
        stored = await uow.entitlements.stacking()
    return {kind: stored.get(kind.value, True) for kind in CouponKind}


async def set_coupon_stacking(with_member_price: list[CouponKind], deps: Deps) -> dict[CouponKind, bool]:
    """Staff: the coupon kinds that combine with the member price on one order; the others do not
    (the quote then uses whichever of the two saves the member more). Audited."""
    staff_id = deps.viewer.require_staff()
    rules = {kind: kind in with_member_price for kind in CouponKind}
    async with deps.uow as uow:
        await uow.entitlements.replace_stacking({k.value: v for k, v in rules.items()})
        await uow.audit.record(Role.STAFF, staff_id, "coupon_stacking.set", "program",
                               {"withMemberPrice": sorted(k.value for k in with_member_price)}, deps.clock.now())
        await uow.commit()
    return rules
