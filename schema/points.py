"""Points: balance, history, purchases and refunds, gifts, staff adjustments, leaderboard."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import replace
from datetime import datetime, timedelta
from enum import Enum
from typing import Annotated

import strawberry

from domain import cursors
from domain.auth.viewer import Role
from domain.points import purchases, queries, transfers
from domain.points.balance import BalanceRead
from domain.points.model import Balance, entry_source
from domain.points.model import Entry as DomainEntry
from domain.points.model import EntryKind as DomainEntryKind
from domain.points.ports import Purchase as DomainPurchase
from domain.points.ports import Refund as DomainRefund
from domain.points.rules import LineItem
from schema.awaitables import later
from schema.connections import PageInfo
from schema.enums import PointsEntrySource, SalesChannel, register_enum
from schema.info import Info
from schema.query_reads import query_reads
from schema.refs import MemberRefInput, parse_id

# Registered in place (strawberry.enum returns the class itself), so type checkers see a plain enum.
register_enum(DomainEntryKind, "PointsEntryKind", "What a points ledger entry did to the balance.", {
    "EARN": "Points earned (a purchase, an activity, a check-in, a referral, a tier upgrade, a partner...): a "
            "credit.",
    "REDEEM": "Points spent (a reward, a partner burn, a make-up check-in): a debit.",
    "EXPIRE": "Points that reached their expiry date unspent: a debit.",
    "ADJUST": "A manual correction by staff, with a reason: a credit or a debit.",
    "GIFT_OUT": "Points this member gifted to another member: a debit.",
    "GIFT_IN": "Points another member gifted to this member: a credit.",
    "MERGE_OUT": "Staff merged this member into another (`mergeMembers`): all points left, a debit.",
    "MERGE_IN": "Staff merged another member into this one: their points arrived with their expiry dates, a "
                "credit.",
    "REVERSE": "A reversal: a debit when earned points are taken back (a refund, a reversed partner earn), a "
               "credit when spent points come back (a cancelled redemption, a reversed partner burn).",
})
PointsEntryKind = DomainEntryKind


@strawberry.type(description="One line of a member's points ledger (append-only): a credit or a debit.")
class PointsEntry:
    id: strawberry.ID = strawberry.field(description="The entry's id (opaque).")
    kind: PointsEntryKind = strawberry.field(description="What the entry did: earn, spend, expire, gift...")
    amount: int = strawberry.field(description="Signed whole points: positive credits, negative debits.")
    reason: str = strawberry.field(description="Human-readable reason shown on the statement (e.g. the gift "
                                               "message, the adjustment reason).")
    source_type: PointsEntrySource = strawberry.field(description="What the entry came from.")
    source_detail: str | None = strawberry.field(
        description="The partner id for PARTNER, the activity for ACTIVITY; else null.")
    source_ref: str = strawberry.field(description="A reference within the source (e.g. the order, the reward "
                                                   "or the day); opaque, for support and reconciliation.")
    created_at: datetime = strawberry.field(description="When the entry was written (UTC).")
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


@strawberry.type(description="A points ledger entry with its cursor.")
class PointsEntryEdge:
    cursor: str = strawberry.field(description="Opaque cursor of this entry: pass as `after` (or `before`).")
    node: PointsEntry = strawberry.field(description="The entry.")


@strawberry.type(description="A page of points ledger entries, newest first.")
class PointsEntryConnection:
    edges: list[PointsEntryEdge] = strawberry.field(description="The entries of this page, newest first.")
    page_info: PageInfo = strawberry.field(description="Cursors and whether more pages exist.")


@strawberry.type(description="Points that expire together at one instant.")
class ExpiringPoints:
    expires_at: datetime = strawberry.field(description="When these points expire (UTC).")
    points: int = strawberry.field(description="Whole points that expire at `expiresAt` unless spent first.")


@strawberry.type(description="A member's points balance, in whole points.")
class PointsBalance:
    available: int = strawberry.field(description="Whole points spendable now.")
    pending: int = strawberry.field(description="Whole points earned on purchases still inside their return window: "
                                                "not yet spendable.")
    total: int = strawberry.field(description="The ledger sum in whole points (available plus held plus pending, "
                                              "plus any expired points not yet written off).")
    held: int = strawberry.field(description="Whole points reserved by points payments at a store not yet captured "
                                             "or released: the member's, but not spendable.")
    member_id: strawberry.Private[int]
    balance: strawberry.Private[Balance]

    @strawberry.field(description="Points that expire within the next `days` days (default: the program's "
                                  "expiring-soon window, the setting `expiringSoonDays`).")
    def expiring_soon(
        self, info: Info,
        days: Annotated[int | None, strawberry.argument(
            description="How many days ahead to look, 1 to 365 (else BAD_USER_INPUT); null: the program's "
                        "window.")] = None,
    ) -> int:
        # Plain, since the balance in hand answers the program's window (what screens ask for).
        if days is None or days == self.balance.expiring_window_days:
            return self.balance.expiring_soon
        return later(self._expiring_within(info, days))

    async def _expiring_within(self, info: Info, days: int) -> int:
        other = await queries.balance_for(BalanceRead(self.member_id, days), info.context.deps())
        return other.expiring_soon

    @strawberry.field(description="When points expire: the next `first` (1 to 50) dates, soonest first, with the "
                                  "points expiring then (pending points included).")
    async def expiry_schedule(
        self, info: Info,
        first: Annotated[int, strawberry.argument(
            description="How many expiry dates, 1 to 50 (else BAD_USER_INPUT).")] = 5,
    ) -> list[ExpiringPoints]:
        ctx = info.context
        rows = await queries.expiry_schedule(ctx.uow(), ctx.viewer, self.member_id, ctx.container.now(), first)
        return [ExpiringPoints(expires_at=at, points=points) for at, points in rows]

    @classmethod
    def from_domain(cls, b: Balance) -> PointsBalance:
        return cls(available=b.available, pending=b.pending, total=b.total, held=b.held, member_id=b.member_id,
                   balance=b)


async def load_balance(info: Info, member_id: int) -> PointsBalance:
    ctx = info.context
    reads = query_reads(info)

    def read() -> Awaitable[Balance]:
        deps = ctx.deps()
        return queries.balance_for(BalanceRead(member_id), replace(deps, cache=reads.cache) if reads else deps)

    return PointsBalance.from_domain(await (reads.balance(member_id, None, read) if reads else read()))


async def load_history(info: Info, member_id: int, first: int | None, after: str | None,
                       kinds: list[DomainEntryKind] | None, last: int | None = None,
                       before: str | None = None) -> PointsEntryConnection:
    page = await queries.history(queries.HistoryQuery(member_id, first, after, kinds, last, before),
                                 info.context.deps())
    edges = [PointsEntryEdge(cursor=queries.encode_cursor(e), node=PointsEntry.from_domain(e)) for e in page.entries]
    return PointsEntryConnection(edges=edges, page_info=PageInfo(
        has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None,
        has_previous_page=page.has_previous, start_cursor=edges[0].cursor if edges else None))


@strawberry.input(description="One line of an order, for category earning rules.")
class LineItemInput:
    category: str = strawberry.field(description="Product category the earning rules match on (1 to 40 characters).")
    amount_cents: int = strawberry.field(description="The line's amount in cents (1/100 yuan), not negative.")
    sku: str | None = strawberry.field(default=None, description="The product's SKU, if known.")
    quantity: int = strawberry.field(default=1, description=(
        "Units on the line (1 to 100000); `amountCents` is the whole line. Items per order adds these up."))


@strawberry.input(description="An order paid at a store, to earn points on.")
class RecordPurchaseInput:
    member: MemberRefInput = strawberry.field(description="The member who bought (exactly one way of naming them).")
    order_id: str = strawberry.field(description="The order's id at the store (1-64 letters, digits or . _ : -); "
                                                 "resending the same order replays the first result.")
    store_id: str = strawberry.field(description="The store (1-64 letters, digits or . _ : -); order ids are "
                                                 "unique per store.")
    amount_cents: int = strawberry.field(description="What the member paid, in cents (1/100 yuan); positive.")
    items: list[LineItemInput] = strawberry.field(description="The order's lines (1 to 200); their amounts must "
                                                              "add up to `amountCents`.")
    purchased_at: datetime | None = strawberry.field(
        default=None, description="When the purchase happened (not in the future); null: now.")
    channel: SalesChannel | None = strawberry.field(
        default=None, description="Where the order was placed; null: POS.")


@strawberry.type(description="One line of a recorded purchase.")
class PurchaseItem:
    category: str = strawberry.field(description="Product category.")
    amount_cents: int = strawberry.field(description="The line's amount in cents (1/100 yuan).")
    sku: str | None = strawberry.field(description="The product's SKU; null if the store did not send one.")
    quantity: int = strawberry.field(description="Units on the line (1 for orders recorded before quantities).")


@strawberry.type(name="Purchase", description="An order a member paid at a store, and the points it earned.")
class PurchaseType:
    id: strawberry.ID = strawberry.field(description="The purchase's id (opaque).")
    order_id: str = strawberry.field(description="The order's id at the store.")
    store_id: str = strawberry.field(description="The store the order was placed at.")
    amount_cents: int = strawberry.field(description="What the member paid, in cents (1/100 yuan).")
    items: list[PurchaseItem] = strawberry.field(description="The order's lines.")
    refunded_cents: int = strawberry.field(description="How much of the order has been refunded so far, in cents.")
    points_awarded: int = strawberry.field(description="Whole points the purchase earned.")
    points_reversed: int = strawberry.field(description="Whole points taken back by refunds so far (including any "
                                                        "`shortfallPoints`).")
    shortfall_points: int = strawberry.field(description="Points a refund could not take back (already spent).")
    purchased_at: datetime = strawberry.field(description="When the purchase happened (UTC).")
    channel: SalesChannel = strawberry.field(description="Where the order was placed (POS for older orders).")

    @classmethod
    def from_domain(cls, p: DomainPurchase) -> PurchaseType:
        return cls(id=strawberry.ID(str(p.id)), order_id=p.order_id, store_id=p.store_id,
                   amount_cents=p.amount_cents,
                   items=[PurchaseItem(category=i.category, amount_cents=i.amount_cents, sku=i.sku, quantity=i.quantity)
                          for i in p.items],
                   refunded_cents=p.refunded_cents, points_awarded=p.points_awarded,
                   points_reversed=p.points_reversed, shortfall_points=p.shortfall_points,
                   purchased_at=p.purchased_at, channel=p.channel)


@strawberry.type(description="A purchase with its cursor.")
class PurchaseEdge:
    cursor: str = strawberry.field(description="Opaque cursor of this purchase: pass as `after`.")
    node: PurchaseType = strawberry.field(description="The purchase.")


@strawberry.type(description="A page of a member's purchases, newest first.")
class PurchaseConnection:
    edges: list[PurchaseEdge] = strawberry.field(description="The purchases of this page, newest first.")
    page_info: PageInfo = strawberry.field(description="The cursor to continue from and whether more pages exist.")
    total_count: int = strawberry.field(description="How many purchases the member has in all.")

    @strawberry.field(description="The nodes of `edges`, for clients that do not need per-item cursors.")
    def nodes(self) -> list[PurchaseType]:
        return [e.node for e in self.edges]


async def load_purchases(info: Info, member_id: int, first: int, after: str | None) -> PurchaseConnection:
    page = await queries.member_purchases(info.context.uow(), info.context.viewer, member_id, first, after)
    edges = [PurchaseEdge(cursor=cursors.encode(p.purchased_at, p.id), node=PurchaseType.from_domain(p))
             for p in page.purchases]
    return PurchaseConnection(edges=edges, total_count=page.total, page_info=PageInfo(
        has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None))


@strawberry.type(description="The result of `recordPurchase`.")
class RecordPurchasePayload:
    purchase: PurchaseType = strawberry.field(description="The recorded purchase.")
    points_earned: int = strawberry.field(description="Whole points the purchase earned (tier multiplier included).")
    tier_changed: bool = strawberry.field(description="True if this purchase moved the member to another tier.")


@strawberry.input(description="A refund of all or part of a recorded order.")
class RecordRefundInput:
    order_id: str = strawberry.field(description="The order's id, as sent to `recordPurchase`.")
    store_id: str = strawberry.field(description="The store of the order, as sent to `recordPurchase`.")
    refund_id: str = strawberry.field(description="The refund's own id (1-64 letters, digits or . _ : -); resending "
                                                  "the same refund replays the first result.")
    amount_cents: int = strawberry.field(description="Amount refunded, in cents (1/100 yuan); positive, and at most "
                                                     "what is left unrefunded on the order.")


@strawberry.type(name="Refund", description="A refund of (part of) an order and the points it took back.")
class RefundType:
    refund_id: str = strawberry.field(description="The refund's id, as sent to `recordRefund`.")
    amount_cents: int = strawberry.field(description="Amount refunded, in cents (1/100 yuan).")
    points_reversed: int = strawberry.field(description="Whole points this refund took back, in proportion to the "
                                                        "amount (including `shortfallPoints`).")
    shortfall_points: int = strawberry.field(description="Of those, whole points that could not be taken back "
                                                         "because the member had already spent them.")
    created_at: datetime = strawberry.field(description="When the refund was recorded (UTC).")

    @classmethod
    def from_domain(cls, r: DomainRefund) -> RefundType:
        return cls(refund_id=r.refund_id, amount_cents=r.amount_cents, points_reversed=r.points_reversed,
                   shortfall_points=r.shortfall_points, created_at=r.created_at)


@strawberry.type(description="The result of `recordRefund`.")
class RecordRefundPayload:
    refund: RefundType = strawberry.field(description="The refund.")
    purchase: PurchaseType = strawberry.field(description="The order after the refund.")
    points_returned: int = strawberry.field(description="Whole points that paid part of this order "
                                                        "(`capturePointsPayment`) and that this refund gave back, "
                                                        "in proportion; 0 when points paid none of it.")


@strawberry.input(description="Points one member gifts to another.")
class GiftPointsInput:
    recipient: MemberRefInput = strawberry.field(description="Who receives the points (not yourself).")
    amount: int = strawberry.field(description="Whole points to gift; positive, within your spendable balance and "
                                               "the program's daily gifting limit.")
    idempotency_key: str = strawberry.field(description="A key you choose per gift (1-100 letters, digits or "
                                                        ". _ : / -); retrying with it replays the first result.")
    message: str = strawberry.field(default="", description="A note for the recipient (at most 100 characters); "
                                                            "shown as the entries' reason.")


@strawberry.type(description="The result of `giftPoints`.")
class GiftPointsPayload:
    entry: PointsEntry = strawberry.field(description="The sender's ledger entry (GIFT_OUT, a negative amount).")
    member_id: strawberry.Private[int]

    # Read only when asked for: the commit fences the cached balance (domain/points/balance.py), so
    # a balance nobody selected would cost two statements.
    @strawberry.field(description="The sender's balance after the gift.")
    async def balance(self, info: Info) -> PointsBalance:
        return await load_balance(info, self.member_id)


@strawberry.input(description="A manual correction of a member's points by staff.")
class AdjustPointsInput:
    member_id: strawberry.ID = strawberry.field(description="The member's id.")
    amount: int = strawberry.field(description="Whole points: positive credits, negative debits; not zero.")
    reason: str = strawberry.field(description="Why (1 to 200 characters); recorded in the ledger and the audit log.")
    idempotency_key: str = strawberry.field(description="A key you choose per adjustment (1-100 letters, digits or "
                                                        ". _ : / -); retrying with it replays the first result.")


@strawberry.type(description="The result of `adjustPoints`.")
class AdjustPointsPayload:
    entry: PointsEntry = strawberry.field(description="The ledger entry written (kind ADJUST).")
    member_id: strawberry.Private[int]

    @strawberry.field(description="The member's balance after the adjustment.")
    async def balance(self, info: Info) -> PointsBalance:
        return await load_balance(info, self.member_id)


@strawberry.enum(description="The period a leaderboard counts points earned in (program time zone, Asia/Shanghai).")
class LeaderboardPeriod(Enum):
    WEEK = strawberry.enum_value("WEEK", description="This week so far, from Monday.")
    MONTH = strawberry.enum_value("MONTH", description="This calendar month so far.")
    YEAR = strawberry.enum_value("YEAR", description="This calendar year so far.")


@strawberry.type(description="One place on the points leaderboard.")
class LeaderboardEntry:
    rank: int = strawberry.field(description="Place, from 1.")
    display_name: str = strawberry.field(description="The member's name, masked after its first character "
                                                     "(\"Member\" when they have none).")
    points: int = strawberry.field(description="Whole points earned in the period (EARN entries only; spending "
                                               "and gifts do not count).")
    is_me: bool = strawberry.field(description="True on the signed-in member's own place.")


@strawberry.type(description="A leaderboard place with its cursor.")
class LeaderboardEdge:
    cursor: str = strawberry.field(description="Opaque cursor of this place: pass as `after`.")
    node: LeaderboardEntry = strawberry.field(description="The place.")


@strawberry.type(description="A page of the points leaderboard, most points first.")
class LeaderboardConnection:
    edges: list[LeaderboardEdge] = strawberry.field(description="The places of this page, most points first.")
    page_info: PageInfo = strawberry.field(description="The cursor to continue from and whether more places exist.")

    @strawberry.field(description="The nodes of `edges`, for clients that do not need per-item cursors.")
    def nodes(self) -> list[LeaderboardEntry]:
        return [e.node for e in self.edges]


@strawberry.type
class PointsQueries:
    @strawberry.field(description="Any signed-in caller (else UNAUTHENTICATED): top earners in the period (members "
                                  "who opted out are not listed); page with `first`/`after`, ranks continue across "
                                  "pages.")
    async def points_leaderboard(
        self, info: Info,
        period: Annotated[LeaderboardPeriod, strawberry.argument(description="Which period to rank.")],
        first: Annotated[int, strawberry.argument(description="Places per page, 1 to 100 (else "
                                                              "BAD_USER_INPUT).")] = 20,
        after: Annotated[str | None, strawberry.argument(description="`endCursor` of the previous page; null for "
                                                                     "the first page.")] = None,
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
    @strawberry.mutation(description="Staff (the POS): record a purchase and award its points; idempotent on "
                                     "(storeId, orderId). Errors: UNAUTHENTICATED, FORBIDDEN, BAD_USER_INPUT, "
                                     "NOT_FOUND (no such member), IDEMPOTENCY_CONFLICT (same order, other data).")
    async def record_purchase(
        self, info: Info,
        input: Annotated[RecordPurchaseInput, strawberry.argument(description="The order.")],
    ) -> RecordPurchasePayload:
        ctx = info.context
        cmd = purchases.PurchaseCommand(
            member=input.member.to_domain(), order_id=input.order_id, store_id=input.store_id,
            amount_cents=input.amount_cents,
            items=[LineItem(i.category, i.amount_cents, i.sku, i.quantity) for i in input.items],
            purchased_at=input.purchased_at, channel=input.channel,
        )
        result = await purchases.record_purchase(cmd, ctx.deps())
        return RecordPurchasePayload(purchase=PurchaseType.from_domain(result.purchase),
                                     points_earned=result.points, tier_changed=result.tier_change is not None)

    @strawberry.mutation(description="Staff (the POS): refund all or part of an order and take back its points in "
                                     "proportion; idempotent on refundId. Errors: UNAUTHENTICATED, FORBIDDEN, "
                                     "BAD_USER_INPUT, NOT_FOUND (no such order), IDEMPOTENCY_CONFLICT.")
    async def record_refund(
        self, info: Info,
        input: Annotated[RecordRefundInput, strawberry.argument(description="The refund.")],
    ) -> RecordRefundPayload:
        result = await purchases.record_refund(purchases.RefundCommand(
            input.store_id, input.order_id, input.refund_id, input.amount_cents), info.context.deps())
        return RecordRefundPayload(refund=RefundType.from_domain(result.refund),
                                   purchase=PurchaseType.from_domain(result.purchase),
                                   points_returned=result.points_returned)

    @strawberry.mutation(description="Member: gift points to another member (by phone or member code). Errors: "
                                     "UNAUTHENTICATED, FORBIDDEN (tier too low to gift), INSUFFICIENT_POINTS, "
                                     "LIMIT_EXCEEDED (daily limit), RATE_LIMITED (too many recipient look-ups), "
                                     "NOT_FOUND, BAD_USER_INPUT, IDEMPOTENCY_CONFLICT.")
    async def gift_points(
        self, info: Info,
        input: Annotated[GiftPointsInput, strawberry.argument(description="The gift.")],
    ) -> GiftPointsPayload:
        ctx = info.context
        result = await transfers.gift_points(
            transfers.GiftPoints(input.recipient.to_domain(), input.amount, input.idempotency_key, input.message),
            ctx.deps(),
            transfers.LookupBudget(ctx.container.limiter, ctx.container.settings.gift_recipient_lookups_per_hour))
        return GiftPointsPayload(entry=PointsEntry.from_domain(result.sent), member_id=result.sent.member_id)

    @strawberry.mutation(description="Staff: credit or debit a member's points, with a reason (audited). Errors: "
                                     "UNAUTHENTICATED, FORBIDDEN, BAD_USER_INPUT, NOT_FOUND, INSUFFICIENT_POINTS "
                                     "(a debit beyond the spendable balance), IDEMPOTENCY_CONFLICT.")
    async def adjust_points(
        self, info: Info,
        input: Annotated[AdjustPointsInput, strawberry.argument(description="The adjustment.")],
    ) -> AdjustPointsPayload:
        ctx = info.context
        entry = await transfers.adjust_points(transfers.AdjustPoints(
            parse_id(input.member_id), input.amount, input.reason, input.idempotency_key), ctx.deps())
        return AdjustPointsPayload(entry=PointsEntry.from_domain(entry), member_id=entry.member_id)
