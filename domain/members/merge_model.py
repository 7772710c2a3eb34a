"""Member merge: what staff see and what a merge moved."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class MergeCandidate:
    """Two members who are probably one person. `reason` says why they were paired."""

    first_id: int
    second_id: int
    reason: str


@dataclass(frozen=True)
class MemberMerge:
    kept_member_id: int
    merged_member_id: int
    points_moved: int
    moved: dict[str, int]  # rows moved per kind (identities, lots, coupons, ...)
    merged_at: datetime


class MemberMergeRepository(Protocol):
    async def candidates(self, limit: int) -> list[MergeCandidate]: ...
    async def merged_into(self, member_id: int) -> int | None:
        """The member this one was merged into, if it was."""
        ...

    async def move_rows(self, from_id: int, to_id: int) -> dict[str, int]:
        """Identities, coupons, redemptions, posts, purchases, consents, referrals of `from_id` now
        belong to `to_id`; counts per kind."""
        ...

    async def record(self, merge: MemberMerge, staff_id: int, reason: str) -> None: ...
