"""The segment filter input, shared by memberSegment and issueCoupons."""

from __future__ import annotations

import strawberry

from domain.segments.model import RfmFilter, ScoreRange, SegmentFilter
from schema.enums import LifecycleStage, stage_values


@strawberry.input(description="Quintile scores from min to max, both included (1-5).")
class ScoreRangeInput:
    low: int = strawberry.field(default=1, name="min")
    high: int = strawberry.field(default=5, name="max")

    def to_domain(self) -> ScoreRange:
        return ScoreRange(self.low, self.high)


@strawberry.input(description="Members with a purchase in the window whose scores match every part given.")
class RfmFilterInput:
    window_days: int = strawberry.field(description="One of the scored windows: 7, 30, 90 or 365.")
    recency: ScoreRangeInput | None = None
    frequency: ScoreRangeInput | None = None
    monetary: ScoreRangeInput | None = None
    cells: list[str] | None = strawberry.field(default=None, description='Any of these cells, e.g. ["555", "554"].')

    def to_domain(self) -> RfmFilter:
        return RfmFilter(self.window_days, self.recency.to_domain() if self.recency else None,
                         self.frequency.to_domain() if self.frequency else None,
                         self.monetary.to_domain() if self.monetary else None,
                         list(self.cells) if self.cells is not None else None)


@strawberry.input(description="Every criterion given must hold; within one, any of its values.")
class SegmentFilterInput:
    stages: list[LifecycleStage] | None = None
    tier_codes: list[str] | None = None
    tags: list[str] | None = None
    rfm: RfmFilterInput | None = None

    def to_domain(self) -> SegmentFilter:
        return SegmentFilter(stage_values(self.stages), self.tier_codes, self.tags,
                             self.rfm.to_domain() if self.rfm else None)
