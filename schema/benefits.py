"""The benefit catalog: tier perks, points-priced rewards, redemptions and vouchers."""

from __future__ import annotations

from datetime import datetime

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
from schema.info import Info
from schema.points import load_balance
from schema.refs import Node, global_id, parse_id

# Registered in place (strawberry.enum returns the class itself), so type checkers see a plain enum.
strawberry.enum(DomainKind, name="RewardKind")
RewardKind = DomainKind
# Registered in place (strawberry.enum returns the class itself), so type checkers see a plain enum.
strawberry.enum(DomainLimitPeriod, name="LimitPeriod")
LimitPeriod = DomainLimitPeriod
# Registered in place (strawberry.enum returns the class itself), so type checkers see a plain enum.
strawberry.enum(DomainStatus, name="RedemptionStatus")
RedemptionStatus = DomainStatus
# Registered in place (strawberry.enum returns the class itself), so type checkers see a plain enum.
strawberry.enum(DomainSort, name="RewardSort")
RewardSort = DomainSort
# Registered in place (strawberry.enum returns the class itself), so type checkers see a plain enum.
strawberry.enum(DomainIneligibility, name="RewardIneligibility", description="Why a member cannot redeem a reward now.")
RewardIneligibility = DomainIneligibility


@strawberry.type
class Reward(Node):
    id: strawberry.ID
    name: str
    description: str
    category: str
    kind: RewardKind
    points_price: int
    stock: int | None = strawberry.field(description="Left in stock; null means unlimited.")
    per_member_limit: int | None
    limit_period: LimitPeriod
    min_tier_rank: int
    valid_from: datetime | None
    valid_until: datetime | None
    image_urls: list[str]
    active: bool
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
                   valid_until=r.valid_until, image_urls=list(r.image_urls), active=r.active, reward=r)


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


@strawberry.type
class RewardEdge:
    cursor: str
    node: Reward


@strawberry.type
class RewardConnection:
    edges: list[RewardEdge]
    page_info: PageInfo


def _cursor(reward: DomainReward, sort: DomainSort) -> str:
    return cursors.encode(reward.id if sort is DomainSort.NEWEST else reward.points_price, reward.id)


@strawberry.type
class Redemption(Node):
    id: strawberry.ID
    quantity: int
    points_spent: int
    voucher_code: str
    status: RedemptionStatus
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
    reward_id: strawberry.Private[int]

    @strawberry.field
    async def reward(self, info: Info) -> Reward | None:
        found = await info.context.loaders.reward_by_id.load(self.reward_id)
        return Reward.from_domain(found) if found else None

    @classmethod
    def from_domain(cls, r: DomainRedemption, now: datetime) -> Redemption:
        return cls(id=global_id("Redemption", r.id), quantity=r.quantity, points_spent=r.points_spent,
                   voucher_code=r.voucher_code, status=r.status_at(now), created_at=r.created_at,
                   expires_at=r.expires_at, used_at=r.used_at, reward_id=r.reward_id)


@strawberry.type
class MemberBenefits:
    current: list[str] = strawberry.field(description="Perks of the member's tier today.")
    next_tier_adds: list[str] = strawberry.field(description="What reaching the next tier would add.")


@strawberry.type
class RedemptionEdge:
    cursor: str
    node: Redemption


@strawberry.type
class RedemptionConnection:
    edges: list[RedemptionEdge]
    page_info: PageInfo
    total_count: int

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


@strawberry.input
class SaveRewardInput:
    id: strawberry.ID | None = None
    name: str
    category: str
    kind: RewardKind
    points_price: int
    stock: int | None = None
    per_member_limit: int | None = None
    limit_period: LimitPeriod = DomainLimitPeriod.EVER
    min_tier_rank: int = 0
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    voucher_valid_days: int = 30
    description: str = ""
    image_urls: list[str] = strawberry.field(default_factory=list)
    active: bool = True


@strawberry.type
class RewardPayload:
    reward: Reward


@strawberry.input
class RedeemRewardInput:
    reward_id: strawberry.ID
    quantity: int = 1
    idempotency_key: str


@strawberry.type
class RedemptionPayload:
    redemption: Redemption


