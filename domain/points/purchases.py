"""Purchases earn points (pending through the return window); refunds take them back proportionally."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from domain.auth.sources import purchase_source
from domain.deps import Deps
from domain.errors import BadUserInput, FieldError, IdempotencyConflict, NotFound
from domain.events import PurchaseRecorded, PurchaseRefunded
from domain.idempotency import idempotent
from domain.members.lookup import MemberRef, resolve
from domain.payments.model import HoldStatus
from domain.payments.refunds import return_paid_points
from domain.points.expiry_policy import lot_expiry
from domain.points.ledger import credit, debit
from domain.points.model import EntryKind, SalesChannel
from domain.points.ports import NewEntry, Purchase, Refund
from domain.points.rules import LineItem, purchase_points
from domain.ports import UnitOfWork
from domain.program.services import load_settings
from domain.referrals.services import reward_on_purchase
from domain.tiers.model import TierChange
from domain.tiers.services import apply_qualification, window_start

_ORDER_ID = re.compile(r"[A-Za-z0-9_.:\-]{1,64}")
MAX_ITEMS = 200
MAX_QUANTITY = 100_000
MAX_ORDER_CENTS = 100_000_000_00  # ¥100 million: anything above is a keying error


@dataclass(frozen=True)
class PurchaseCommand:
    member: MemberRef
    order_id: str
    store_id: str
    amount_cents: int
    items: list[LineItem]
    purchased_at: datetime | None = None
    channel: SalesChannel | None = None  # None: POS, the till that sends this mutation


@dataclass(frozen=True)
class PurchaseResult:
    purchase: Purchase
    points: int
    tier_change: TierChange | None


def _validate(cmd: PurchaseCommand, now: datetime) -> None:
    errors: list[FieldError] = []
    if not _ORDER_ID.fullmatch(cmd.order_id or ""):
        errors.append(FieldError("orderId", "Use 1-64 letters, digits or . _ : -"))
    if not _ORDER_ID.fullmatch(cmd.store_id or ""):
        errors.append(FieldError("storeId", "Use 1-64 letters, digits or . _ : -"))
    if not 0 < cmd.amount_cents <= MAX_ORDER_CENTS:
        errors.append(FieldError("amountCents", "The amount must be positive (in cents)."))
    if not 0 < len(cmd.items) <= MAX_ITEMS:
        errors.append(FieldError("items", f"Send 1 to {MAX_ITEMS} line items."))
    elif any(i.amount_cents < 0 or not 0 < len(i.category.strip()) <= 40 for i in cmd.items):
        errors.append(FieldError("items", "Each item has a category (1-40 characters) and a non-negative amount."))
    elif any(not 0 < i.quantity <= MAX_QUANTITY for i in cmd.items):
        errors.append(FieldError("items", f"Each item has a quantity of 1 to {MAX_QUANTITY}."))
    elif sum(i.amount_cents for i in cmd.items) != cmd.amount_cents:
        errors.append(FieldError("items", "Line items must add up to the order amount."))
    if cmd.purchased_at is not None and cmd.purchased_at > now + timedelta(minutes=5):
        errors.append(FieldError("purchasedAt", "A purchase cannot be in the future."))
    if errors:
        raise BadUserInput("The purchase is invalid.", errors)


def validate_order(cmd: PurchaseCommand, now: datetime) -> None:
    """The shape of an order (ids, amount, lines add up); a points payment's order is checked alike."""
    _validate(cmd, now)


