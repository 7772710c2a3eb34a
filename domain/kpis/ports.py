"""Set-based reporting queries the KPI use case needs. Each is one SQL statement over the whole
program, so its cost grows with the rows in the period, not with a loop in Python."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from domain.kpis.model import CohortDay, LedgerTotals


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
