"""Live updates over graphql-transport-ws.

Each stream subscribes first, then sends what the client has not seen (from the database,
after the cursor it passes), then live events; events already covered by the backlog are
skipped, so nothing is lost or doubled across a reconnect or a cross-worker hop.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from domain import live
from domain.community.model import ReportTarget as DomainReportTarget
from domain.events import (
    ContentReported,
    MemberProfileChanged,
    OfferIssued,
    PointsChanged,
    RedemptionUpdated,
    TierChanged,
)
from domain.members import services
from domain.points.balance import get_balance
from schema.benefits import Redemption
from schema.enums import ReportTarget
from schema.info import Info
from schema.members import MemberType
from schema.offers import Coupon
from schema.points import PointsBalance, PointsEntry
from schema.tiers import TierStatus, load_tier_status


@strawberry.type
class PointsUpdate:
    cursor: str = strawberry.field(description="Pass as `after` when reconnecting.")
    entry: PointsEntry
    balance: PointsBalance


@strawberry.type
class ContentReport:
    target: ReportTarget
    target_id: strawberry.ID
    reason: str


@strawberry.type
class OfferUpdate:
    cursor: str
    coupon: Coupon


def _cursor_value(raw: str | None) -> int:
    if raw is None:
        return 0
    try:
        return int(raw)
    except ValueError:
        return -1  # rejected by the domain with BAD_USER_INPUT


@strawberry.type
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

    @strawberry.subscription(description="Each new ledger entry with the balance after it. Reconnect with `after`.")
    async def points_changed(self, info: Info, after: str | None = None) -> AsyncGenerator[PointsUpdate, None]:
        ctx = info.context
        member_id = live.own_member(ctx.viewer)
        last = _cursor_value(after)
        stream = await ctx.container.broker.subscribe(PointsChanged(member_id, 0, 0).channel)
        try:
            version = 0
            while True:
                # Any message (an event, a resync after a Redis reconnect) means: read after the cursor.
                for entry in await live.entries_since(ctx.uow(), member_id, last):
                    last = entry.id
                    yield await _points_update(info, member_id, entry, version)
                event = await stream.__anext__()
                version = int(event.get("version", 0))  # type: ignore[call-overload]
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

    @strawberry.subscription(description="Coupons newly issued to the member. Reconnect with `after`.")
    async def offer_issued(self, info: Info, after: str | None = None) -> AsyncGenerator[OfferUpdate, None]:
        ctx = info.context
        member_id = live.own_member(ctx.viewer)
        last = _cursor_value(after)
        stream = await ctx.container.broker.subscribe(OfferIssued(member_id, 0, 0, "").channel)
        try:
            pending = await live.coupons_since(ctx.uow(), member_id, last)
            while True:
                for coupon in pending:
                    if coupon.id > last:
                        last = coupon.id
                        yield OfferUpdate(cursor=str(coupon.id), coupon=Coupon.from_domain(coupon, ctx.container.now()))
                await stream.__anext__()
                pending = await live.coupons_since(ctx.uow(), member_id, last)
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
                    yield ContentReport(target=DomainReportTarget(str(event["target"])),
                                        target_id=strawberry.ID(str(event["target_id"])), reason=str(event["reason"]))
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


async def _points_update(info: Info, member_id: int, entry, version: int) -> PointsUpdate:
    ctx = info.context
    balance = await get_balance(ctx.uow(), ctx.container.cache, member_id, ctx.container.now(), None, version)
    return PointsUpdate(cursor=str(entry.id), entry=PointsEntry.from_domain(entry),
                        balance=PointsBalance.from_domain(balance))
