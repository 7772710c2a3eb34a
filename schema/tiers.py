"""Tiers: the ladder, a member's status and progress, and staff configuration."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from domain import cursors
from domain.errors import NotFound
from domain.tiers import services
from domain.tiers.model import QualifyMode as DomainMode
from domain.tiers.model import QualifyPath as DomainPath
from domain.tiers.model import Tier as DomainTier
from domain.tiers.model import TierChange as DomainTierChange
from domain.tiers.model import TierChangeReason as DomainReason
from domain.tiers.model import TierProgress
from domain.tiers.progress_text import progress_sentence
from schema.connections import PageInfo
from schema.enums import register_enum
from schema.info import Info
from schema.refs import parse_id

# Registered in place (strawberry.enum returns the class itself), so type checkers see a plain enum.
register_enum(DomainReason, "TierChangeReason", "Why a member's tier changed.", {
    "JOINED": "The member joined the program and got their first tier.",
    "UPGRADE": "Qualifying spend reached a higher tier's threshold.",
    "DOWNGRADE": "At a tier review, spend in the window no longer qualified for the tier held.",
    "RENEWED": "The member kept the tier they held for another period.",
    "IMPORTED": "Carried over from the previous system by a bulk import (`import-members`), held until its "
                "expiry.",
})
TierChangeReason = DomainReason
register_enum(DomainMode, "QualifyMode", "How a tier's qualification paths combine.", {
    "ANY": "Meeting one configured path is enough.",
    "ALL": "Every configured path must be met.",
})
QualifyMode = DomainMode
register_enum(DomainPath, "QualifyPath", "One way to qualify for a tier, counted over the qualification window.", {
    "SPEND": "Qualifying spend in cents: purchases less refunds.",
    "PURCHASES": "Number of purchases not wholly refunded.",
    "TIER_POINTS": "Qualifying (tier) points: points earned less earnings reversed; spending points never lowers "
                   "them, and tier-upgrade rewards do not count.",
})
QualifyPath = DomainPath


@strawberry.type(description="A level of the loyalty program (e.g. Silver, Gold), reached by qualifying spend.")
class Tier:
    id: strawberry.ID = strawberry.field(description="The tier's id (opaque).")
    code: str = strawberry.field(description="Short stable code, upper case (e.g. GOLD); for client logic and assets.")
    name: str = strawberry.field(description="Display name.")
    rank: int = strawberry.field(description="Place on the ladder: 0 is the base tier, higher is better.")
    threshold_cents: int = strawberry.field(description="Spend within the qualifying window (a program setting, "
                                                        "12 months by default) that qualifies, in cents (1/100 yuan).")
    multiplier_pct: int = strawberry.field(description="Points multiplier in percent (150 = 1.5x).")
    upgrade_reward_points: int = strawberry.field(description="Whole points credited on an upgrade to this tier.")
    benefits: list[str] = strawberry.field(description="Benefits to show members, one line each.")
    active: bool = strawberry.field(description="False for a retired tier, left out of the ladder.")
    spend_path: bool = strawberry.field(description="Whether spend (`thresholdCents`) is a qualification path.")
    min_purchases: int | None = strawberry.field(description="Purchases in the window that qualify; null: not a "
                                                             "path.")
    min_tier_points: int | None = strawberry.field(description="Qualifying (tier) points in the window that qualify; "
                                                               "null: not a path.")
    qualify_mode: QualifyMode = strawberry.field(description="ANY: one path is enough; ALL: every path is needed.")

    @classmethod
    def from_domain(cls, t: DomainTier) -> Tier:
        return cls(id=strawberry.ID(str(t.id)), code=t.code, name=t.name, rank=t.rank,
                   threshold_cents=t.threshold_cents, multiplier_pct=t.multiplier_pct,
                   upgrade_reward_points=t.upgrade_reward_points, benefits=list(t.benefits), active=t.active,
                   spend_path=t.spend_path, min_purchases=t.min_purchases, min_tier_points=t.min_tier_points,
                   qualify_mode=t.qualify_mode)


@strawberry.type(description="One path to the next tier.")
class TierPathProgress:
    path: QualifyPath = strawberry.field(description="What is counted.")
    current: int = strawberry.field(description="The member's figure in the window (cents for SPEND).")
    required: int = strawberry.field(description="What the next tier needs.")
    remaining: int = strawberry.field(description="What is left (0 when met).")


@strawberry.type(name="TierProgress", description="Qualifying spend in the current window and what the next "
                                                  "tier needs.")
class TierProgressType:
    amount_in_window_cents: int = strawberry.field(description="Qualifying spend between `windowStart` and "
                                                               "`windowEnd`, in cents (1/100 yuan).")
    spend_to_next_cents: int = strawberry.field(description="Spend still needed to reach the next tier, in cents; "
                                                            "0 at the top tier.")
    window_start: datetime = strawberry.field(description="Start of the qualifying window (UTC): rolling months "
                                                          "back, or 1 January in the program time zone.")
    window_end: datetime = strawberry.field(description="End of the qualifying window: now (UTC).")
    purchases_in_window: int = strawberry.field(description="Purchases in the window (not wholly refunded); 0 when "
                                                            "no tier qualifies on purchases.")
    tier_points_in_window: int = strawberry.field(description="Qualifying (tier) points in the window; 0 when no "
                                                              "tier qualifies on points.")
    mode: QualifyMode = strawberry.field(description="How the next tier's paths combine.")
    paths: list[TierPathProgress] = strawberry.field(description="Each path to the next tier; empty at the top.")
    sentence: str | None = strawberry.field(description="What is left, in the caller's language (e.g. "
                                                        "\"¥8,000 more, or 3 more purchases to reach Gold\"); null at "
                                                        "the top of the ladder.")


@strawberry.type(description="A member's tier, the next one up, and the progress towards it.")
class TierStatus:
    current: Tier = strawberry.field(description="The tier the member holds now.")
    next: Tier | None = strawberry.field(description="The next tier up; null at the top of the ladder.")
    progress: TierProgressType = strawberry.field(description="Qualifying spend and what is left to the next tier.")
    expires_at: datetime | None = strawberry.field(
        description="When the current tier is reviewed; it is kept at least until then."
    )

    @classmethod
    def from_domain(cls, p: TierProgress, language: str) -> TierStatus:
        figures = p.figures
        return cls(
            current=Tier.from_domain(p.current), next=Tier.from_domain(p.next) if p.next else None,
            progress=TierProgressType(
                amount_in_window_cents=p.spend_in_window_cents, spend_to_next_cents=p.spend_to_next_cents,
                window_start=p.window_start, window_end=p.window_end,
                purchases_in_window=figures.purchases if figures else 0,
                tier_points_in_window=figures.tier_points if figures else 0, mode=p.mode,
                paths=[TierPathProgress(path=x.path, current=x.current, required=x.required, remaining=x.remaining)
                       for x in p.paths],
                sentence=progress_sentence(p.paths, p.mode, p.next.name, language) if p.next else None),
            expires_at=p.held_until,
        )


@strawberry.type(description="One change of a member's tier.")
class TierChange:
    from_tier_id: strawberry.ID | None = strawberry.field(description="Id of the tier before; null on joining.")
    to_tier_id: strawberry.ID = strawberry.field(description="Id of the tier after.")
    reason: TierChangeReason = strawberry.field(description="Why the tier changed.")
    spend_cents: int = strawberry.field(description="Qualifying spend in the window when the change was made.")
    created_at: datetime = strawberry.field(description="When the change was made (UTC).")
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


@strawberry.type(description="A tier change with its cursor.")
class TierChangeEdge:
    cursor: str = strawberry.field(description="Opaque cursor of this change: pass as `after`.")
    node: TierChange = strawberry.field(description="The tier change.")


@strawberry.type(description="A page of a member's tier changes, newest first.")
class TierChangeConnection:
    edges: list[TierChangeEdge] = strawberry.field(description="The changes of this page, newest first.")
    page_info: PageInfo = strawberry.field(description="The cursor to continue from and whether more pages exist.")
    total_count: int = strawberry.field(description="How many tier changes the member has in all.")

    @strawberry.field(description="The nodes of `edges`, for clients that do not need per-item cursors.")
    def nodes(self) -> list[TierChange]:
        return [e.node for e in self.edges]


async def load_tier_status(info: Info, member_id: int) -> TierStatus:
    ctx = info.context
    progress = await services.tier_progress(ctx.uow(), ctx.viewer, member_id, ctx.container.now(),
                                            ctx.container.clock.zone)
    return TierStatus.from_domain(progress, ctx.language)


async def load_tier_history(info: Info, member_id: int, first: int, after: str | None) -> TierChangeConnection:
    page = await services.tier_history(info.context.uow(), info.context.viewer, member_id, first, after)
    edges = [TierChangeEdge(cursor=cursors.encode(c.created_at, c.id), node=TierChange.from_domain(c))
             for c in page.changes]
    return TierChangeConnection(edges=edges, total_count=page.total, page_info=PageInfo(
        has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None))


@strawberry.input(description="A tier to create (no `id`) or replace (with `id`).")
class SaveTierInput:
    id: strawberry.ID | None = strawberry.field(default=None, description="The tier to change; null creates a tier.")
    code: str = strawberry.field(description="Short code, 1 to 20 characters, unique; stored upper case.")
    name: str = strawberry.field(description="Display name, 1 to 40 characters.")
    rank: int = strawberry.field(description="Place on the ladder, unique: 0 is the base tier, higher is better.")
    threshold_cents: int = strawberry.field(description="Qualifying spend in cents (1/100 yuan): 0 for rank 0, and "
                                                        "higher for higher active ranks.")
    multiplier_pct: int = strawberry.field(default=100, description="Points multiplier in percent, 100 to 1000.")
    upgrade_reward_points: int = strawberry.field(default=0, description="Whole points credited on an upgrade to "
                                                                         "the tier; not negative.")
    benefits: list[str] = strawberry.field(default_factory=list, description="Benefits to show members, one line "
                                                                             "each.")
    active: bool = strawberry.field(default=True, description="False retires the tier (left out of the ladder).")
    spend_path: bool = strawberry.field(default=True, description="Whether spend (`thresholdCents`) qualifies; a "
                                                                  "tier above the base needs at least one path.")
    min_purchases: int | None = strawberry.field(default=None, description="Purchases in the window that qualify, "
                                                                           "1 to 100,000; null: not a path.")
    min_tier_points: int | None = strawberry.field(default=None, description="Qualifying points in the window "
                                                                             "that qualify; null: not a path.")
    qualify_mode: QualifyMode = strawberry.field(default=DomainMode.ANY, description="ANY: one path is enough; "
                                                                                     "ALL: every path is needed.")


@strawberry.type(description="The result of `saveTier`.")
class SaveTierPayload:
    tier: Tier = strawberry.field(description="The tier as saved.")


@strawberry.type
class TierQueries:
    @strawberry.field(description="The tier ladder, lowest first.")
    async def tiers(self, info: Info) -> list[Tier]:
        return [Tier.from_domain(t) for t in await services.list_tiers(info.context.uow())]


@strawberry.type
class TierMutations:
    @strawberry.mutation(description="Staff: create or change a tier. Errors: UNAUTHENTICATED, FORBIDDEN, "
                                     "BAD_USER_INPUT (per field), NOT_FOUND (no tier with that id).")
    async def save_tier(
        self, info: Info,
        input: Annotated[SaveTierInput, strawberry.argument(description="The tier.")],
    ) -> SaveTierPayload:
        tier = DomainTier(
            id=parse_id(input.id) if input.id is not None else 0, code=input.code, name=input.name,
            rank=input.rank, threshold_cents=input.threshold_cents, multiplier_pct=input.multiplier_pct,
            upgrade_reward_points=input.upgrade_reward_points, benefits=list(input.benefits), active=input.active,
            min_purchases=input.min_purchases, min_tier_points=input.min_tier_points,
            qualify_mode=input.qualify_mode, spend_path=input.spend_path,
        )
        saved = await services.save_tier(info.context.uow(), info.context.viewer, tier)
        return SaveTierPayload(tier=Tier.from_domain(saved))
