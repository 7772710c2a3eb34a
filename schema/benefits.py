"""The benefit catalog: tier perks, points-priced rewards, redemptions and vouchers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from domain import cursors
from domain.auth.viewer import Role
from domain.benefits import services
from domain.benefits.model import Eligibility
from domain.benefits.model import Ineligibility as DomainIneligibility
from domain.benefits.model import LimitPeriod as DomainLimitPeriod
from domain.benefits.model import Redemption as DomainRedemption
from domain.benefits.model import RedemptionStatus as DomainStatus
from domain.benefits.model import Reward as DomainReward
from domain.benefits.model import RewardKind as DomainKind
from domain.benefits.ports import RewardSort as DomainSort
from domain.benefits.rules import eligibility, period_start
from domain.tiers.services import tier_progress
from schema.connections import PageInfo
from schema.enums import register_enum
from schema.info import Info
from schema.points import load_balance
from schema.refs import Node, global_id, parse_id

# Registered in place (register_enum returns nothing; the class itself is the enum), so type checkers
# see a plain enum.
register_enum(DomainKind, "RewardKind",
              "What kind of thing a reward is, for display; every kind is redeemed the same way, as a voucher.", {
                  "GOODS": "A physical item.",
                  "COUPON": "A coupon or discount.",
                  "EXPERIENCE": "An experience, such as a visit or a class.",
                  "DONATION": "A donation made with the points.",
              })
RewardKind = DomainKind
register_enum(DomainLimitPeriod, "LimitPeriod",
              "The window a reward's per-member limit counts in, in the program time zone (Asia/Shanghai).", {
                  "DAY": "Since local midnight today.",
                  "MONTH": "Since the first day of the current month.",
                  "YEAR": "Since 1 January of the current year.",
                  "EVER": "For all time: the limit never resets.",
              })
LimitPeriod = DomainLimitPeriod
register_enum(DomainStatus, "RedemptionStatus", "Where a redemption's voucher stands.", {
    "ISSUED": "Valid and not used yet: it can be shown at the till or cancelled.",
    "USED": "Handed over: staff marked the voucher used.",
    "CANCELLED": "Cancelled before use; the points and the stock came back.",
    "EXPIRED": "Not used before `expiresAt`; the points do not come back.",
})
RedemptionStatus = DomainStatus
register_enum(DomainSort, "RewardSort", "The order of the reward catalog.", {
    "PRICE_ASC": "Cheapest first (points price).",
    "PRICE_DESC": "Most expensive first (points price).",
    "NEWEST": "Most recently added first.",
})
RewardSort = DomainSort
register_enum(DomainIneligibility, "RewardIneligibility",
              "Why a member cannot redeem a reward now; when several apply, the first in this order is given.", {
                  "NOT_ON_OFFER": "The reward is inactive or outside its validFrom/validUntil window.",
                  "TIER_TOO_LOW": "The member's tier rank is below the reward's `minTierRank`.",
                  "LIMIT_REACHED": "The member has redeemed as many as `perMemberLimit` allows in this period.",
                  "OUT_OF_STOCK": "None left in stock.",
                  "NOT_ENOUGH_POINTS": "The member's available points are fewer than one unit's price.",
              })
RewardIneligibility = DomainIneligibility


@strawberry.type(description="A reward of the points catalog: members spend points on it and get a voucher.")
class Reward(Node):
    id: strawberry.ID = strawberry.field(description="Global id of the reward (opaque; works with `node`).")
    name: str = strawberry.field(description="Display name (1 to 80 characters).")
    description: str = strawberry.field(description="Longer text for the detail page; empty when none was given.")
    category: str = strawberry.field(description="Catalog category, free text set by staff; filter with "
                                                 "`rewards(category:)`.")
    kind: RewardKind = strawberry.field(description="What the reward gives.")
    points_price: int = strawberry.field(description="Price of one unit, in whole points.")
    cash_price_cents: int = strawberry.field(description="A points + cash reward: the cash part of one unit, in "
                                                         "cents (paid outside, its reference passed to "
                                                         "`redeemReward`); 0 for points only.")
    stock: int | None = strawberry.field(description="Left in stock; null means unlimited.")
    per_member_limit: int | None = strawberry.field(
        description="How many units one member may redeem per `limitPeriod`; null means no limit.")
    limit_period: LimitPeriod = strawberry.field(description="The window `perMemberLimit` counts in.")
    min_tier_rank: int = strawberry.field(description="Lowest tier rank that may redeem it; 0: every tier.")
    valid_from: datetime | None = strawberry.field(description="On offer from then (UTC); null: no start.")
    valid_until: datetime | None = strawberry.field(description="On offer until then, exclusive (UTC); null: no end.")
    image_urls: list[str] = strawberry.field(description="Up to 9 https image URLs, the first is the cover; may "
                                                         "be empty.")
    active: bool = strawberry.field(description="False when staff took it off the catalog (only staff see those).")
    reward: strawberry.Private[DomainReward]

    @strawberry.field(description="Whether the signed-in member can redeem one now; null for anyone but a member.")
    async def eligible_for_me(self, info: Info) -> bool | None:
        found = await _eligibility(info, self.reward)
        return found.eligible if found else None

    @strawberry.field(description="How many more the member may redeem in the current limit period "
                                  "(`limitPeriod`); null when there is no per-member limit or for non-members.")
    async def remaining_for_me(self, info: Info) -> int | None:
        found = await _eligibility(info, self.reward)
        return found.remaining if found else None

    @strawberry.field(description="Why the member cannot redeem it now; null when they can (or for non-members).")
    async def not_eligible_reason(self, info: Info) -> RewardIneligibility | None:
        found = await _eligibility(info, self.reward)
        return found.reason if found else None

    @classmethod
    def from_domain(cls, r: DomainReward) -> Reward:
        return cls(id=global_id("Reward", r.id), name=r.name, description=r.description, category=r.category,
                   kind=r.kind, points_price=r.points_price, stock=r.stock, per_member_limit=r.per_member_limit,
                   limit_period=r.limit_period, min_tier_rank=r.min_tier_rank, valid_from=r.valid_from,
                   valid_until=r.valid_until, image_urls=list(r.image_urls), active=r.active,
                   cash_price_cents=r.cash_price_cents, reward=r)


async def _eligibility(info: Info, reward: DomainReward) -> Eligibility | None:
    ctx = info.context
    if ctx.viewer.role is not Role.MEMBER or ctx.viewer.subject_id is None:
        return None
    member_id = ctx.viewer.subject_id
    now = ctx.container.now()
    since = period_start(reward.limit_period, now, ctx.container.timezone)
    rank = await ctx.loaders.tier_rank_by_member.load(member_id)
    used = await ctx.loaders.redeemed_in_period.load((member_id, reward.id, since))
    available = (await load_balance(info, member_id)).available
    return eligibility(reward, rank, used, available, now)


@strawberry.type(description="One reward in a page of the catalog.")
class RewardEdge:
    cursor: str = strawberry.field(description="Opaque cursor of this reward: pass it as `after` for the next page.")
    node: Reward = strawberry.field(description="The reward.")


@strawberry.type(description="A page of the reward catalog.")
class RewardConnection:
    edges: list[RewardEdge] = strawberry.field(description="The rewards of this page, in the requested order.")
    page_info: PageInfo = strawberry.field(description="Whether more follow, and the cursor to continue from.")


def _cursor(reward: DomainReward, sort: DomainSort) -> str:
    return cursors.encode(reward.id if sort is DomainSort.NEWEST else reward.points_price, reward.id)


@strawberry.type(description="Points spent on a reward, and the voucher the member shows to get it.")
class Redemption(Node):
    id: strawberry.ID = strawberry.field(description="Global id of the redemption (opaque; works with `node`).")
    quantity: int = strawberry.field(description="Units redeemed at once (1 to 20).")
    points_spent: int = strawberry.field(description="Whole points spent: the unit price times the quantity.")
    voucher_code: str = strawberry.field(description="12-character code (no 0/O/1/I/L) shown at the till, e.g. "
                                                     "as a QR code; staff pass it to `useVoucher`.")
    status: RedemptionStatus = strawberry.field(description="Where the voucher stands now (EXPIRED once past "
                                                            "`expiresAt` unused).")
    created_at: datetime = strawberry.field(description="When the points were spent (UTC).")
    expires_at: datetime = strawberry.field(description="The voucher cannot be used from then on (UTC).")
    used_at: datetime | None = strawberry.field(description="When staff marked it used (UTC); null until then.")
    cash_paid_cents: int = strawberry.field(description="The cash part paid (the unit's cash price times the "
                                                        "quantity), in cents; 0 for a points-only reward.")
    payment_reference: str | None = strawberry.field(description="The external payment that settled the cash "
                                                                 "part; null for a points-only reward.")
    reward_id: strawberry.Private[int]

    @strawberry.field(description="The reward redeemed; null only if it can no longer be loaded.")
    async def reward(self, info: Info) -> Reward | None:
        found = await info.context.loaders.reward_by_id.load(self.reward_id)
        return Reward.from_domain(found) if found else None

    @classmethod
    def from_domain(cls, r: DomainRedemption, now: datetime) -> Redemption:
        return cls(id=global_id("Redemption", r.id), quantity=r.quantity, points_spent=r.points_spent,
                   voucher_code=r.voucher_code, status=r.status_at(now), created_at=r.created_at,
                   expires_at=r.expires_at, used_at=r.used_at, cash_paid_cents=r.cash_paid_cents,
                   payment_reference=r.payment_reference, reward_id=r.reward_id)


@strawberry.type(description="Tier perks: what the member's tier gives, and what the next one would add.")
class MemberBenefits:
    current: list[str] = strawberry.field(description="Perks of the member's tier today.")
    next_tier_adds: list[str] = strawberry.field(description="What reaching the next tier would add.")


@strawberry.type(description="One redemption in a page of a member's redemptions.")
class RedemptionEdge:
    cursor: str = strawberry.field(description="Opaque cursor of this redemption: pass it as `after` for the next "
                                               "page.")
    node: Redemption = strawberry.field(description="The redemption.")


@strawberry.type(description="A page of a member's redemptions, newest first.")
class RedemptionConnection:
    edges: list[RedemptionEdge] = strawberry.field(description="The redemptions of this page, newest first.")
    page_info: PageInfo = strawberry.field(description="Whether more follow, and the cursor to continue from.")
    total_count: int = strawberry.field(description="The member's redemptions in all pages, any status.")

    @strawberry.field(description="The nodes of `edges`, for clients that do not need per-item cursors.")
    def nodes(self) -> list[Redemption]:
        return [e.node for e in self.edges]


async def load_redemptions(info: Info, member_id: int, first: int, after: str | None) -> RedemptionConnection:
    ctx = info.context
    page = await services.member_redemptions(ctx.uow(), ctx.viewer, member_id, first,
                                             cursors.decode_int(after)[1] if after else None)
    now = ctx.container.now()
    edges = [RedemptionEdge(cursor=cursors.encode(r.id, r.id), node=Redemption.from_domain(r, now))
             for r in page.redemptions]
    return RedemptionConnection(edges=edges, total_count=page.total, page_info=PageInfo(
        has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None))


@strawberry.input(description="A reward as staff set it up; every field is replaced on save.")
class SaveRewardInput:
    id: strawberry.ID | None = strawberry.field(default=None, description="The reward to change; omit to create "
                                                                          "one (unknown id: NOT_FOUND).")
    name: str = strawberry.field(description="Display name, 1 to 80 characters (trimmed).")
    category: str = strawberry.field(description="Catalog category, 1 to 40 characters (trimmed).")
    kind: RewardKind = strawberry.field(description="What the reward gives.")
    points_price: int = strawberry.field(description="Price of one unit in whole points, 1 to 10,000,000.")
    cash_price_cents: int = strawberry.field(default=0, description="A points + cash reward: the cash part of one "
                                                                    "unit in cents, 0 to 100,000,000 (0: points "
                                                                    "only).")
    stock: int | None = strawberry.field(default=None, description="Units in stock (0 or more); null: unlimited.")
    per_member_limit: int | None = strawberry.field(default=None, description="Units one member may redeem per "
                                                                              "`limitPeriod` (1 or more); null: "
                                                                              "no limit.")
    limit_period: LimitPeriod = strawberry.field(default=DomainLimitPeriod.EVER,
                                                 description="The window `perMemberLimit` counts in.")
    min_tier_rank: int = strawberry.field(default=0, description="Lowest tier rank that may redeem it (0: every "
                                                                 "tier).")
    valid_from: datetime | None = strawberry.field(default=None, description="On offer from then; null: at once.")
    valid_until: datetime | None = strawberry.field(default=None, description="On offer until then (exclusive, "
                                                                              "after validFrom); null: no end.")
    voucher_valid_days: int = strawberry.field(default=30, description="Days a voucher stays valid after the "
                                                                       "redemption, 1 to 3650.")
    description: str = strawberry.field(default="", description="Longer text, at most 2000 characters.")
    image_urls: list[str] = strawberry.field(default_factory=list, description="Up to 9 https URLs (each at most "
                                                                               "500 characters).")
    active: bool = strawberry.field(default=True, description="False takes it off the catalog for members.")


@strawberry.type(description="The result of `saveReward`.")
class RewardPayload:
    reward: Reward = strawberry.field(description="The reward as saved.")


@strawberry.input(description="A member's request to spend points on a reward.")
class RedeemRewardInput:
    reward_id: strawberry.ID = strawberry.field(description="Global id of the reward.")
    quantity: int = strawberry.field(default=1, description="Units at once, 1 to 20; one voucher covers them all.")
    idempotency_key: str = strawberry.field(description="A fresh key per redemption (e.g. a UUID; 1 to 100 of "
                                                        "letters, digits and . _ : / -); "
                                                        "retrying with the same key returns the same "
                                                        "redemption, reusing it for another request is "
                                                        "IDEMPOTENCY_CONFLICT.")
    payment_reference: str | None = strawberry.field(
        default=None, description="Required for a points + cash reward (`cashPriceCents` > 0), refused otherwise: "
                                  "the reference of the external payment that settled the cash part (1-64 letters, "
                                  "digits or . _ : / -); one payment pays one redemption (else CONFLICT).")


@strawberry.type(description="The result of a redemption mutation.")
class RedemptionPayload:
    redemption: Redemption = strawberry.field(description="The redemption as it stands now.")


@strawberry.type
class BenefitQueries:
    @strawberry.field(description="Rewards on offer now (active, inside their validity window), filtered and "
                                  "sorted, keyset-paginated. Anyone may call it (signed in or not); "
                                  "BAD_USER_INPUT for a bad `first` or tier code.")
    async def rewards(
        self, info: Info,
        first: Annotated[int, strawberry.argument(description="Page size, 1 to 100.")] = 20,
        after: Annotated[str | None, strawberry.argument(
            description="Opaque cursor from the previous page (`endCursor`), with the same sort; null: the "
                        "first page.")] = None,
        category: Annotated[str | None, strawberry.argument(
            description="Only this category (exact match); null: all.")] = None,
        affordable_now: Annotated[bool, strawberry.argument(
            description="Only rewards whose unit price is at most the member's available points; signed-in "
                        "members only (else UNAUTHENTICATED or FORBIDDEN).")] = False,
        tier: Annotated[str | None, strawberry.argument(
            description="A tier code: only rewards that tier may redeem (minimum rank at or below it); unknown "
                        "code: BAD_USER_INPUT.")] = None,
        sort: Annotated[RewardSort, strawberry.argument(description="The order.")] = DomainSort.PRICE_ASC,
    ) -> RewardConnection:
        ctx = info.context
        available = None
        if affordable_now:
            available = (await load_balance(info, ctx.viewer.require_member())).available
        page = await services.browse_rewards(services.BrowseRewards(
            category=category, affordable_now=affordable_now, tier_code=tier, sort=sort,
            first=first, after=cursors.decode_int(after) if after else None, available_points=available,
        ), ctx.deps())
        edges = [RewardEdge(cursor=_cursor(r, sort), node=Reward.from_domain(r)) for r in page.rewards]
        return RewardConnection(edges=edges, page_info=PageInfo(has_next_page=page.has_next,
                                                                end_cursor=edges[-1].cursor if edges else None))


    @strawberry.field(description="One reward of the catalog (inactive ones: staff only); unknown: NOT_FOUND.")
    async def reward(self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(
            description="Global id of the reward.")]) -> Reward:
        found = await services.reward_for(info.context.uow(), info.context.viewer, parse_id(id, type_name="Reward"))
        return Reward.from_domain(found)

    @strawberry.field(description="One of the member's redemptions (voucher); staff: anyone's. Others': NOT_FOUND.")
    async def redemption(self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(
            description="Global id of the redemption.")]) -> Redemption:
        ctx = info.context
        found = await services.redemption_for(ctx.uow(), ctx.viewer, parse_id(id, type_name="Redemption"))
        return Redemption.from_domain(found, ctx.container.now())


@strawberry.type
class BenefitMutations:
    @strawberry.mutation(description="Staff: create (no id) or change a reward. BAD_USER_INPUT lists each invalid "
                                     "field; an unknown id is NOT_FOUND.")
    async def save_reward(self, info: Info, input: Annotated[SaveRewardInput, strawberry.argument(
            description="The reward; every field is replaced.")]) -> RewardPayload:
        ctx = info.context
        reward = DomainReward(
            id=parse_id(input.id) if input.id is not None else 0, name=input.name, category=input.category,
            kind=input.kind, points_price=input.points_price, stock=input.stock,
            per_member_limit=input.per_member_limit, limit_period=input.limit_period,
            min_tier_rank=input.min_tier_rank, valid_from=input.valid_from, valid_until=input.valid_until,
            voucher_valid_days=input.voucher_valid_days, description=input.description,
            image_urls=list(input.image_urls), active=input.active, cash_price_cents=input.cash_price_cents,
        )
        saved = await services.save_reward(ctx.uow(), ctx.viewer, reward, ctx.container.now())
        return RewardPayload(reward=Reward.from_domain(saved))

    @strawberry.mutation(description="Member: spend points on a reward (oldest points first) and get a voucher; a "
                                     "retry with the same key returns the same voucher. Errors: NOT_FOUND (not on "
                                     "offer), NOT_ELIGIBLE (tier too low), LIMIT_EXCEEDED, INSUFFICIENT_POINTS, "
                                     "OUT_OF_STOCK, IDEMPOTENCY_CONFLICT, BAD_USER_INPUT (quantity, "
                                     "paymentReference missing for a points + cash reward), CONFLICT (payment "
                                     "reference already used).")
    async def redeem_reward(self, info: Info, input: Annotated[RedeemRewardInput, strawberry.argument(
            description="The reward, the quantity and an idempotency key.")]) -> RedemptionPayload:
        ctx = info.context
        redemption = await services.redeem_reward(services.RedeemReward(
            parse_id(input.reward_id, "rewardId"), input.quantity, input.idempotency_key, input.payment_reference),
            ctx.deps())
        return RedemptionPayload(redemption=Redemption.from_domain(redemption, ctx.container.now()))

    @strawberry.mutation(description="Staff/POS: mark a voucher used (once). Unknown code: NOT_FOUND; already "
                                     "used, cancelled or expired: VOUCHER_NOT_USABLE; a store not assigned to a "
                                     "clerk: FORBIDDEN.")
    async def use_voucher(self, info: Info, code: Annotated[str, strawberry.argument(
            description="The voucher code as shown by the member (case and surrounding spaces ignored).")],
            store_id: Annotated[str | None, strawberry.argument(
                description="The store the voucher is used at; required for store clerks (one of theirs).")] = None,
    ) -> RedemptionPayload:
        ctx = info.context
        redemption = await services.use_voucher(ctx.uow(), ctx.viewer, code, ctx.container.now(), store_id)
        return RedemptionPayload(redemption=Redemption.from_domain(redemption, ctx.container.now()))

    @strawberry.mutation(description="The member (own vouchers) or staff: cancel an unused voucher; points and "
                                     "stock come back. Another member's: NOT_FOUND; used, cancelled or expired: "
                                     "VOUCHER_NOT_USABLE.")
    async def cancel_redemption(self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(
            description="Global id of the redemption.")]) -> RedemptionPayload:
        ctx = info.context
        redemption = await services.cancel_redemption(parse_id(id), ctx.deps())
        return RedemptionPayload(redemption=Redemption.from_domain(redemption, ctx.container.now()))


async def load_benefits(info: Info, member_id: int) -> MemberBenefits:
    ctx = info.context
    progress = await tier_progress(ctx.uow(), ctx.viewer, member_id, ctx.container.now())
    current = list(progress.current.benefits)
    upcoming = list(progress.next.benefits) if progress.next else []
    return MemberBenefits(current=current, next_tier_adds=[b for b in upcoming if b not in current])
