"""Points: balance, history, purchases and refunds, gifts, staff adjustments, leaderboard."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime, timedelta
from enum import Enum

import strawberry

from domain import cursors
from domain.auth.viewer import Role
from domain.points import purchases, queries, transfers
from domain.points.model import Balance, entry_source
from domain.points.model import Entry as DomainEntry
from domain.points.model import EntryKind as DomainEntryKind
from domain.points.ports import Purchase as DomainPurchase
from domain.points.ports import Refund as DomainRefund
from domain.points.rules import LineItem
from schema.connections import PageInfo
from schema.enums import PointsEntrySource
from schema.info import Info
from schema.query_reads import query_reads
from schema.refs import MemberRefInput, parse_id

# Registered in place (strawberry.enum returns the class itself), so type checkers see a plain enum.
strawberry.enum(DomainEntryKind, name="PointsEntryKind")
PointsEntryKind = DomainEntryKind


@strawberry.type
class PointsEntry:
    id: strawberry.ID
    kind: PointsEntryKind
    amount: int = strawberry.field(description="Signed whole points: positive credits, negative debits.")
    reason: str
    source_type: PointsEntrySource
    source_detail: str | None = strawberry.field(
        description="The partner id for PARTNER, the activity for ACTIVITY; else null.")
    source_ref: str
    created_at: datetime
    entry_id: strawberry.Private[int]
    member_id: strawberry.Private[int]
    known_balance_after: strawberry.Private[int | None]

    @strawberry.field(description="The ledger total (`PointsBalance.total`) right after this entry: the running "
                                  "balance a statement shows, not today's balance.")
    async def balance_after(self, info: Info) -> int:
        if self.known_balance_after is not None:
            return self.known_balance_after
        found = await info.context.loaders.running_total_by_entry.load((self.member_id, self.entry_id))
        return found if found is not None else 0

    @strawberry.field(description="When the points of this credit become spendable (the end of the return "
                                  "window for purchases); null for debits and for credits spendable at once.")
    async def available_at(self, info: Info) -> datetime | None:
        if self.amount <= 0:
            return None
        lot = await info.context.loaders.lot_by_entry.load(self.entry_id)
        return lot.available_at if lot is not None and lot.available_at > lot.earned_at else None

    @strawberry.field(description="True while the points of this credit are not yet spendable (see `availableAt`).")
    async def pending(self, info: Info) -> bool:
        if self.amount <= 0:
            return False
        lot = await info.context.loaders.lot_by_entry.load(self.entry_id)
        return lot is not None and lot.is_pending(info.context.container.now())

    @classmethod
    def from_domain(cls, e: DomainEntry) -> PointsEntry:
        source, detail = entry_source(e.source_type)
        return cls(id=strawberry.ID(str(e.id)), kind=e.kind, amount=e.amount, reason=e.reason,
                   source_type=source, source_detail=detail, source_ref=e.source_ref, created_at=e.created_at,
                   entry_id=e.id, member_id=e.member_id, known_balance_after=e.balance_after)


@strawberry.type
class PointsEntryEdge:
    cursor: str
    node: PointsEntry


@strawberry.type
class PointsEntryConnection:
    edges: list[PointsEntryEdge]
    page_info: PageInfo


@strawberry.type
class ExpiringPoints:
    expires_at: datetime
    points: int = strawberry.field(description="Whole points that expire at `expiresAt` unless spent first.")


@strawberry.type
class PointsBalance:
    available: int = strawberry.field(description="Spendable now.")
    pending: int = strawberry.field(description="Earned on purchases still inside their return window.")
    total: int = strawberry.field(description="The ledger sum.")
    member_id: strawberry.Private[int]
    balance: strawberry.Private[Balance]

    @strawberry.field(description="Points that expire within the next `days` days (default: the program's "
                                  "expiring-soon window, the setting `expiringSoonDays`).")
    async def expiring_soon(self, info: Info, days: int | None = None) -> int:
        if days is None or days == self.balance.expiring_window_days:
            return self.balance.expiring_soon
        ctx = info.context
        other = await queries.balance_for(ctx.uow(), ctx.container.cache, ctx.viewer, self.member_id,
                                          ctx.container.now(), days)
        return other.expiring_soon

    @strawberry.field(description="When points expire: the next `first` (1 to 50) dates, soonest first, with the "
                                  "points expiring then (pending points included).")
    async def expiry_schedule(self, info: Info, first: int = 5) -> list[ExpiringPoints]:
        ctx = info.context
        rows = await queries.expiry_schedule(ctx.uow(), ctx.viewer, self.member_id, ctx.container.now(), first)
        return [ExpiringPoints(expires_at=at, points=points) for at, points in rows]

    @classmethod
    def from_domain(cls, b: Balance) -> PointsBalance:
        return cls(available=b.available, pending=b.pending, total=b.total, member_id=b.member_id, balance=b)


async def load_balance(info: Info, member_id: int) -> PointsBalance:
    ctx = info.context
    reads = query_reads(info)

    def read() -> Awaitable[Balance]:
        cache = reads.cache if reads else ctx.container.cache
        return queries.balance_for(ctx.uow(), cache, ctx.viewer, member_id, ctx.container.now(), None)

    return PointsBalance.from_domain(await (reads.balance(member_id, None, read) if reads else read()))


async def load_history(info: Info, member_id: int, first: int | None, after: str | None,
                       kinds: list[DomainEntryKind] | None, last: int | None = None,
                       before: str | None = None) -> PointsEntryConnection:
    page = await queries.history(info.context.uow(), info.context.viewer, member_id, first, after, kinds,
                                 last, before)
    edges = [PointsEntryEdge(cursor=queries.encode_cursor(e), node=PointsEntry.from_domain(e)) for e in page.entries]
    return PointsEntryConnection(edges=edges, page_info=PageInfo(
        has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None,
        has_previous_page=page.has_previous, start_cursor=edges[0].cursor if edges else None))


@strawberry.input
class LineItemInput:
    category: str
    amount_cents: int
    sku: str | None = None


@strawberry.input
class RecordPurchaseInput:
    member: MemberRefInput
    order_id: str
    store_id: str
    amount_cents: int
    items: list[LineItemInput]
    purchased_at: datetime | None = None


@strawberry.type
class PurchaseItem:
    category: str
    amount_cents: int
    sku: str | None


@strawberry.type(name="Purchase")
class PurchaseType:
    id: strawberry.ID
    order_id: str
    store_id: str
    amount_cents: int
    items: list[PurchaseItem]
    refunded_cents: int
    points_awarded: int
    points_reversed: int
    shortfall_points: int = strawberry.field(description="Points a refund could not take back (already spent).")
    purchased_at: datetime

    @classmethod
    def from_domain(cls, p: DomainPurchase) -> PurchaseType:
        return cls(id=strawberry.ID(str(p.id)), order_id=p.order_id, store_id=p.store_id,
                   amount_cents=p.amount_cents,
                   items=[PurchaseItem(category=i.category, amount_cents=i.amount_cents, sku=i.sku) for i in p.items],
                   refunded_cents=p.refunded_cents, points_awarded=p.points_awarded,
                   points_reversed=p.points_reversed, shortfall_points=p.shortfall_points,
                   purchased_at=p.purchased_at)


@strawberry.type
class PurchaseEdge:
    cursor: str
    node: PurchaseType


@strawberry.type
class PurchaseConnection:
    edges: list[PurchaseEdge]
    page_info: PageInfo
    total_count: int

    @strawberry.field(description="The nodes of `edges`, for clients that do not need per-item cursors.")
    def nodes(self) -> list[PurchaseType]:
        return [e.node for e in self.edges]


async def load_purchases(info: Info, member_id: int, first: int, after: str | None) -> PurchaseConnection:
    page = await queries.member_purchases(info.context.uow(), info.context.viewer, member_id, first, after)
    edges = [PurchaseEdge(cursor=cursors.encode(p.purchased_at, p.id), node=PurchaseType.from_domain(p))
             for p in page.purchases]
    return PurchaseConnection(edges=edges, total_count=page.total, page_info=PageInfo(
        has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None))


@strawberry.type
class RecordPurchasePayload:
    purchase: PurchaseType
    points_earned: int
    tier_changed: bool


@strawberry.input
class RecordRefundInput:
    order_id: str
    store_id: str
    refund_id: str
    amount_cents: int


@strawberry.type(name="Refund")
class RefundType:
    refund_id: str
    amount_cents: int
    points_reversed: int
    shortfall_points: int
    created_at: datetime

    @classmethod
    def from_domain(cls, r: DomainRefund) -> RefundType:
        return cls(refund_id=r.refund_id, amount_cents=r.amount_cents, points_reversed=r.points_reversed,
                   shortfall_points=r.shortfall_points, created_at=r.created_at)


@strawberry.type
class RecordRefundPayload:
    refund: RefundType
    purchase: PurchaseType


@strawberry.input
class GiftPointsInput:
    recipient: MemberRefInput
    amount: int
    idempotency_key: str
    message: str = ""


@strawberry.type
class GiftPointsPayload:
    entry: PointsEntry
    balance: PointsBalance


@strawberry.input
class AdjustPointsInput:
    member_id: strawberry.ID
    amount: int
    reason: str
    idempotency_key: str


@strawberry.type
class AdjustPointsPayload:
    entry: PointsEntry
    balance: PointsBalance


@strawberry.enum
class LeaderboardPeriod(Enum):
    WEEK = "WEEK"
    MONTH = "MONTH"
    YEAR = "YEAR"


@strawberry.type
class LeaderboardEntry:
    rank: int
    display_name: str
    points: int
    is_me: bool


@strawberry.type
class LeaderboardEdge:
    cursor: str
    node: LeaderboardEntry


@strawberry.type
class LeaderboardConnection:
    edges: list[LeaderboardEdge]
    page_info: PageInfo

    @strawberry.field(description="The nodes of `edges`, for clients that do not need per-item cursors.")
    def nodes(self) -> list[LeaderboardEntry]:
        return [e.node for e in self.edges]


@strawberry.type
class PointsQueries:
    @strawberry.field(description="Top earners in the period (members who opted out are not listed); page with "
                                  "`first`/`after`, ranks continue across pages.")
    async def points_leaderboard(
        self, info: Info, period: LeaderboardPeriod, first: int = 20, after: str | None = None
    ) -> LeaderboardConnection:
        ctx = info.context
        me = ctx.viewer.subject_id if ctx.viewer.role is Role.MEMBER else None
        if not ctx.viewer.is_authenticated:
            ctx.viewer.require_member()  # raises UNAUTHENTICATED with the reason
        today = ctx.container.today()
        if period is LeaderboardPeriod.WEEK:
            start_day = today - timedelta(days=today.weekday())
        elif period is LeaderboardPeriod.MONTH:
            start_day = today.replace(day=1)
        else:
            start_day = today.replace(month=1, day=1)
        start, _ = ctx.container.day_bounds(start_day)
        _, end = ctx.container.day_bounds(today)
        page = await queries.leaderboard(ctx.uow(), start, end, first, after)
        edges = [LeaderboardEdge(cursor=queries.leaderboard_cursor(r), node=LeaderboardEntry(
            rank=r.rank, display_name=r.display_name, points=r.points, is_me=r.member_id == me)) for r in page.rows]
        return LeaderboardConnection(edges=edges, page_info=PageInfo(
            has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None))


@strawberry.type
class PointsMutations:
    @strawberry.mutation(description="POS or partner: record a purchase; idempotent on (source, orderId).")
    async def record_purchase(self, info: Info, input: RecordPurchaseInput) -> RecordPurchasePayload:
        ctx = info.context
        cmd = purchases.PurchaseCommand(
            member=input.member.to_domain(), order_id=input.order_id, store_id=input.store_id,
            amount_cents=input.amount_cents,
            items=[LineItem(i.category, i.amount_cents, i.sku) for i in input.items],
            purchased_at=input.purchased_at,
        )
        result = await purchases.record_purchase(cmd, ctx.deps())
        return RecordPurchasePayload(purchase=PurchaseType.from_domain(result.purchase),
                                     points_earned=result.points, tier_changed=result.tier_change is not None)

    @strawberry.mutation(description="POS or partner: refund all or part of an order; idempotent on refundId.")
    async def record_refund(self, info: Info, input: RecordRefundInput) -> RecordRefundPayload:
        result = await purchases.record_refund(purchases.RefundCommand(
            input.store_id, input.order_id, input.refund_id, input.amount_cents), info.context.deps())
        return RecordRefundPayload(refund=RefundType.from_domain(result.refund),
                                   purchase=PurchaseType.from_domain(result.purchase))

    @strawberry.mutation(description="Gift points to another member (by phone or member code).")
    async def gift_points(self, info: Info, input: GiftPointsInput) -> GiftPointsPayload:
        ctx = info.context
        result = await transfers.gift_points(
            transfers.GiftPoints(input.recipient.to_domain(), input.amount, input.idempotency_key, input.message),
            ctx.deps(),
            transfers.LookupBudget(ctx.container.limiter, ctx.container.settings.gift_recipient_lookups_per_hour))
        return GiftPointsPayload(entry=PointsEntry.from_domain(result.sent),
                                 balance=await load_balance(info, result.sent.member_id))

    @strawberry.mutation(description="Staff: credit or debit a member's points, with a reason (audited).")
    async def adjust_points(self, info: Info, input: AdjustPointsInput) -> AdjustPointsPayload:
        ctx = info.context
        entry = await transfers.adjust_points(transfers.AdjustPoints(
            parse_id(input.member_id), input.amount, input.reason, input.idempotency_key), ctx.deps())
        return AdjustPointsPayload(entry=PointsEntry.from_domain(entry),
                                   balance=await load_balance(info, entry.member_id))
