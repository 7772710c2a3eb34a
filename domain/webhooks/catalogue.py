"""The webhook event catalogue: which domain events become which webhook events, with which
payload (version 1), and what each endpoint receives.

The unit of work calls `enqueue_events` inside the transaction, just before commit, with the events
the use case raised: the outbox rows commit (or roll back) with the change they describe, and no use
case enqueues by hand. Operator endpoints (no partner) receive the full payload. A partner's
endpoints receive only events of members linked to it (an active link), with the member named by
the partner's `memberRef` (never the member id or code) and only the fields in `PARTNER_FIELDS`; the
phone only where the member chose to share it with that partner. `partner.transaction` goes only to
the partner that made it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from domain.events import (
    CouponRedeemed,
    Event,
    MemberCreated,
    MemberProfileChanged,
    OfferIssued,
    PartnerTransacted,
    PointsChanged,
    PurchaseRecorded,
    PurchaseRefunded,
    RedemptionUpdated,
    TierChanged,
)
from domain.ports import UnitOfWork

PAYLOAD_VERSION = 1

# Every event type, with what its `data` holds (documented in README "Webhooks").
EVENT_TYPES: dict[str, str] = {
    "member.created": "memberId, memberCode, phone, displayName, joinedAt",
    "member.updated": "memberId, version, memberCode, phone, displayName, birthday, marketingConsent",
    "member.erased": "memberId",
    "points.earned": "memberId, entryId, kind (EARN, GIFT_IN), amount, reason, sourceType, createdAt",
    "points.spent": "memberId, entryId, kind (REDEEM, GIFT_OUT), amount (negative), reason, sourceType, createdAt",
    "points.expired": "memberId, entryId, kind, amount (negative), reason, sourceType, createdAt",
    "points.adjusted": "memberId, entryId, kind (ADJUST, REVERSE, MERGE_OUT, MERGE_IN), amount, reason, sourceType, "
                       "createdAt",
    "tier.changed": "memberId, fromTierId, toTierId",
    "coupon.issued": "memberId, couponId, templateId, source",
    "coupon.redeemed": "memberId, couponId, templateId, orderRef, discountCents",
    "redemption.created": "memberId, redemptionId, status",
    "redemption.used": "memberId, redemptionId, status",
    "redemption.cancelled": "memberId, redemptionId, status",
    "purchase.recorded": "memberId, purchaseId, storeId, orderId, amountCents, points",
    "purchase.refunded": "memberId, purchaseId, storeId, orderId, refundId, amountCents, pointsReversed",
    "partner.transaction": "memberId, transactionId, kind (EARN, BURN, REVERSE), points, partnerAmount",
}

# What a partner endpoint may receive of each event (besides `memberRef`, and `phone` where shared).
# member.erased is not sent to partners: erasure retires the member's partner links first.
PARTNER_FIELDS: dict[str, frozenset[str]] = {
    "member.created": frozenset({"displayName", "joinedAt"}),
    "member.updated": frozenset({"displayName", "version"}),
    "points.earned": frozenset({"entryId", "kind", "amount", "createdAt"}),
    "points.spent": frozenset({"entryId", "kind", "amount", "createdAt"}),
    "points.expired": frozenset({"entryId", "kind", "amount", "createdAt"}),
    "points.adjusted": frozenset({"entryId", "kind", "amount", "createdAt"}),
    "tier.changed": frozenset({"fromTierId", "toTierId"}),
    "coupon.issued": frozenset({"couponId", "templateId", "source"}),
    "coupon.redeemed": frozenset({"couponId", "templateId", "discountCents"}),
    "redemption.created": frozenset({"redemptionId", "status"}),
    "redemption.used": frozenset({"redemptionId", "status"}),
    "redemption.cancelled": frozenset({"redemptionId", "status"}),
    "purchase.recorded": frozenset({"purchaseId", "amountCents", "points"}),
    "purchase.refunded": frozenset({"purchaseId", "refundId", "amountCents", "pointsReversed"}),
    "partner.transaction": frozenset({"transactionId", "kind", "points", "partnerAmount"}),
}
_PHONE_SHARED = frozenset({"member.created", "member.updated"})  # events that carry the phone at all

_POINTS_TYPE = {"EARN": "points.earned", "GIFT_IN": "points.earned", "REDEEM": "points.spent",
                "GIFT_OUT": "points.spent", "EXPIRE": "points.expired", "ADJUST": "points.adjusted",
                "REVERSE": "points.adjusted", "MERGE_OUT": "points.adjusted", "MERGE_IN": "points.adjusted"}
_REDEMPTION_TYPE = {"ISSUED": "redemption.created", "USED": "redemption.used", "CANCELLED": "redemption.cancelled"}


@dataclass(frozen=True)
class WebhookEvent:
    type: str
    member_id: int | None
    data: dict[str, object]
    partner_id: int | None = None  # only this partner's endpoints (and operator endpoints)


def _iso(moment: datetime) -> str:
    return moment.isoformat()


async def _member_event(uow: UnitOfWork, event: MemberCreated | MemberProfileChanged) -> WebhookEvent | None:
    member = await uow.members.get(event.member_id)
    if member is None:
        return None
    if member.is_erased:
        return WebhookEvent("member.erased", member.id, {"memberId": member.id})
    data: dict[str, object] = {"memberId": member.id, "memberCode": member.member_code, "phone": member.phone,
                               "displayName": member.display_name}
    if isinstance(event, MemberCreated):
        return WebhookEvent("member.created", member.id, {**data, "joinedAt": _iso(member.joined_at)})
    return WebhookEvent("member.updated", member.id, {
        **data, "version": member.version, "birthday": member.birthday.isoformat() if member.birthday else None,
        "marketingConsent": member.marketing_consent})


async def to_webhook_event(uow: UnitOfWork, event: Event) -> WebhookEvent | None:
    """The webhook event a domain event stands for (None: not one the catalogue sends)."""
    if isinstance(event, MemberCreated | MemberProfileChanged):
        return await _member_event(uow, event)
    if isinstance(event, PointsChanged):
        entry = await uow.points.entry(event.entry_id)
        if entry is None:
            return None
        return WebhookEvent(_POINTS_TYPE[entry.kind.value], entry.member_id, {
            "memberId": entry.member_id, "entryId": entry.id, "kind": entry.kind.value, "amount": entry.amount,
            "reason": entry.reason, "sourceType": entry.source_type, "createdAt": _iso(entry.created_at)})
    if isinstance(event, TierChanged):
        return WebhookEvent("tier.changed", event.member_id, {
            "memberId": event.member_id, "fromTierId": event.from_tier_id, "toTierId": event.to_tier_id})
    if isinstance(event, OfferIssued):
        return WebhookEvent("coupon.issued", event.member_id, {
            "memberId": event.member_id, "couponId": event.coupon_id, "templateId": event.template_id,
            "source": event.source})
    if isinstance(event, CouponRedeemed):
        return WebhookEvent("coupon.redeemed", event.member_id, {
            "memberId": event.member_id, "couponId": event.coupon_id, "templateId": event.template_id,
            "orderRef": event.order_ref, "discountCents": event.discount_cents})
    if isinstance(event, RedemptionUpdated) and event.status in _REDEMPTION_TYPE:
        return WebhookEvent(_REDEMPTION_TYPE[event.status], event.member_id, {
            "memberId": event.member_id, "redemptionId": event.redemption_id, "status": event.status})
    if isinstance(event, PurchaseRecorded):
        return WebhookEvent("purchase.recorded", event.member_id, {
            "memberId": event.member_id, "purchaseId": event.purchase_id, "storeId": event.store_id,
            "orderId": event.order_id, "amountCents": event.amount_cents, "points": event.points})
    if isinstance(event, PurchaseRefunded):
        return WebhookEvent("purchase.refunded", event.member_id, {
            "memberId": event.member_id, "purchaseId": event.purchase_id, "storeId": event.store_id,
            "orderId": event.order_id, "refundId": event.refund_id, "amountCents": event.amount_cents,
            "pointsReversed": event.points_reversed})
    if isinstance(event, PartnerTransacted):
        return WebhookEvent("partner.transaction", event.member_id, {
            "memberId": event.member_id, "transactionId": event.transaction_id, "kind": event.kind,
            "points": event.points, "partnerAmount": event.partner_amount}, partner_id=event.partner_id)
    return None


async def _partner_view(uow: UnitOfWork, partner_id: int, event: WebhookEvent) -> dict[str, object] | None:
    """What one partner may receive of the event; None: nothing (not its member, or not for partners)."""
    allowed = PARTNER_FIELDS.get(event.type)
    if allowed is None or event.member_id is None:
        return None
    if event.partner_id is not None and event.partner_id != partner_id:
        return None
    link = await uow.partners.link_for(partner_id, event.member_id)
    if link is None or not link.active:
        return None
    view: dict[str, object] = {k: v for k, v in event.data.items() if k in allowed}
    view["memberRef"] = link.member_ref
    if link.share_phone and event.type in _PHONE_SHARED:
        view["phone"] = event.data.get("phone")
    return view


async def enqueue_events(uow: UnitOfWork, events: Sequence[Event], now: datetime) -> int:
    """Write the outbox rows for `events` (inside the caller's transaction); returns how many events
    were written. Costs one small query when no endpoint subscribes to anything the events map to."""
    if not events:
        return 0
    subscriptions = await uow.webhooks.active_subscriptions()
    wanted = {t for s in subscriptions for t in s.event_types}
    if not wanted:
        return 0
    written = 0
    for event in events:
        found = await to_webhook_event(uow, event)
        if found is None or found.type not in wanted:
            continue
        targets: list[tuple[int, dict[str, object] | None]] = []
        for sub in subscriptions:
            if found.type not in sub.event_types:
                continue
            if sub.partner_id is None:
                targets.append((sub.id, None))  # operator endpoint: the whole payload
            elif (view := await _partner_view(uow, sub.partner_id, found)) is not None:
                targets.append((sub.id, view))
        if targets:
            await uow.webhooks.enqueue_for(found.type, found.data, found.partner_id, targets, now)
            written += 1
    return written
