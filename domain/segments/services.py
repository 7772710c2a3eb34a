"""Staff read a member's insights and select members by stage, tier, tags and RFM scores."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from domain import cursors
from domain.auth.viewer import Role, Viewer
from domain.errors import BadUserInput, FieldError, NotFound
from domain.members.model import Member
from domain.ports import UnitOfWork
from domain.program.services import load_settings
from domain.segments.model import (
    MemberInsights,
    MemberQuery,
    ScoreRange,
    SegmentFilter,
    Stage,
    StageChange,
)

MAX_LISTED = 50  # tags, tier codes or cells in one filter
_CELL = re.compile(r"[1-5]{3}")


async def resolve_filter(uow: UnitOfWork, segment: SegmentFilter) -> MemberQuery:
    """Inside an open unit of work: check every criterion, and name tiers by id."""
    errors: list[FieldError] = []
    stages = None
    if segment.stages:
        known = {s.value for s in Stage}
        unknown = [s for s in segment.stages if s.upper() not in known]
        if unknown:
            errors.append(FieldError("stages", f"Unknown stages: {', '.join(unknown)}. "
                                               f"Use {', '.join(s.value for s in Stage)}."))
        else:
            stages = sorted({Stage(s.upper()) for s in segment.stages})
    for name, values in (("tierCodes", segment.tier_codes), ("tags", segment.tags)):
        if values and len(values) > MAX_LISTED:
            errors.append(FieldError(name, f"List at most {MAX_LISTED}."))
    tier_ids = None
    include_untiered = False
    if segment.tier_codes:
        tiers = {t.code: t for t in await uow.tiers.tiers()}
        unknown = [c for c in segment.tier_codes if c.upper() not in tiers]
        if unknown:
            errors.append(FieldError("tierCodes", f"Unknown tiers: {', '.join(unknown)}."))
        else:
            tier_ids = [tiers[c.upper()].id for c in segment.tier_codes]
            # Members who never changed tier have no tier row: they are on the base tier.
            include_untiered = any(tiers[c.upper()].rank == 0 for c in segment.tier_codes)
    rfm = segment.rfm
    if rfm is not None:
        windows = (await load_settings(uow)).rfm_windows
        if rfm.window_days not in windows:
            errors.append(FieldError("windowDays", f"Scores exist for windows of {', '.join(map(str, windows))} "
                                                   "days (program setting rfmWindows)."))
        for name, score_range in (("recency", rfm.recency), ("frequency", rfm.frequency),
                                  ("monetary", rfm.monetary)):
            if score_range is not None and (error := _range_error(name, score_range)):
                errors.append(error)
        if rfm.cells is not None:
            bad = [c for c in rfm.cells if not _CELL.fullmatch(c)]
            if bad or not rfm.cells or len(rfm.cells) > 125:
                errors.append(FieldError("cells", "Cells are 1 to 125 three-digit RFM scores from 111 to 555, "
                                                  "e.g. 545."))
    if errors:
        raise BadUserInput("The segment is invalid.", errors)
    return MemberQuery(stages, tier_ids, include_untiered, list(segment.tags) if segment.tags else None, rfm)


def _range_error(name: str, r: ScoreRange) -> FieldError | None:
    if not (1 <= r.low <= 5 and 1 <= r.high <= 5):
        return FieldError(name, f"{name} scores are 1 to 5.")
    if r.low > r.high:
        return FieldError(name, f"{name}: min {r.low} is above max {r.high}.")
    return None


async def member_insights(uow: UnitOfWork, viewer: Viewer, member_id: int,
                          now: datetime) -> tuple[Member, MemberInsights]:
    staff_id = viewer.require_staff()
    async with uow:
        member = await uow.members.get(member_id)
        if member is None:
            raise NotFound("No such member.")
        lifecycle = (await uow.segments.lifecycles([member_id])).get(member_id)
        rfm = (await uow.segments.rfm_of([member_id])).get(member_id, [])
        await uow.audit.record(Role.STAFF, staff_id, "member.insights-read", f"member:{member_id}",
                               {"read": "profile, rfm, lifecycle"}, now)
        await uow.commit()
    return member, MemberInsights(member_id, lifecycle, rfm)


@dataclass(frozen=True)
class StageHistoryPage:
    changes: list[StageChange]
    has_next: bool
    total: int


async def stage_history(uow: UnitOfWork, viewer: Viewer, member_id: int, first: int,
                        after: str | None = None) -> StageHistoryPage:
    """Newest first, keyset on (at, id)."""
    viewer.require_staff()
    if not 1 <= first <= 100:
        raise BadUserInput.for_field("first", "Ask for 1 to 100 stage changes.")
    before = cursors.decode_time(after) if after else None
    async with uow:
        rows = await uow.segments.stage_history(member_id, first + 1, before)
        total = await uow.segments.count_stage_changes(member_id)
    return StageHistoryPage(rows[:first], len(rows) > first, total)


@dataclass(frozen=True)
class SegmentPage:
    total: int
    members: list[tuple[Member, MemberInsights]]
    has_next: bool

    def cursor(self, member_id: int) -> str:
        return cursors.encode(member_id, member_id)


async def segment_members(uow: UnitOfWork, viewer: Viewer, segment: SegmentFilter, first: int,
                          after: str | None, now: datetime) -> SegmentPage:
    """Members in the segment by id, keyset-paginated, with the segment's size."""
    staff_id = viewer.require_staff()
    if not 1 <= first <= 100:
        raise BadUserInput.for_field("first", "Ask for 1 to 100 members.")
    after_id = cursors.decode_int(after)[1] if after else 0
    async with uow:
        query = await resolve_filter(uow, segment)
        ids = await uow.segments.find(query, after_id, first + 1)
        page = ids[:first]
        total = await uow.segments.count(query)
        members = await uow.members.get_many(page)
        lifecycles = await uow.segments.lifecycles(page)
        rfm = await uow.segments.rfm_of(page)
        # Each listed profile is a staff read of personal data, on that member's trail like a lookup.
        await uow.audit.record_many(Role.STAFF, staff_id, "member.listed-in-segment",
                                    [f"member:{m}" for m in page], {"read": "profile, rfm, lifecycle"}, now)
        await uow.commit()
    return SegmentPage(total, [(members[m], MemberInsights(m, lifecycles.get(m), rfm.get(m, []))) for m in page
                               if m in members], len(ids) > first)
