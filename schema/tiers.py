"""Tiers: the ladder, a member's status and progress, and staff configuration."""

from __future__ import annotations

from datetime import datetime

import strawberry

from domain import cursors
from domain.errors import NotFound
from domain.tiers import services
from domain.tiers.model import Tier as DomainTier
from domain.tiers.model import TierChange as DomainTierChange
from domain.tiers.model import TierChangeReason as DomainReason
from domain.tiers.model import TierProgress
from schema.connections import PageInfo
from schema.info import Info
from schema.refs import parse_id

# Registered in place (strawberry.enum returns the class itself), so type checkers see a plain enum.
strawberry.enum(DomainReason, name="TierChangeReason")
TierChangeReason = DomainReason


@strawberry.type
class Tier:
    id: strawberry.ID
    code: str
    name: str
    rank: int
    threshold_cents: int = strawberry.field(description="Rolling 12-month spend that qualifies, in cents.")
    multiplier_pct: int = strawberry.field(description="Points multiplier in percent (150 = 1.5x).")
    upgrade_reward_points: int
    benefits: list[str]
    active: bool

    @classmethod
    def from_domain(cls, t: DomainTier) -> Tier:
        return cls(id=strawberry.ID(str(t.id)), code=t.code, name=t.name, rank=t.rank,
                   threshold_cents=t.threshold_cents, multiplier_pct=t.multiplier_pct,
                   upgrade_reward_points=t.upgrade_reward_points, benefits=list(t.benefits), active=t.active)


@strawberry.type(name="TierProgress")
class TierProgressType:
    amount_in_window_cents: int
    spend_to_next_cents: int
    window_start: datetime
    window_end: datetime


@strawberry.type
class TierStatus:
    current: Tier
    next: Tier | None
    progress: TierProgressType
    expires_at: datetime | None = strawberry.field(
        description="When the current tier is reviewed; it is kept at least until then."
    )

    @classmethod
    def from_domain(cls, p: TierProgress) -> TierStatus:
        return cls(
            current=Tier.from_domain(p.current), next=Tier.from_domain(p.next) if p.next else None,
            progress=TierProgressType(amount_in_window_cents=p.spend_in_window_cents,
                                      spend_to_next_cents=p.spend_to_next_cents, window_start=p.window_start,
                                      window_end=p.window_end),
            expires_at=p.held_until,
        )


@strawberry.type
class TierChange:
    from_tier_id: strawberry.ID | None
    to_tier_id: strawberry.ID
    reason: TierChangeReason
    spend_cents: int = strawberry.field(description="Qualifying spend in the window when the change was made.")
    created_at: datetime
    change: strawberry.Private[DomainTierChange]

    @strawberry.field(description="The tier before (null on joining).")
    async def from_tier(self, info: Info) -> Tier | None:
        if self.change.from_tier_id is None:
            return None
        found = await info.context.loaders.tier_by_id.load(self.change.from_tier_id)
        return Tier.from_domain(found) if found else None

    @strawberry.field(description="The tier after the change.")
    async def to_tier(self, info: Info) -> Tier:
        found = await info.context.loaders.tier_by_id.load(self.change.to_tier_id)
        if found is None:
            raise NotFound("That tier no longer exists.")
        return Tier.from_domain(found)

    @classmethod
    def from_domain(cls, c: DomainTierChange) -> TierChange:
        return cls(from_tier_id=strawberry.ID(str(c.from_tier_id)) if c.from_tier_id else None,
                   to_tier_id=strawberry.ID(str(c.to_tier_id)), reason=c.reason, spend_cents=c.spend_cents,
                   created_at=c.created_at, change=c)


@strawberry.type
class TierChangeEdge:
    cursor: str
    node: TierChange


@strawberry.type
class TierChangeConnection:
    edges: list[TierChangeEdge]
    page_info: PageInfo
    total_count: int

    @strawberry.field(description="The nodes of `edges`, for clients that do not need per-item cursors.")
    def nodes(self) -> list[TierChange]:
        return [e.node for e in self.edges]


async def load_tier_status(info: Info, member_id: int) -> TierStatus:
    ctx = info.context
    return TierStatus.from_domain(await services.tier_progress(ctx.uow(), ctx.viewer, member_id, ctx.container.now()))


async def load_tier_history(info: Info, member_id: int, first: int, after: str | None) -> TierChangeConnection:
    page = await services.tier_history(info.context.uow(), info.context.viewer, member_id, first, after)
    edges = [TierChangeEdge(cursor=cursors.encode(c.created_at, c.id), node=TierChange.from_domain(c))
             for c in page.changes]
    return TierChangeConnection(edges=edges, total_count=page.total, page_info=PageInfo(
        has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None))


@strawberry.input
class SaveTierInput:
    id: strawberry.ID | None = None
    code: str
    name: str
    rank: int
    threshold_cents: int
    multiplier_pct: int = 100
    upgrade_reward_points: int = 0
    benefits: list[str] = strawberry.field(default_factory=list)
    active: bool = True


@strawberry.type
class SaveTierPayload:
    tier: Tier


@strawberry.type
class TierQueries:
    @strawberry.field(description="The tier ladder, lowest first.")
    async def tiers(self, info: Info) -> list[Tier]:
        return [Tier.from_domain(t) for t in await services.list_tiers(info.context.uow())]


@strawberry.type
class TierMutations:
    @strawberry.mutation(description="Staff: create or change a tier.")
    async def save_tier(self, info: Info, input: SaveTierInput) -> SaveTierPayload:
        tier = DomainTier(
            id=parse_id(input.id) if input.id is not None else 0, code=input.code, name=input.name,
            rank=input.rank, threshold_cents=input.threshold_cents, multiplier_pct=input.multiplier_pct,
            upgrade_reward_points=input.upgrade_reward_points, benefits=list(input.benefits), active=input.active,
        )
        saved = await services.save_tier(info.context.uow(), info.context.viewer, tier)
        return SaveTierPayload(tier=Tier.from_domain(saved))
