"""Storage the segments job and queries need."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from domain.privacy.model import Erasure
from domain.segments.model import Lifecycle, MemberQuery, RfmScore, StageChange


@dataclass(frozen=True)
class WindowTotals:
    frequency: int
    monetary_cents: int
    previous_monetary_cents: int


@dataclass(frozen=True)
class PurchaseTotals:
    """One member's purchases up to now, summed in SQL: the last one, and per window."""

    last_purchase_at: datetime | None
    windows: dict[int, WindowTotals]


@dataclass(frozen=True)
class PurchaseItems:
    member_id: int
    purchased_at: datetime
    items: list[dict[str, object]]


class SegmentRepository(Protocol):
    async def erase_member(self, erasure: Erasure) -> None:
        """Profiling data goes with the person; the job skips erased members from then on."""
        ...
    async def count_members(self) -> int: ...
    async def members_after(self, after_member_id: int, limit: int) -> list[tuple[int, datetime]]:
        """(member id, joined_at) of the next members by id."""
        ...

    async def purchase_totals(self, first_id: int, last_id: int, now: datetime,
                              windows: Sequence[int]) -> dict[int, PurchaseTotals]:
        """For members first_id..last_id with any purchase up to now."""
        ...

    async def purchase_items(self, first_id: int, last_id: int, since: datetime,
                             now: datetime) -> list[PurchaseItems]: ...
    async def save_rfm(self, first_id: int, last_id: int, window_days: int, rows: list[RfmScore],
                       now: datetime) -> None:
        """Make `rows` the window's rows for members first_id..last_id (others there are removed).
        Scores of members already ranked are kept until rank_window runs."""
        ...

    async def drop_windows_except(self, windows: Sequence[int]) -> None: ...
    async def rank_window(self, window_days: int) -> int:
        """Set R, F and M quintiles over every row of the window; returns how many rows."""
        ...

    async def lifecycles(self, member_ids: Sequence[int]) -> dict[int, Lifecycle]: ...
    async def save_lifecycles(self, changed: list[Lifecycle], changes: list[StageChange], now: datetime) -> None: ...
    async def rfm_of(self, member_ids: Sequence[int]) -> dict[int, list[RfmScore]]: ...
    async def stage_history(self, member_id: int, limit: int,
                            before: tuple[datetime, int] | None = None) -> list[StageChange]:
        """Newest first; keyset on (at, id) strictly before `before` when given."""
        ...
    async def count_stage_changes(self, member_id: int) -> int: ...
    async def find(self, query: MemberQuery, after_member_id: int, limit: int) -> list[int]:
        """Ids of matching members after `after_member_id`, ascending."""
        ...

    async def count(self, query: MemberQuery) -> int: ...
