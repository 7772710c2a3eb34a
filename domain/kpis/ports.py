"""Set-based reporting queries the KPI use case needs. Each is one SQL statement over the whole
program, so its cost grows with the rows in the period, not with a loop in Python."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol

from domain.kpis.model import CohortDay, LedgerTotals, MemberDayCounts
from domain.kpis.rollup_model import DayFacts, Metric, RollupRow


class KpiRepository(Protocol):
    async def members_joined_before(self, bounds: Sequence[datetime]) -> list[int]:
        """For each bound, the members who joined before it."""
        ...

    async def active_members(self, bounds: Sequence[datetime]) -> list[int]:
        """For each [bounds[i], bounds[i+1]), the distinct members with an activity in it: a purchase,
        a check-in, a post, a comment or a reward redemption."""
        ...

    async def retention(self, days: Sequence[CohortDay]) -> tuple[int, int]:
        """Members who joined on those days, and how many of them were active in their window."""
        ...

    async def ledger_totals(self, start: datetime, end: datetime) -> list[LedgerTotals]: ...

    async def tiers_at(self, moment: datetime) -> dict[int, int]:
        """Members by the tier their latest tier change before `moment` moved them to (members with
        no change before then are in the base tier and are not counted here)."""
        ...

    async def tier_moves(self, start: datetime, end: datetime) -> dict[str, int]:
        """Tier changes in [start, end) by reason."""
        ...

    async def purchasers(self, start: datetime, end: datetime) -> tuple[int, int]:
        """Members with at least one purchase in [start, end), and with at least two."""
        ...

    async def checked_in_members(self, start: datetime, end: datetime) -> int: ...

    async def redeeming_members(self, start: datetime, end: datetime) -> int: ...


class KpiRollupRepository(Protocol):
    """Daily rollups (domain/kpis/rollup_model.py): written by the rollup job, read by the operator report."""

    async def day_facts(self, start: datetime, end: datetime) -> DayFacts:
        """What the raw tables hold for [start, end), aggregated."""
        ...

    async def replace_day(self, day: date, rows: Sequence[RollupRow], rolled_at: datetime) -> None: ...

    async def replace_member_days(self, day: date, start: datetime, end: datetime) -> int:
        """Rewrite the member-day rows of `day` ([start, end) in UTC) from the raw activity; their count."""
        ...

    async def active_members(self, spans: Sequence[tuple[date, date]]) -> list[int]:
        """For each span of days (inclusive), the distinct members with a member-day row in it."""
        ...

    async def member_counts(self, from_day: date, to_day: date) -> MemberDayCounts: ...

    async def retention(self, days: Sequence[CohortDay]) -> tuple[int, int]:
        """Members who joined on those days (members table), and how many of them have a member-day
        row on a day of their window."""
        ...

    async def first_activity(self) -> datetime | None:
        """When the first member joined: where a full backfill starts."""
        ...

    async def sums(self, from_day: date, to_day: date, metrics: Sequence[Metric]) -> list[tuple[str, str, str, int]]:
        """(metric, dim1, dim2, total) over the days [from_day, to_day]."""
        ...

    async def daily(self, from_day: date, to_day: date, metrics: Sequence[Metric],
                    dim1: str | None = None) -> list[tuple[date, str, int]]:
        """(day, metric, total over its dimensions, or of `dim1` only) for each rolled day in [from_day, to_day]."""
        ...

    async def rolled_days(self, from_day: date, to_day: date) -> list[tuple[date, datetime]]:
        """Each day of the span that has been rolled up, and when."""
        ...
