"""Shareable coupons: a member gives an unused coupon of a `shareable` template to a friend, once.

The giver's coupon is retired (SHARED) and the friend gets a NEW coupon with a fresh code and the
same validity: the giver has seen the old code and could otherwise still use it at a till. A
coupon received this way cannot be given on. A friend who is a member (by phone) gets it at once;
anyone else gets a link (a one-time token, shown once, stored hashed) that they accept after
signing up, with the phone it was sent to when the giver named one. The giver may take back a link
nobody accepted yet; the coupon is then theirs again but cannot be given a second time. Every
step is in the audit log.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from domain.auth.viewer import Role
from domain.benefits.rules import new_voucher_code
from domain.deps import Deps
from domain.errors import BadUserInput, NotFound
from domain.events import OfferIssued
from domain.members.phone import normalize_phone
from domain.offers.errors import CouponNotUsable
from domain.offers.model import Coupon, CouponShare, CouponStatus, IssueSource, ShareStatus
from domain.ports import UnitOfWork


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class ShareCoupon:
    coupon_id: int
    phone: str | None = None  # the friend's phone; None: an open link for whoever signs up with it


@dataclass(frozen=True)
class ShareResult:
    """`token` is the link's secret, returned once (None when a member received it at once)."""

    share: CouponShare
    token: str | None


async def _give(uow: UnitOfWork, share: CouponShare, original: Coupon, to_member_id: int) -> Coupon:
    received = await uow.coupons.add_coupon(original.template_id, to_member_id, new_voucher_code(),
                                            IssueSource.SHARE, f"share/{share.id}", share.settled_at or
                                            share.created_at, original.valid_from, original.valid_until)
    assert received is not None  # the share id is unique, so is its issue key
    await uow.coupon_shares.link_received(share.id, received.id)
    uow.publish_after_commit(OfferIssued(to_member_id, received.id, original.template_id, IssueSource.SHARE.value))
    return received


async def share_coupon(cmd: ShareCoupon, deps: Deps) -> ShareResult:
    member_id = deps.viewer.require_member()
    uow, now = deps.uow, deps.clock.now()
    phone = normalize_phone(cmd.phone) if cmd.phone else None
    async with uow:
        coupon = (await uow.coupons.coupons_by_ids([cmd.coupon_id])).get(cmd.coupon_id)
        if coupon is None or coupon.member_id != member_id:
            raise NotFound("No such coupon.")
        me = await uow.members.get(member_id)
        if phone is not None and me is not None and me.phone == phone:
            raise BadUserInput.for_field("phone", "Give the coupon to someone else.")
        template = await uow.coupons.template(coupon.template_id)
        assert template is not None
        if not template.shareable or coupon.source is IssueSource.SHARE:
            raise CouponNotUsable("This coupon cannot be given to a friend.", key="not_shareable")
        if coupon.status_at(now) is not CouponStatus.AVAILABLE:
            raise CouponNotUsable(f"This coupon is {coupon.status_at(now).value.lower()}.")
        friend = await uow.members.get_by_phone(phone) if phone is not None else None
        if friend is not None and friend.is_erased:
            friend = None
        if not await uow.coupon_shares.retire_coupon(coupon.id, member_id, now):
            raise CouponNotUsable("This coupon was just used.")
        token = None if friend is not None else secrets.token_urlsafe(24)
        share = await uow.coupon_shares.add_share(CouponShare(
            0, coupon.id, member_id, ShareStatus.ACCEPTED if friend else ShareStatus.PENDING, now,
            coupon.valid_until, friend.id if friend else None, phone, settled_at=now if friend else None),
            _hash(token) if token else None)
        if share is None:
            raise CouponNotUsable("This coupon was already given once.", key="not_shareable")
        if friend is not None:
            await _give(uow, share, coupon, friend.id)
        # The phone is not written to the audit log (it is kept on the share, which erasure covers).
        await uow.audit.record(Role.MEMBER, member_id, "coupon.shared", f"coupon:{coupon.id}",
                               {"share": share.id, "to": f"member:{friend.id}" if friend else "link"}, now)
        await uow.commit()
    return ShareResult(share, token)


@dataclass(frozen=True)
class AcceptShare:
    token: str


async def accept_shared_coupon(cmd: AcceptShare, deps: Deps) -> Coupon:
    """The friend, signed in (new members sign up first), accepts a link. Accepting it again
    returns the same coupon; a link for another phone, or an unknown one, is NOT_FOUND."""
    member_id = deps.viewer.require_member()
    uow, now = deps.uow, deps.clock.now()
    async with uow:
        share = await uow.coupon_shares.share_by_token(_hash(cmd.token.strip()))
        me = await uow.members.get(member_id)
        if share is None or me is None or (share.to_phone is not None and share.to_phone != me.phone):
            raise NotFound("No such coupon link.")
        if share.status is ShareStatus.ACCEPTED and share.to_member_id == member_id and share.received_coupon_id:
            mine = (await uow.coupons.coupons_by_ids([share.received_coupon_id])).get(share.received_coupon_id)
            if mine is not None:
                return mine
        if share.from_member_id == member_id:
            raise CouponNotUsable("This is your own coupon.", key="own_share")
        if share.status is not ShareStatus.PENDING or now >= share.expires_at:
            raise CouponNotUsable("This link has been used, taken back or has expired.")
        if not await uow.coupon_shares.settle(share.id, ShareStatus.ACCEPTED, member_id, now):
            raise CouponNotUsable("This link has just been used.")
        original = (await uow.coupons.coupons_by_ids([share.coupon_id]))[share.coupon_id]
        settled = CouponShare(share.id, share.coupon_id, share.from_member_id, ShareStatus.ACCEPTED,
                              share.created_at, share.expires_at, member_id, share.to_phone, settled_at=now)
        received = await _give(uow, settled, original, member_id)
        await uow.audit.record(Role.MEMBER, member_id, "coupon.share-accepted", f"coupon:{share.coupon_id}",
                               {"share": share.id, "received": received.id}, now)
        await uow.commit()
    return received


async def cancel_share(share_id: int, deps: Deps) -> CouponShare:
    """The giver takes back a link nobody accepted: their coupon is usable again (not givable again)."""
    member_id = deps.viewer.require_member()
    uow, now = deps.uow, deps.clock.now()
    async with uow:
        share = await uow.coupon_shares.share(share_id)
        if share is None or share.from_member_id != member_id:
            raise NotFound("No such coupon link.")
        if not await uow.coupon_shares.settle(share.id, ShareStatus.CANCELLED, None, now):
            raise CouponNotUsable("This link has already been accepted.")
        await uow.coupon_shares.restore_coupon(share.coupon_id)
        await uow.audit.record(Role.MEMBER, member_id, "coupon.share-cancelled", f"coupon:{share.coupon_id}",
                               {"share": share.id}, now)
        await uow.commit()
        found = await uow.coupon_shares.share(share_id)
    assert found is not None
    return found
