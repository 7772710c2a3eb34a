"""Use cases of points as payment. Every state change of a member's holds happens under that
member's account lock (lock_account), the lock every debit takes: so an authorization, a
redemption, a gift or a second authorization queue one behind the other and none can spend points
another has reserved; and a hold never moves the ledger (only its capture does)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.auth.sources import purchase_source
from domain.auth.viewer import Role
from domain.deps import Deps
from domain.errors import BadUserInput, Conflict, InsufficientPoints, NotFound
from domain.idempotency import idempotent
from domain.members.lookup import MemberRef, resolve
from domain.payments.errors import PaymentNotOpen
from domain.payments.model import Hold, HoldStatus, Quote, QuoteLimit
from domain.payments.rules import cents_for, quote
from domain.points.ledger import debit
from domain.points.lots import plan_consumption
from domain.points.model import EntryKind
from domain.points.ports import NewEntry
from domain.points.purchases import PurchaseCommand, validate_order
from domain.points.rules import LineItem
from domain.ports import UnitOfWork
from domain.program.services import load_settings


@dataclass(frozen=True)
class QuotePayment:
    member: MemberRef | None  # None: the signed-in member
    amount_cents: int
    items: list[LineItem]


@dataclass(frozen=True)
class AuthorizePayment:
    member: MemberRef
    store_id: str
    order_id: str
    amount_cents: int
    items: list[LineItem]
    points: int | None  # None: as many as the quote allows
    idempotency_key: str


@dataclass(frozen=True)
class PaymentRef:
    store_id: str
    order_id: str


async def _spendable(uow: UnitOfWork, member_id: int, deps: Deps) -> int:
    now = deps.clock.now()
    return sum(lot.remaining for lot in await uow.points.open_lots(member_id) if lot.is_spendable(now))


async def quote_points_payment(cmd: QuotePayment, deps: Deps) -> Quote:
    """What the member may pay with points on this order now (staff name the member; a member asks
    for themself). A read: nothing is reserved until authorize."""
    uow, viewer, now = deps.uow, deps.viewer, deps.clock.now()
    own = 0
    if viewer.role is Role.STAFF:
        viewer.require_staff()
        if cmd.member is None:
            raise BadUserInput.for_field("member", "Name the member who pays.")
    else:
        own = viewer.require_member()
        if cmd.member is not None:
            raise BadUserInput.for_field("member", "A member quotes for themself: leave member out.")
    validate_order(PurchaseCommand(MemberRef(), "quote", "quote", cmd.amount_cents, cmd.items), now)
    async with uow.read_only():
        member_id = (await resolve(uow, cmd.member)).id if cmd.member is not None else own
        settings = await load_settings(uow)
        return quote(cmd.amount_cents, cmd.items, settings, await _spendable(uow, member_id, deps))


async def authorize_points_payment(cmd: AuthorizePayment, deps: Deps) -> Hold:
    """Hold points on the oldest spendable lots for one order (the POS). Idempotent: the same
    idempotency key replays the hold; another key on an order that already has one is CONFLICT."""
    uow, viewer, now = deps.uow, deps.viewer, deps.clock.now()
    source = purchase_source(viewer, cmd.store_id)
    validate_order(PurchaseCommand(cmd.member, cmd.order_id, cmd.store_id, cmd.amount_cents, cmd.items), now)
    if cmd.points is not None and cmd.points <= 0:
        raise BadUserInput.for_field("points", "Pay a positive number of points, or leave points out.")
    request = {"member": cmd.member.__dict__, "amount": cmd.amount_cents, "points": cmd.points,
               "items": [i.__dict__ for i in cmd.items]}
    async with uow, idempotent(uow, f"pay-authorize:{source}/{cmd.order_id}", cmd.idempotency_key, request,
                               now) as slot:
        if slot.replay is not None:
            return await _hold(uow, int(slot.replay["hold"]))
        member = await resolve(uow, cmd.member)
        await uow.points.lock_account(member.id, now)
        if (existing := await uow.holds.get(source, cmd.order_id)) is not None:
            raise Conflict("This order already has a points payment.", status=existing.status_at(now).value)
        # Holds past their time free their points here too, so a late job never blocks the member.
        for stale in await uow.holds.member_expired(member.id, now):
            await end_hold(uow, stale, HoldStatus.EXPIRED, now)
        settings = await load_settings(uow)
        lots = await uow.points.open_lots(member.id)
        offer = quote(cmd.amount_cents, cmd.items, settings, sum(lot.remaining for lot in lots
                                                                 if lot.is_spendable(now)))
        points = cmd.points if cmd.points is not None else offer.max_points
        _check_points(points, offer)
        takes, left = plan_consumption(lots, points, now)
        assert left == 0, "the quote counted only spendable, unheld points"
        hold = await uow.holds.add(member.id, source, cmd.order_id, cmd.store_id, points,
                                   cents_for(points, offer.points_per_yuan), cmd.amount_cents,
                                   now + timedelta(minutes=settings.payment_hold_minutes), now)
        for take in takes:
            await uow.holds.hold_lot(hold.id, take.lot_id, take.amount)
        # No ledger entry, but `available` moved: a new account version writes the cached balance through.
        await uow.points.bump_account(member.id, 0, now)
        slot.done({"hold": hold.id})
        await uow.commit()
    return hold


def _check_points(points: int, offer: Quote) -> None:
    if offer.blocked_by is QuoteLimit.NOT_ENOUGH_POINTS or points > offer.usable_points:
        raise InsufficientPoints(f"Not enough points: {offer.usable_points} usable, {points} needed.",
                                 available=offer.usable_points, needed=points)
    if offer.blocked_by is not None:
        raise BadUserInput.for_field("points", f"Points cannot pay this order ({offer.blocked_by.value}).")
    if points > offer.max_points:
        raise BadUserInput.for_field("points", f"At most {offer.max_points} points can pay this order.")
    if points * 100 % offer.points_per_yuan:
        raise BadUserInput.for_field("points", "Points pay whole cents: use a multiple of "
                                               f"{offer.points_per_yuan * offer.step_cents // 100} points.")


async def capture_points_payment(ref: PaymentRef, deps: Deps) -> Hold:
    """Turn the hold into a ledger debit (kind REDEEM, source payment) taking the held lots first.
    Capturing a captured payment answers it again; a released or expired one is POINTS_PAYMENT_NOT_OPEN."""
    uow, viewer, now = deps.uow, deps.viewer, deps.clock.now()
    source = purchase_source(viewer, ref.store_id)
    async with uow:
        hold = await _locked(uow, source, ref.order_id, deps)
        status = hold.status_at(now)
        if status is HoldStatus.CAPTURED:
            return hold
        if status is not HoldStatus.HELD:
            raise PaymentNotOpen(f"This points payment is {status.value.lower()}.", status=status.value)
        held = await uow.holds.unhold_lots(hold.id)
        # The lots this hold reserved go first, so the debit takes exactly the points held (a lot
        # that expired while held still pays: the points were reserved while valid).
        moved = await debit(uow, NewEntry(
            hold.member_id, EntryKind.REDEEM, -hold.points, f"Paid order {hold.order_id} with points", "payment",
            f"{source}/{hold.order_id}", f"pay/{source}/{hold.order_id}", viewer.role, viewer.subject_id,
            {"orderId": hold.order_id, "storeId": hold.store_id, "coversCents": hold.covers_cents, "holdId": hold.id},
        ), now, first_lot_ids=tuple(lot_id for lot_id, _amount in held))
        assert moved.entry is not None
        await uow.holds.set_status(hold.id, HoldStatus.HELD, HoldStatus.CAPTURED, now, moved.entry.id)
        await uow.commit()
    return await _reread(uow, hold.id)


async def release_points_payment(ref: PaymentRef, deps: Deps) -> Hold:
    """Give the held points back to the member (the order was paid otherwise, or cancelled).
    Releasing a released or expired payment answers it again; a captured one is POINTS_PAYMENT_NOT_OPEN
    (refund it instead)."""
    uow, viewer, now = deps.uow, deps.viewer, deps.clock.now()
    source = purchase_source(viewer, ref.store_id)
    async with uow:
        hold = await _locked(uow, source, ref.order_id, deps)
        if hold.status is HoldStatus.CAPTURED:
            raise PaymentNotOpen("This points payment is captured.", status=HoldStatus.CAPTURED.value)
        if hold.status is not HoldStatus.HELD:
            return hold
        await end_hold(uow, hold, HoldStatus.RELEASED if hold.status_at(now) is HoldStatus.HELD
                       else HoldStatus.EXPIRED, now)
        await uow.commit()
    return await _reread(uow, hold.id)


async def _locked(uow: UnitOfWork, source: str, order_id: str, deps: Deps) -> Hold:
    found = await uow.holds.get(source, order_id)
    if found is None:
        raise NotFound("This order has no points payment.")
    await uow.points.lock_account(found.member_id, deps.clock.now())
    return await _hold(uow, found.id)  # as it is now that no one else can change it


async def end_hold(uow: UnitOfWork, hold: Hold, status: HoldStatus, now: datetime) -> None:
    """Inside the member's account lock: free the held points, mark the hold."""
    await uow.holds.unhold_lots(hold.id)
    await uow.holds.set_status(hold.id, HoldStatus.HELD, status, now)
    await uow.points.bump_account(hold.member_id, 0, now)


async def _hold(uow: UnitOfWork, hold_id: int) -> Hold:
    found = await uow.holds.by_id(hold_id)
    if found is None:  # a stored result without its hold cannot happen; fail loudly if it does
        raise NotFound("The points payment is missing.")
    return found


async def _reread(uow: UnitOfWork, hold_id: int) -> Hold:
    async with uow:
        return await _hold(uow, hold_id)
