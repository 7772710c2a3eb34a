"""Points that move between members (gifts) or are corrected by staff (adjustments)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.auth.viewer import Role, Viewer
from domain.errors import BadUserInput, Forbidden, LimitExceeded, NotFound, RateLimited
from domain.idempotency import check_key, claim
from domain.members.lookup import MemberRef, resolve
from domain.points.balance import refresh_balances
from domain.points.ledger import credit, credit_lots, debit, require_spendable
from domain.points.lots import add_months
from domain.points.model import Entry, EntryKind
from domain.points.ports import NewEntry
from domain.ports import Cache, RateLimiter, UnitOfWork
from domain.program.services import load_settings
from domain.program.settings import ProgramSettings
from domain.tiers.rules import ladder

MAX_MOVE = 10_000_000


@dataclass(frozen=True)
class GiftResult:
    sent: Entry
    received: Entry


@dataclass(frozen=True)
class LookupBudget:
    """How many recipients a sender may look up per hour (each gift names one by phone or code)."""

    limiter: RateLimiter
    per_hour: int


async def gift_points(uow: UnitOfWork, cache: Cache, viewer: Viewer, recipient: MemberRef, amount: int, key: str,
                      message: str, now: datetime, day_start: datetime, day_end: datetime,
                      lookups: LookupBudget) -> GiftResult:
    """Sender's oldest points move to the recipient, keeping their expiry dates, in one transaction.

    Whether a phone belongs to a member is not the sender's business: every check about the
    sender (tier, daily limit, points) answers first, the same for any recipient; only a gift
    that would go through looks the recipient up, and those lookups are budgeted per sender."""
    sender_id = viewer.require_member()
    if not 0 < amount <= MAX_MOVE:
        raise BadUserInput.for_field("amount", "Gift a positive whole number of points.")
    if len(message) > 100:
        raise BadUserInput.for_field("message", "A gift message is at most 100 characters.")
    check_key(key)
    async with uow:
        settings = await load_settings(uow)
        retry = await uow.points.entry_by_key("gift", f"gift-out/{sender_id}/{key}") is not None
        if not retry:  # a retried gift replays its result below, whatever the limits say now
            await _check_sender(uow, sender_id, amount, settings, now, day_start, day_end)
            wait = await lookups.limiter.hit(f"gift-lookup:{sender_id}", lookups.per_hour, 3600)
            if wait:
                raise RateLimited("Too many gift recipients looked up; try again later.", wait)
        receiver = await resolve(uow, recipient)
        if receiver.id == sender_id:
            raise BadUserInput.for_field("recipient", "You cannot gift points to yourself.")
        stored = await claim(uow, f"gift:{sender_id}", key, {"to": receiver.id, "amount": amount}, now)
        if stored is not None:
            sent, received = await uow.points.entry(int(stored["out"])), await uow.points.entry(int(stored["in"]))
            if sent is None or received is None:
                raise NotFound("The original gift is missing.")
            return GiftResult(sent, received)
        await uow.points.lock_accounts(sorted({sender_id, receiver.id}), now)
        # Again under the lock: the answers above were given before it.
        await _check_sender(uow, sender_id, amount, settings, now, day_start, day_end)
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
        await uow.idempotency.store_result(f"gift:{sender_id}", key, {"out": out.entry.id, "in": received.id})
        await uow.commit()
    await refresh_balances(uow, cache, [sender_id, receiver.id], now)
    return GiftResult(out.entry, received)


async def _check_sender(uow: UnitOfWork, sender_id: int, amount: int, settings: ProgramSettings, now: datetime,
                        day_start: datetime, day_end: datetime) -> None:
    if settings.gift_min_tier_rank > 0:
        state = await uow.tiers.member_tier(sender_id)
        tiers = ladder(await uow.tiers.tiers())
        rank = next((t.rank for t in tiers if state and t.id == state.tier_id), 0)
        if rank < settings.gift_min_tier_rank:
            needed = next((t.name for t in tiers if t.rank >= settings.gift_min_tier_rank), "a higher tier")
            raise Forbidden(f"Gifting points starts at {needed}.")
    sent_today = -await uow.points.debited_between(sender_id, EntryKind.GIFT_OUT, day_start, day_end)
    if sent_today + amount > settings.gift_daily_limit_points:
        raise LimitExceeded(
            f"Daily gifting limit is {settings.gift_daily_limit_points} points; "
            f"{max(0, settings.gift_daily_limit_points - sent_today)} left today.",
            limit=settings.gift_daily_limit_points, usedToday=sent_today,
        )
    await require_spendable(uow, sender_id, amount, now)


async def _expiries(uow: UnitOfWork, takes: list) -> list[tuple[int, datetime]]:
    found: list[tuple[int, datetime]] = []
    for take in takes:
        lot = await uow.points.lot(take.lot_id)
        assert lot is not None
        found.append((take.amount, lot.expires_at))
    return found


async def adjust_points(uow: UnitOfWork, cache: Cache, viewer: Viewer, member_id: int, amount: int, reason: str,
                        key: str, now: datetime) -> Entry:
    """Staff correction with a mandatory reason, audited. A debit cannot overdraw."""
    staff_id = viewer.require_staff()
    if amount == 0 or abs(amount) > MAX_MOVE:
        raise BadUserInput.for_field("amount", "Adjust by a non-zero whole number of points.")
    if not reason.strip() or len(reason) > 200:
        raise BadUserInput.for_field("reason", "Say why (up to 200 characters).")
    async with uow:
        if await uow.members.get(member_id) is None:
            raise NotFound("No such member.")
        stored = await claim(uow, "adjust", key, {"member": member_id, "amount": amount, "reason": reason}, now)
        if stored is not None:
            entry = await uow.points.entry(int(stored["entry"]))
            if entry is None:
                raise NotFound("The original adjustment is missing.")
            return entry
        await uow.points.lock_account(member_id, now)
        settings = await load_settings(uow)
        new = NewEntry(member_id, EntryKind.ADJUST, amount, reason.strip(), "staff", str(staff_id),
                       f"adjust/{key}", Role.STAFF, staff_id)
        if amount > 0:
            entry = await credit(uow, new, now, now, add_months(now, settings.points_expiry_months))
        else:
            moved = await debit(uow, new, now)
            assert moved.entry is not None
            entry = moved.entry
        await uow.audit.record(Role.STAFF, staff_id, "points.adjusted", f"member:{member_id}",
                               {"amount": amount, "reason": reason.strip(), "entryId": entry.id}, now)
        await uow.idempotency.store_result("adjust", key, {"entry": entry.id})
        await uow.commit()
    await refresh_balances(uow, cache, [member_id], now)
    return entry