async def record_purchase(cmd: PurchaseCommand, deps: Deps) -> PurchaseResult:
    """Rules that describe the purchase judge it by its own time (`purchasedAt`, default now), not
    by when the POS uploaded it: a CAMPAIGN (double-points day) runs on the purchase's day in the
    program's time zone, and the return window (points pending) runs from the purchase. Points
    expire counting from the credit, when the member got them. See README "Purchase time"."""
    uow, viewer, now = deps.uow, deps.viewer, deps.clock.now()
    source = purchase_source(viewer, cmd.store_id)
    _validate(cmd, now)
    bought_at = cmd.purchased_at or now
    payload = {"member": cmd.member.__dict__, "amount": cmd.amount_cents, "store": cmd.store_id,
               "items": [_payload_item(i) for i in cmd.items]}
    if cmd.channel is not None:  # absent as before channels existed, so an old order still replays
        payload["channel"] = cmd.channel.value
    async with uow, idempotent(uow, f"purchase:{source}", cmd.order_id, payload, now) as slot:
        member = await resolve(uow, cmd.member)
        if slot.replay is not None:
            return await _replay(uow, source, cmd.order_id)
        await uow.points.lock_account(member.id, now)
        settings = await load_settings(uow)  # the program snapshot: no statement on a warm worker
        # The tier row and the spend in the tier window in one read; the qualification below adds
        # this purchase instead of summing the window again.
        since = window_start(now, settings, deps.clock.zone)
        state, spend_before = await uow.tiers.member_tier_and_spend(member.id, since)
        tier = next((t for t in await uow.tiers.tiers() if t.id == state.tier_id), None) if state else None
        multiplier = tier.multiplier_pct if tier is not None else 100
        rules = await uow.rules.rules()
        earned = purchase_points(cmd.items, rules, multiplier, deps.clock.day_of(bought_at))
        paid = (await uow.holds.get(source, cmd.order_id) if uow.points.may_have_points_payment(member.id)
                else None)
        if paid is not None and paid.status is HoldStatus.CAPTURED:
            # Points earn on what was paid in money only: the share points paid earns nothing.
            cash = max(0, cmd.amount_cents - paid.covers_cents)
            earned = replace(earned, points=earned.points * cash // cmd.amount_cents,
                             breakdown=[*earned.breakdown, {"paidWithPointsCents": paid.covers_cents}])
        entry_id: int | None = None
        if earned.points > 0:
            entry = await credit(
                uow,
                NewEntry(member.id, EntryKind.EARN, earned.points, f"Purchase {cmd.order_id}", "purchase",
                         f"{source}/{cmd.order_id}", f"{source}/{cmd.order_id}", viewer.role, viewer.subject_id,
                         {"breakdown": earned.breakdown, "tierMultiplierPct": multiplier}),
                now, bought_at + timedelta(days=settings.return_window_days),
                lot_expiry(now, settings, deps.clock.zone),
            )
            entry_id = entry.id
        # Written with its points and entry at once: the purchase row is the result the caller sees.
        purchase = await uow.purchases.add(member.id, source, cmd.order_id, cmd.store_id, cmd.amount_cents,
                                           cmd.items, bought_at, now, points=earned.points, entry_id=entry_id,
                                           channel=cmd.channel or SalesChannel.POS)
        spend = spend_before + (cmd.amount_cents if bought_at > since else 0)
        change = await apply_qualification(uow, member.id, now, settings, allow_downgrade=False,
                                           zone=deps.clock.zone, known=(state, spend))
        await reward_on_purchase(uow, member.id, cmd.amount_cents, now, deps.clock.zone)
        uow.publish_after_commit(PurchaseRecorded(member.id, purchase.id, cmd.store_id, cmd.order_id,
                                                  cmd.amount_cents, earned.points))
        slot.done({"purchaseId": purchase.id})
        await uow.commit()
    return PurchaseResult(purchase, earned.points, change)


def _payload_item(item: LineItem) -> dict[str, object]:
    """The line as the idempotency payload holds it; quantity 1 left out, so an order sent before
    quantities existed replays rather than conflicts."""
    line = dict(item.__dict__)
    if line["quantity"] == 1:
        del line["quantity"]
    return line


async def _replay(uow: UnitOfWork, source: str, order_id: str) -> PurchaseResult:
    purchase = await uow.purchases.get(source, order_id)
    if purchase is None:  # stored result without a purchase cannot happen; fail loudly if it does
        raise NotFound("The original purchase is missing.")
    return PurchaseResult(purchase, purchase.points_awarded, None)


