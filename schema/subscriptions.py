"""Live updates over graphql-transport-ws.

Each stream subscribes first, then sends the current state (no cursor) or what the client has not
seen (from the database, after the cursor it passes, bounded: see domain/live.py), then live
events; events already covered are skipped, so nothing is lost or doubled across a reconnect or a
cross-worker hop.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from enum import Enum
from typing import Annotated

import strawberry

from domain import live
from domain.community.model import ReportTarget as DomainReportTarget
from domain.events import (
    ContentReported,
    MemberProfileChanged,
    NotificationReceived,
    OfferIssued,
    PointsChanged,
    RedemptionUpdated,
    TierChanged,
)
from domain.members import services
from domain.messaging import inbox
from domain.points.balance import BalanceRead, get_balance
from schema.benefits import Redemption
from schema.enums import ReportTarget
from schema.info import Info
from schema.members import MemberType
from schema.messaging import Notification
from schema.offers import Coupon, coupons_view, load_available_coupons_count
from schema.points import PointsBalance, PointsEntry
from schema.refs import global_id
from schema.tiers import TierStatus, load_tier_status


@strawberry.enum(description="What a live update carries.")
class LiveUpdateKind(Enum):
    CURRENT = strawberry.enum_value("CURRENT", description="The state now, sent first on a connect without "
                                    "`after`; no item. Live items follow.")
    ITEM = strawberry.enum_value("ITEM", description="One new (or missed, when resuming) item.")
    RESYNC = strawberry.enum_value("RESYNC", description="The client was too far behind to replay: the state now "
                                   "and a fresh cursor instead of the backlog; reload lists by query.")


@strawberry.type(description="One message of the `pointsChanged` stream.")
class PointsUpdate:
    kind: LiveUpdateKind = strawberry.field(description="What this message carries: the state now, a new entry, or "
                                                        "a resync.")
    cursor: str = strawberry.field(description="Pass as `after` when reconnecting.")
    entry: PointsEntry | None = strawberry.field(description="The ledger entry (kind ITEM); null otherwise.")
    balance: PointsBalance = strawberry.field(
        description="The balance when this update was sent. A replayed entry's own running balance is "
                    "`entry.balanceAfter`.")


@strawberry.type(description="A member's report of a post or comment, for moderators.")
class ContentReport:
    target: ReportTarget = strawberry.field(description="Whether a post or a comment was reported.")
    target_id: strawberry.ID = strawberry.field(description="The reported item: a post's global id (for "
                                                            "`node(id)`), or a comment's id.")
    reason: str = strawberry.field(description="The reason the member gave.")


@strawberry.type(description="One message of the `offerIssued` stream.")
class OfferUpdate:
    kind: LiveUpdateKind = strawberry.field(description="What this message carries: the state now, a new coupon, or "
                                                        "a resync.")
    cursor: str = strawberry.field(description="Pass as `after` when reconnecting.")
    coupon: Coupon | None = strawberry.field(description="The coupon issued (kind ITEM); null otherwise.")
    available_coupons_count: int = strawberry.field(
        description="Coupons the member can use when this update was sent (the wallet badge).")


@strawberry.type(description="One message of the `notificationReceived` stream.")
class NotificationUpdate:
    kind: LiveUpdateKind = strawberry.field(description="What this message carries: the unread count now, a new "
                                                        "notification, or a resync.")
    cursor: str = strawberry.field(description="Pass as `after` when reconnecting.")
    notification: Notification | None = strawberry.field(description="The notification (kind ITEM); null otherwise.")
    unread_count: int = strawberry.field(description="Unread notifications when this update was sent (the badge).")


def _cursor_value(raw: str | None) -> int | None:
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        return -1  # rejected by the domain with BAD_USER_INPUT


@strawberry.type(description="Live updates over WebSocket (graphql-transport-ws). Member streams need a signed-in "
                               "member (else UNAUTHENTICATED) and follow that member only.")
class Subscription:
    @strawberry.subscription(description="The signed-in member's profile: now, then after every change.")
    async def profile_changed(self, info: Info) -> AsyncGenerator[MemberType, None]:
        ctx = info.context
        member_id = live.own_member(ctx.viewer)
        stream = await ctx.container.broker.subscribe(MemberProfileChanged(member_id, 0).channel)
        try:
            member = await services.load_member(ctx.uow(), ctx.container.cache, member_id)
            yield MemberType.from_domain(member)
            async for event in stream:
                version = int(event.get("version", 0))  # type: ignore[call-overload]
                member = await services.load_member(ctx.uow(), ctx.container.cache, member_id, version)
                yield MemberType.from_domain(member)
        finally:
            await stream.aclose()

    @strawberry.subscription(description="Without `after`: the balance now (CURRENT), then each new ledger "
                                         "entry (ITEM). With `after` (a cursor from an earlier update): the "
                                         "entries missed since, or one RESYNC when too many were missed.")
    async def points_changed(
        self, info: Info,
        after: Annotated[str | None, strawberry.argument(
            description="`cursor` of the last update received, to resume after a disconnect; null to start "
                        "with the state now.")] = None,
    ) -> AsyncGenerator[PointsUpdate, None]:
        ctx = info.context
        member_id = live.own_member(ctx.viewer)
        limit = ctx.container.settings.live_replay_limit
        # Subscribe before reading, so nothing committed in between is missed.
        stream = await ctx.container.broker.subscribe(PointsChanged(member_id, 0, 0).channel)
        try:
            catchup = await live.points_catchup(ctx.uow(), member_id, _cursor_value(after), limit)
            last = catchup.cursor
            if after is None or catchup.resync:
                kind = LiveUpdateKind.RESYNC if catchup.resync else LiveUpdateKind.CURRENT
                yield PointsUpdate(kind=kind, cursor=str(last), entry=None,
                                   balance=await _balance(info, member_id, 0))
            elif catchup.items:
                balance = await _balance(info, member_id, 0)
                for entry in catchup.items:
                    yield PointsUpdate(kind=LiveUpdateKind.ITEM, cursor=str(entry.id),
                                       entry=PointsEntry.from_domain(entry), balance=balance)
            while True:
                # Any message (an event, a resync after a Redis reconnect) means: read after the cursor.
                event = await stream.__anext__()
                version = int(event.get("version", 0))  # type: ignore[call-overload]
                while True:
                    batch = await live.entries_since(ctx.uow(), member_id, last, limit)
                    if not batch:
                        break
                    balance = await _balance(info, member_id, version)
                    for entry in batch:
                        last = entry.id
                        yield PointsUpdate(kind=LiveUpdateKind.ITEM, cursor=str(entry.id),
                                           entry=PointsEntry.from_domain(entry), balance=balance)
                    if len(batch) < limit:
                        break
        except StopAsyncIteration:
            return
        finally:
            await stream.aclose()

    @strawberry.subscription(description="The member's tier status: now, then after every change.")
    async def tier_changed(self, info: Info) -> AsyncGenerator[TierStatus, None]:
        ctx = info.context
        member_id = live.own_member(ctx.viewer)
        stream = await ctx.container.broker.subscribe(TierChanged(member_id, None, 0).channel)
        try:
            yield await load_tier_status(info, member_id)
            async for _event in stream:
                yield await load_tier_status(info, member_id)
        finally:
            await stream.aclose()

    @strawberry.subscription(description="Without `after`: the wallet count now (CURRENT), then each coupon "
                                         "issued to the member (ITEM). With `after`: the coupons missed since, "
                                         "or one RESYNC when too many were missed.")
    async def offer_issued(
        self, info: Info,
        after: Annotated[str | None, strawberry.argument(
            description="`cursor` of the last update received, to resume after a disconnect; null to start "
                        "with the state now.")] = None,
    ) -> AsyncGenerator[OfferUpdate, None]:
        ctx = info.context
        member_id = live.own_member(ctx.viewer)
        limit = ctx.container.settings.live_replay_limit
        stream = await ctx.container.broker.subscribe(OfferIssued(member_id, 0, 0, "").channel)
        try:
            catchup = await live.coupons_catchup(ctx.uow(), member_id, _cursor_value(after), limit)
            last = catchup.cursor
            if after is None or catchup.resync:
                kind = LiveUpdateKind.RESYNC if catchup.resync else LiveUpdateKind.CURRENT
                yield OfferUpdate(kind=kind, cursor=str(last), coupon=None,
                                  available_coupons_count=await load_available_coupons_count(info, member_id))
            pending = catchup.items
            # A campaign wakes every stream it reached at once: their reads go through the process's
            # shared loaders (api/live.py), one read for all of them instead of one per stream.
            loaders = ctx.loaders
            while True:
                if pending:
                    count = await loaders.available_coupons_by_member.load((member_id, ctx.container.now()))
                    for coupon, view in zip(pending, await coupons_view(info, pending), strict=True):
                        last = coupon.id
                        yield OfferUpdate(kind=LiveUpdateKind.ITEM, cursor=str(coupon.id), coupon=view,
                                          available_coupons_count=count)
                if len(pending) < limit:
                    await stream.__anext__()
                pending = await loaders.coupons_since_by_member.load((member_id, last, limit))
        except StopAsyncIteration:
            return
        finally:
            await stream.aclose()

    @strawberry.subscription(description="Without `after`: the unread count now (CURRENT), then each notification "
                                         "that arrives in the inbox (ITEM). With `after`: the notifications missed "
                                         "since, or one RESYNC when too many were missed.")
    async def notification_received(
        self, info: Info,
        after: Annotated[str | None, strawberry.argument(
            description="`cursor` of the last update received, to resume after a disconnect; null to start "
                        "with the state now.")] = None,
    ) -> AsyncGenerator[NotificationUpdate, None]:
        ctx = info.context
        member_id = live.own_member(ctx.viewer)
        limit = ctx.container.settings.live_replay_limit
        language = ctx.language
        stream = await ctx.container.broker.subscribe(NotificationReceived(member_id, 0).channel)
        try:
            pending, resync, last = await inbox.catchup(ctx.uow(), member_id, _cursor_value(after), limit)
            if after is None or resync:
                kind = LiveUpdateKind.RESYNC if resync else LiveUpdateKind.CURRENT
                yield NotificationUpdate(kind=kind, cursor=str(last), notification=None,
                                         unread_count=await inbox.unread_count(member_id, ctx.deps()))
            while True:
                if pending:
                    count = await inbox.unread_count(member_id, ctx.deps())
                    for item in pending:
                        last = item.id
                        yield NotificationUpdate(kind=LiveUpdateKind.ITEM, cursor=str(item.id),
                                                 notification=Notification.from_domain(item, language),
                                                 unread_count=count)
                if len(pending) < limit:
                    await stream.__anext__()
                pending = await inbox.since(ctx.uow(), member_id, last, limit)
        except StopAsyncIteration:
            return
        finally:
            await stream.aclose()

    @strawberry.subscription(description="Staff: new reports of posts or comments, for moderation.")
    async def content_reported(self, info: Info) -> AsyncGenerator[ContentReport, None]:
        ctx = info.context
        ctx.viewer.require_staff()
        stream = await ctx.container.broker.subscribe(ContentReported("", 0, "").channel)
        try:
            async for event in stream:
                if event.get("type") == "ContentReported":
                    target = DomainReportTarget(str(event["target"]))
                    # Posts are Nodes (global ids); comments keep their plain ids.
                    target_id = (global_id("Post", int(event["target_id"]))  # type: ignore[call-overload]
                                 if target is DomainReportTarget.POST else strawberry.ID(str(event["target_id"])))
                    yield ContentReport(target=target, target_id=target_id, reason=str(event["reason"]))
        finally:
            await stream.aclose()

    @strawberry.subscription(description="A redemption (voucher) of the member changed status.")
    async def redemption_updated(self, info: Info) -> AsyncGenerator[Redemption, None]:
        ctx = info.context
        member_id = live.own_member(ctx.viewer)
        stream = await ctx.container.broker.subscribe(RedemptionUpdated(member_id, 0, "").channel)
        try:
            async for event in stream:
                found = await live.redemption(ctx.uow(), member_id, int(event.get("redemption_id", 0)))  # type: ignore[call-overload]
                if found is not None:
                    yield Redemption.from_domain(found, ctx.container.now())
        finally:
            await stream.aclose()


async def _balance(info: Info, member_id: int, version: int) -> PointsBalance:
    ctx = info.context
    balance = await get_balance(BalanceRead(member_id, min_version=version), ctx.deps())
    return PointsBalance.from_domain(balance)
