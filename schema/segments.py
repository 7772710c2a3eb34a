"""Member insights for staff: RFM scores, lifecycle stage and history, and member segments."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from domain import cursors
from domain.members.model import Member as DomainMember
from domain.segments import services
from domain.segments.model import MemberInsights as DomainInsights
from domain.segments.model import RfmScore as DomainScore
from domain.segments.model import StageChange as DomainChange
from schema.connections import PageInfo
from schema.enums import LifecycleStage
from schema.info import Info
from schema.members import MemberType
from schema.refs import parse_id
from schema.segment_filters import SegmentFilterInput


@strawberry.type(description=(
    "A member's recency/frequency/monetary scores over one window (compute-segments). Only windows with at least "
    "one purchase have a score."))
class RfmScore:
    window_days: int = strawberry.field(description="The window's length in days (one of the rfmWindows setting).")
    last_purchase_at: datetime = strawberry.field(description="The member's latest purchase (UTC).")
    recency_days: int = strawberry.field(description="Whole days since the last purchase.")
    frequency: int = strawberry.field(description="Purchases in the window.")
    monetary_cents: int = strawberry.field(description="Net spend in the window (amount less refunds).")
    previous_monetary_cents: int = strawberry.field(description="Net spend in the window before this one.")
    trend_bp: int | None = strawberry.field(description=(
        "Spend growth against the previous window of the same length in basis points (10000 = +100%), "
        "rounded down; null when the previous window had no spend."))
    r_score: int = strawberry.field(description="Quintile 1-5, 5 = most recent (0: not ranked yet).")
    f_score: int = strawberry.field(description="Quintile 1-5, 5 = most purchases (0: not ranked yet).")
    m_score: int = strawberry.field(description="Quintile 1-5, 5 = biggest net spend (0: not ranked yet).")
    cell: str = strawberry.field(description='The three scores as one code, e.g. "545".')
    top_categories: list[str] = strawberry.field(description="Up to three categories by item spend in the window.")

    @classmethod
    def from_domain(cls, s: DomainScore) -> RfmScore:
        return cls(window_days=s.window_days, last_purchase_at=s.last_purchase_at, recency_days=s.recency_days,
                   frequency=s.frequency, monetary_cents=s.monetary_cents,
                   previous_monetary_cents=s.previous_monetary_cents, trend_bp=s.trend_bp, r_score=s.r_score,
                   f_score=s.f_score, m_score=s.m_score, cell=s.cell, top_categories=list(s.top_categories))


@strawberry.type(description="A move of a member from one lifecycle stage to another.")
class LifecycleChange:
    from_stage: LifecycleStage | None = strawberry.field(description="The stage before; null for the first stage.")
    to_stage: LifecycleStage = strawberry.field(description="The stage after.")
    at: datetime = strawberry.field(description="When the move was recorded (UTC).")

    @classmethod
    def from_domain(cls, c: DomainChange) -> LifecycleChange:
        return cls(from_stage=c.from_stage, to_stage=c.to_stage, at=c.at)


@strawberry.type(description="One stage change in a page of a member's lifecycle history.")
class LifecycleChangeEdge:
    cursor: str = strawberry.field(description="Opaque cursor of this change: pass it as `after` for the next page.")
    node: LifecycleChange = strawberry.field(description="The stage change.")


@strawberry.type(description="A page of a member's lifecycle stage changes, newest first.")
class LifecycleChangeConnection:
    edges: list[LifecycleChangeEdge] = strawberry.field(description="The changes of this page, newest first.")
    page_info: PageInfo = strawberry.field(description="Whether more follow, and the cursor to continue from.")
    total_count: int = strawberry.field(description="The member's stage changes in all pages.")

    @strawberry.field(description="The nodes of `edges`, for clients that do not need per-item cursors.")
    def nodes(self) -> list[LifecycleChange]:
        return [e.node for e in self.edges]


@strawberry.type(description="Staff view of a member's lifecycle stage and RFM scores (computed by compute-segments).")
class MemberInsights:
    member: MemberType = strawberry.field(description="The member.")
    stage: LifecycleStage | None = strawberry.field(description="Null until compute-segments has run.")
    stage_since: datetime | None = strawberry.field(
        description="When the member entered the current stage (UTC); null until compute-segments has run.")
    last_purchase_at: datetime | None = strawberry.field(
        description="Latest purchase as of the last compute-segments run (UTC); null if none or not computed yet.")
    rfm: list[RfmScore] = strawberry.field(description="One per window the member bought in, shortest first.")
    member_id: strawberry.Private[int]

    @strawberry.field(description="Stage changes, newest first, as a connection.")
    async def stage_history(
        self, info: Info,
        first: Annotated[int, strawberry.argument(
            description="How many changes (1 to 100; else BAD_USER_INPUT).")] = 20,
        after: Annotated[str | None, strawberry.argument(
            description="Opaque cursor (`pageInfo.endCursor`): return the older changes after it.")] = None,
    ) -> LifecycleChangeConnection:
        page = await services.stage_history(info.context.uow(), info.context.viewer, self.member_id, first, after)
        edges = [LifecycleChangeEdge(cursor=cursors.encode(c.at, c.id), node=LifecycleChange.from_domain(c))
                 for c in page.changes]
        return LifecycleChangeConnection(edges=edges, total_count=page.total, page_info=PageInfo(
            has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None))

    @classmethod
    def from_domain(cls, member: DomainMember, insights: DomainInsights) -> MemberInsights:
        lifecycle = insights.lifecycle
        return cls(member=MemberType.from_domain(member), member_id=member.id,
                   stage=lifecycle.stage if lifecycle else None, stage_since=lifecycle.since if lifecycle else None,
                   last_purchase_at=lifecycle.last_purchase_at if lifecycle else None,
                   rfm=[RfmScore.from_domain(s) for s in insights.rfm])


@strawberry.type(description="One member in a segment.")
class MemberSegmentEdge:
    cursor: str = strawberry.field(description="Opaque cursor of this member; pass as `after` for the next page.")
    node: MemberInsights = strawberry.field(description="The member with their insights.")


@strawberry.type(description="A page of members matching a segment, ordered by member id.")
class MemberSegmentConnection:
    total_count: int = strawberry.field(description="Members in the whole segment.")
    edges: list[MemberSegmentEdge] = strawberry.field(description="The members on this page.")
    page_info: PageInfo = strawberry.field(description="Whether more pages follow, and the cursor to get them.")


@strawberry.type
class SegmentQueries:
    @strawberry.field(description="Staff: a member's RFM scores and lifecycle stage (from compute-segments).")
    async def member_insights(
        self, info: Info,
        member_id: Annotated[strawberry.ID, strawberry.argument(description="The member to look at.")],
    ) -> MemberInsights:
        member, insights = await services.member_insights(info.context.uow(), info.context.viewer,
                                                          parse_id(member_id, "memberId"), info.context.container.now())
        return MemberInsights.from_domain(member, insights)

    @strawberry.field(description="Staff: members matching a segment, by member id, with the segment's size.")
    async def member_segment(
        self, info: Info,
        filter: Annotated[SegmentFilterInput | None, strawberry.argument(
            description="Who belongs to the segment; null = every member.")] = None,
        first: Annotated[int, strawberry.argument(description="Page size (1 to 100).")] = 20,
        after: Annotated[str | None, strawberry.argument(
            description="Opaque cursor (`pageInfo.endCursor`): the page after it.")] = None,
    ) -> MemberSegmentConnection:
        page = await services.segment_members(info.context.uow(), info.context.viewer,
                                              (filter or SegmentFilterInput()).to_domain(), first, after,
                                              info.context.container.now())
        edges = [MemberSegmentEdge(cursor=page.cursor(m.id), node=MemberInsights.from_domain(m, i))
                 for m, i in page.members]
        return MemberSegmentConnection(
            total_count=page.total, edges=edges,
            page_info=PageInfo(has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None),
        )