@strawberry.type
class BenefitQueries:
    @strawberry.field(description="Rewards on offer, filtered and sorted, keyset-paginated.")
    async def rewards(
        self, info: Info, first: int = 20, after: str | None = None, category: str | None = None,
        affordable_now: bool = False, tier: str | None = None, sort: RewardSort = DomainSort.PRICE_ASC,
    ) -> RewardConnection:
        ctx = info.context
        available = None
        if affordable_now:
            available = (await load_balance(info, ctx.viewer.require_member())).available
        page = await services.browse_rewards(
            ctx.uow(), ctx.viewer, category=category, affordable_now=affordable_now, tier_code=tier, sort=sort,
            first=first, after=cursors.decode_int(after) if after else None, now=ctx.container.now(),
            available_points=available,
        )
        edges = [RewardEdge(cursor=_cursor(r, sort), node=Reward.from_domain(r)) for r in page.rewards]
        return RewardConnection(edges=edges, page_info=PageInfo(has_next_page=page.has_next,
                                                                end_cursor=edges[-1].cursor if edges else None))


    @strawberry.field(description="One reward of the catalog (inactive ones: staff only); unknown: NOT_FOUND.")
    async def reward(self, info: Info, id: strawberry.ID) -> Reward:
        found = await services.reward_for(info.context.uow(), info.context.viewer, parse_id(id, type_name="Reward"))
        return Reward.from_domain(found)

    @strawberry.field(description="One of the member's redemptions (voucher); staff: anyone's. Others': NOT_FOUND.")
    async def redemption(self, info: Info, id: strawberry.ID) -> Redemption:
        ctx = info.context
        found = await services.redemption_for(ctx.uow(), ctx.viewer, parse_id(id, type_name="Redemption"))
        return Redemption.from_domain(found, ctx.container.now())


@strawberry.type
class BenefitMutations:
    @strawberry.mutation(description="Staff: create (no id) or change a reward.")
    async def save_reward(self, info: Info, input: SaveRewardInput) -> RewardPayload:
        ctx = info.context
        reward = DomainReward(
            id=parse_id(input.id) if input.id is not None else 0, name=input.name, category=input.category,
            kind=input.kind, points_price=input.points_price, stock=input.stock,
            per_member_limit=input.per_member_limit, limit_period=input.limit_period,
            min_tier_rank=input.min_tier_rank, valid_from=input.valid_from, valid_until=input.valid_until,
            voucher_valid_days=input.voucher_valid_days, description=input.description,
            image_urls=list(input.image_urls), active=input.active,
        )
        saved = await services.save_reward(ctx.uow(), ctx.viewer, reward, ctx.container.now())
        return RewardPayload(reward=Reward.from_domain(saved))

    @strawberry.mutation(description="Spend points on a reward; a retry with the same key returns the same voucher.")
    async def redeem_reward(self, info: Info, input: RedeemRewardInput) -> RedemptionPayload:
        ctx = info.context
        redemption = await services.redeem_reward(services.RedeemReward(
            parse_id(input.reward_id, "rewardId"), input.quantity, input.idempotency_key), ctx.deps())
        return RedemptionPayload(redemption=Redemption.from_domain(redemption, ctx.container.now()))

    @strawberry.mutation(description="Staff/POS: mark a voucher used (once).")
    async def use_voucher(self, info: Info, code: str) -> RedemptionPayload:
        ctx = info.context
        redemption = await services.use_voucher(ctx.uow(), ctx.viewer, code, ctx.container.now())
        return RedemptionPayload(redemption=Redemption.from_domain(redemption, ctx.container.now()))

    @strawberry.mutation(description="Cancel an unused voucher: points and stock come back.")
    async def cancel_redemption(self, info: Info, id: strawberry.ID) -> RedemptionPayload:
        ctx = info.context
        redemption = await services.cancel_redemption(parse_id(id), ctx.deps())
        return RedemptionPayload(redemption=Redemption.from_domain(redemption, ctx.container.now()))


async def load_benefits(info: Info, member_id: int) -> MemberBenefits:
    ctx = info.context
    progress = await tier_progress(ctx.uow(), ctx.viewer, member_id, ctx.container.now())
    current = list(progress.current.benefits)
    upcoming = list(progress.next.benefits) if progress.next else []
    return MemberBenefits(current=current, next_tier_adds=[b for b in upcoming if b not in current])
