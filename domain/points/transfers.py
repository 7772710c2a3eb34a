"""Points that move between members (gifts) or are corrected by staff (adjustments)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.auth.viewer import Role
from domain.benefits.services import member_tier_rank
from domain.deps import Deps
from domain.errors import BadUserInput, Forbidden, LimitExceeded, NotFound, RateLimited
from domain.idempotency import idempotent
from domain.members.lookup import MemberRef, resolve
from domain.points.expiry_policy import lot_expiry
from domain.points.ledger import credit, credit_lots, debit, require_spendable
from domain.points.model import Entry, EntryKind
from domain.points.ports import NewEntry
from domain.ports import RateLimiter, UnitOfWork
from domain.program.services import load_settings
from domain.program.settings import ProgramSettings
from domain.tiers.rules import ladder

MAX_MOVE = 10_000_000


@dataclass(frozen=True)
class GiftResult:
    sent: Entry
    received: Entry


@dataclass(frozen=True)
class GiftPoints:
    recipient: MemberRef
    amount: int
    idempotency_key: str
    message: str = ""


@dataclass(frozen=True)
class LookupBudget:
    """How many recipients a sender may look up per hour (each gift names one by phone or code)."""

    limiter: RateLimiter
    per_hour: int


async def gift_points(cmd: GiftPoints, deps: Deps, lookups: LookupBudget) -> GiftResult:
    """Sender's oldest points move to the recipient, keeping their expiry dates, in one transaction.
    The daily limit counts the program-local day.

    Whether a phone belongs to a member is not the sender's business: every check about the
    sender (tier, daily limit, points) answers first, the same for any recipient; only a gift
    that would go through looks the recipient up, and those lookups are budgeted per sender."""
    uow, now = deps.uow, deps.clock.now()
    recipient, amount, key, message = cmd.recipient, cmd.amount, cmd.idempotency_key, cmd.message
    day_start, day_end = deps.clock.day_bounds()
    sender_id = deps.viewer.require_member()
    if not 0 < amount <= MAX_MOVE:
        raise BadUserInput.for_field("amount", "Gift a positive whole number of points.")
    if len(message) > 100:
        raise BadUserInput.for_field("message", "A gift message is at most 100 characters.")
    request = {"to": recipient.__dict__, "amount": amount}
    async with uow, idempotent(uow, f"gift:{sender_id}", key, request, now) as slot:
        settings = await load_settings(uow)
        if slot.replay is None:  # a retried gift replays its result below, whatever the limits say now
            await _check_sender(uow, sender_id, amount, settings, now, day_start, day_end)
            wait = await lookups.limiter.hit(f"gift-lookup:{sender_id}", lookups.per_hour, 3600)
            if wait:
                raise RateLimited("Too many gift recipients looked up; try again later.", wait)
        receiver = await resolve(uow, recipient)
        if receiver.id == sender_id:
            raise BadUserInput.for_field("recipient", "You cannot gift points to yourself.")
        if slot.replay is not None:
            sent, received = (await uow.points.entry(int(slot.replay["out"])),
                              await uow.points.entry(int(slot.replay["in"])))
            if sent is None or received is None:
                raise NotFound("The original gift is missing.")
            return GiftResult(sent, received)
        await uow.points.lock_accounts(sorted({sender_id, receiver.id}), now)
        # Again under the lock: the answers above were given before it (the points themselves are
        # checked by the debit, which refuses exactly as require_spendable does).
        await _check_sender(uow, sender_id, amount, settings, now, day_start, day_end, points=False)
        ref = f"{sender_id}->{receiver.id}/{key}"
        out = await debit(uow, NewEntry(sender_id, EntryKind.GIFT_OUT, -amount, message or "Gift sent", "gift", ref,
                                        f"gift-out/{sender_id}/{key}", Role.MEMBER, sender_id,
                                        {"to": receiver.id}), now)
        assert out.entry is not None
        lots = await _expiries(uow, out.takes)
        received = await credit_lots(
            uow, NewEntry(receiver.id, EntryKind.GIFT_IN, amount, message or "Gift received", "gift", ref,
                          f"gift-in/{sender_id}/{key}", Role.MEMBER, sender_id, {"from": sender_id}),
            now, lots,
        )
        slot.done({"out": out.entry.id, "in": received.id})
        await uow.commit()
    return GiftResult(out.entry, received)


async def _check_sender(uow: UnitOfWork, sender_id: int, amount: int, settings: ProgramSettings, now: datetime,
                        day_start: datetime, day_end: datetime, *, points: bool = True) -> None:
    if settings.gift_min_tier_rank > 0 and await member_tier_rank(uow, sender_id) < settings.gift_min_tier_rank:
        tiers = ladder(await uow.tiers.tiers())
        needed = next((t.name for t in tiers if t.rank >= settings.gift_min_tier_rank), "a higher tier")
        raise Forbidden(f"Gifting points starts at {needed}.")
    sent_today = -await uow.points.debited_between(sender_id, EntryKind.GIFT_OUT, day_start, day_end)
    if sent_today + amount > settings.gift_daily_limit_points:
        raise LimitExceeded(
            f"Daily gifting limit is {settings.gift_daily_limit_points} points; "
            f"{max(0, settings.gift_daily_limit_points - sent_today)} left today.",
            limit=settings.gift_daily_limit_points, usedToday=sent_today,
        )
    if points:
        await require_spendable(uow, sender_id, amount, now)


async def _expiries(uow: UnitOfWork, takes: list) -> list[tuple[int, datetime]]:
    found: list[tuple[int, datetime]] = []
    for take in takes:
        if take.expires_at is not None:  # the debit returned it: no read
            found.append((take.amount, take.expires_at))
            continue
        lot = await uow.points.lot(take.lot_id)
        assert lot is not None
        found.append((take.amount, lot.expires_at))
    return found


@dataclass(frozen=True)
class AdjustPoints:
    member_id: int
    amount: int
    reason: str
    idempotency_key: str


async def adjust_points(cmd: AdjustPoints, deps: Deps) -> Entry:
    """Staff correction with a mandatory reason, audited. A debit cannot overdraw."""
    uow, now = deps.uow, deps.clock.now()
    member_id, amount, reason, key = cmd.member_id, cmd.amount, cmd.reason, cmd.idempotency_key
    staff_id = deps.viewer.require_staff()
    if amount == 0 or abs(amount) > MAX_MOVE:
        raise BadUserInput.for_field("amount", "Adjust by a non-zero whole number of points.")
    if not reason.strip() or len(reason) > 200:
        raise BadUserInput.for_field("reason", "Say why (up to 200 characters).")
    request = {"member": member_id, "amount": amount, "reason": reason}
    async with uow, idempotent(uow, "adjust", key, request, now) as slot:
        if await uow.members.get(member_id) is None:
            raise NotFound("No such member.")
        if slot.replay is not None:
            entry = await uow.points.entry(int(slot.replay["entry"]))
            if entry is None:
                raise NotFound("The original adjustment is missing.")
            return entry
        await uow.points.lock_account(member_id, now)
        settings = await load_settings(uow)
        new = NewEntry(member_id, EntryKind.ADJUST, amount, reason.strip(), "staff", str(staff_id),
                       f"adjust/{key}", Role.STAFF, staff_id)
        if amount > 0:
            entry = await credit(uow, new, now, now, lot_expiry(now, settings, deps.clock.zone))
        else:
            moved = await debit(uow, new, now)
            assert moved.entry is not None
            entry = moved.entry
        await uow.audit.record(Role.STAFF, staff_id, "points.adjusted", f"member:{member_id}",
                               {"amount": amount, "reason": reason.strip(), "entryId": entry.id}, now)
        slot.done({"entry": entry.id})
        await uow.commit()
    return entry