async def _replay_after_commit(uow: UnitOfWork, source: str, order_id: str) -> Purchase:
    async with uow:
        purchase = await uow.purchases.get(source, order_id)
    assert purchase is not None
    return purchase


@dataclass(frozen=True)
class RefundResult:
    purchase: Purchase
    refund: Refund
    points_returned: int = 0  # of the points that paid the order (domain/payments/refunds.py)


@dataclass(frozen=True)
class RefundCommand:
    store_id: str
    order_id: str
    refund_id: str
    amount_cents: int


async def record_refund(cmd: RefundCommand, deps: Deps) -> RefundResult:
    """Reverse points in proportion to the refunded amount. The purchase's own lot is taken back
    first; if those points were already spent, what is left elsewhere is clawed back and the
    rest is recorded as a shortfall (the balance never goes negative). If points paid part of
    the order, their share of the refund comes back to the lots they came from (return_paid_points)."""
    uow, viewer, now = deps.uow, deps.viewer, deps.clock.now()
    store_id, order_id, refund_id, amount_cents = cmd.store_id, cmd.order_id, cmd.refund_id, cmd.amount_cents
    source = purchase_source(viewer, store_id)
    if not _ORDER_ID.fullmatch(refund_id or ""):
        raise BadUserInput.for_field("refundId", "Use 1-64 letters, digits or . _ : -")
    if amount_cents <= 0:
        raise BadUserInput.for_field("amountCents", "The refund amount must be positive (in cents).")
    async with uow, idempotent(uow, f"refund:{source}/{order_id}", refund_id, {"amount": amount_cents}, now) as slot:
        purchase = await uow.purchases.get(source, order_id)
        if purchase is None:
            raise NotFound("No such order from this source.")
        if slot.replay is not None:
            refund = await uow.purchases.refund(purchase.id, refund_id)
            if refund is None:
                raise IdempotencyConflict("The original refund is missing.")
            back = await uow.points.entry_by_key("payment", f"pay-refund/{source}/{order_id}/{refund_id}")
            return RefundResult(purchase, refund, back.amount if back else 0)
        if purchase.refunded_cents + amount_cents > purchase.amount_cents:
            raise BadUserInput.for_field(
                "amountCents",
                f"Only {purchase.amount_cents - purchase.refunded_cents} cents of this order are left to refund.",
            )
        await uow.points.lock_account(purchase.member_id, now)
        owed = purchase.points_awarded * (purchase.refunded_cents + amount_cents) // purchase.amount_cents
        reverse = owed - purchase.points_reversed
        entry_id: int | None = None
        shortfall = 0
        if reverse > 0:
            own_lots: tuple[int, ...] = ()
            if purchase.entry_id is not None:
                own_lots = tuple(lot.id for lot in await uow.points.open_lots(purchase.member_id)
                                 if lot.entry_id == purchase.entry_id)
            moved = await debit(
                uow,
                NewEntry(purchase.member_id, EntryKind.REVERSE, -reverse, f"Refund {refund_id} of {order_id}",
                         "refund", f"{source}/{order_id}/{refund_id}", f"{source}/{order_id}/{refund_id}",
                         viewer.role, viewer.subject_id),
                now, first_lot_ids=own_lots, allow_shortfall=True,
            )
            entry_id = moved.entry.id if moved.entry else None
            shortfall = moved.shortfall
        refund = await uow.purchases.add_refund(purchase, refund_id, amount_cents, reverse, shortfall, entry_id, now)
        returned = await return_paid_points(uow, viewer, purchase, refund_id, amount_cents, now)
        uow.publish_after_commit(PurchaseRefunded(purchase.member_id, purchase.id, store_id, order_id, refund_id,
                                                  amount_cents, reverse))
        slot.done({"refundId": refund.id})
        await uow.commit()
    return RefundResult(await _replay_after_commit(uow, source, order_id), refund, returned)
