"""The segment filter input, shared by memberSegment and issueCoupons."""

from __future__ import annotations

import strawberry

from domain.segments.model import RfmFilter, ScoreRange, SegmentFilter
from schema.enums import LifecycleStage, stage_values


@strawberry.input(description="Quintile scores from min to max, both included (1-5).")
class ScoreRangeInput:
    low: int = strawberry.field(default=1, name="min", description="Lowest score matched (1 to 5).")
    high: int = strawberry.field(default=5, name="max", description="Highest score matched (1 to 5).")

    def to_domain(self) -> ScoreRange:
        return ScoreRange(self.low, self.high)


@strawberry.input(description="Members with a purchase in the window whose scores match every part given.")
class RfmFilterInput:
    window_days: int = strawberry.field(description="One of the scored windows: 7, 30, 90 or 365.")
    recency: ScoreRangeInput | None = strawberry.field(
        default=None, description="Range of the recency score (5 = most recent); null = any.")
    frequency: ScoreRangeInput | None = strawberry.field(
        default=None, description="Range of the frequency score (5 = most purchases); null = any.")
    monetary: ScoreRangeInput | None = strawberry.field(
        default=None, description="Range of the monetary score (5 = biggest spend); null = any.")
    cells: list[str] | None = strawberry.field(default=None, description='Any of these cells, e.g. ["555", "554"].')

    def to_domain(self) -> RfmFilter:
        return RfmFilter(self.window_days, self.recency.to_domain() if self.recency else None,
                         self.frequency.to_domain() if self.frequency else None,
                         self.monetary.to_domain() if self.monetary else None,
                         list(self.cells) if self.cells is not None else None)


@strawberry.input(description="Every criterion given must hold; within one, any of its values.")
class SegmentFilterInput:
    stages: list[LifecycleStage] | None = strawberry.field(
        default=None, description="Members in any of these lifecycle stages; null = any stage.")
    tier_codes: list[str] | None = strawberry.field(
        default=None, description="Members currently in any of these tiers (by tier code); null = any tier.")
    tags: list[str] | None = strawberry.field(
        default=None, description="Members with any of these profile tags; null = any.")
    rfm: RfmFilterInput | None = strawberry.field(
        default=None, description="Members whose RFM scores in one window match; null = no RFM condition.")

    def to_domain(self) -> SegmentFilter:
        return SegmentFilter(stage_values(self.stages), self.tier_codes, self.tags,
                             self.rfm.to_domain() if self.rfm else None)
