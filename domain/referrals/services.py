"""Referrals: a new member signs up with someone's invite code (their member code); both are
rewarded once, when the newcomer makes a first qualifying purchase."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from domain.auth.viewer import Viewer
from domain.errors import BadUserInput, NotFound
from domain.members.model import Member
from domain.points.expiry_policy import lot_expiry
from domain.points.ledger import credit
from domain.points.model import EntryKind
from domain.points.ports import NewEntry
from domain.ports import UnitOfWork
from domain.program.services import load_settings


async def link_referrer(uow: UnitOfWork, member: Member, invite_code: str) -> None:
    """At sign-up, inside its transaction. A member is referred once, never by themselves; a
    brand-new member has no invitees, so no loop can form."""
    code = invite_code.strip().upper()
    referrer = await uow.members.get_by_code(code)
    if referrer is None:
        raise BadUserInput.for_field("inviteCode", "No member has that invite code.")
    if referrer.id == member.id:
        raise BadUserInput.for_field("inviteCode", "You cannot invite yourself.")
    await uow.members.set_referrer(member.id, referrer.id)


async def reward_on_purchase(uow: UnitOfWork, member_id: int, amount_cents: int, now: datetime,
                             zone: tzinfo) -> bool:
    """Inside the purchase's transaction: pay both sides once, on the first qualifying purchase."""
    referrer_id = await uow.members.referrer_of(member_id)
    if referrer_id is None:
        return False
    settings = await load_settings(uow)
    if amount_cents < settings.referral_min_purchase_cents:
        return False
    key = f"referral/{member_id}"
    if await uow.points.entry_by_key("referral", key) is not None:
        return False
    expires = lot_expiry(now, settings, zone)
    await uow.points.lock_accounts([member_id, referrer_id], now)
    if settings.referral_referee_points:
        await credit(uow, NewEntry(member_id, EntryKind.EARN, settings.referral_referee_points,
                                   "Welcome bonus for joining by invitation", "referral", str(referrer_id), key),
                     now, now, expires)
    if settings.referral_referrer_points:
        await credit(uow, NewEntry(referrer_id, EntryKind.EARN, settings.referral_referrer_points,
                                   "Your invitee made a first purchase", "referral", str(member_id),
                                   f"referrer/{member_id}"), now, now, expires)
    return True


@dataclass(frozen=True)
class ReferralSummary:
    invite_code: str
    invited: int
    rewarded_invitees: int
    points_earned: int


async def summary(uow: UnitOfWork, viewer: Viewer, member_id: int) -> ReferralSummary:
    viewer.require_self_or_staff(member_id)
    async with uow:
        member = await uow.members.get(member_id)
        if member is None:
            raise NotFound("No such member.")
        invited = await uow.members.invitees_count(member_id)
        earned, rewarded = await uow.points.referral_earnings(member_id)
    return ReferralSummary(member.member_code, invited, rewarded, earned)
