"""Service cases and their notes; the repository the use cases need."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from domain.privacy.model import Erasure


class CaseKind(StrEnum):
    COMPLAINT = "COMPLAINT"
    AFTER_SALES = "AFTER_SALES"


class CaseStatus(StrEnum):
    OPEN = "OPEN"
    IN_PROGRESS = "IN_PROGRESS"
    RESOLVED = "RESOLVED"
    CLOSED = "CLOSED"  # final: a case that comes back is a new case referring to this one


@dataclass(frozen=True)
class ServiceCase:
    id: int
    member_id: int
    kind: CaseKind
    subject: str
    status: CaseStatus
    owner_id: int | None  # the staff account working on it
    store_id: str | None  # where it was raised (bounds which clerks see it)
    opened_by: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class CaseNote:
    id: int
    case_id: int
    author_id: int
    body: str
    status: CaseStatus | None  # the status the case moved to with this note, if it moved
    created_at: datetime


@dataclass(frozen=True)
class CaseFilter:
    member_id: int | None = None
    owner_id: int | None = None
    status: CaseStatus | None = None
    stores: Collection[str] | None = None  # a clerk: cases raised at these stores only


class ServiceCaseRepository(Protocol):
    async def add(self, case: ServiceCase) -> ServiceCase: ...
    async def get(self, case_id: int, for_update: bool = False) -> ServiceCase | None: ...
    async def update(self, case: ServiceCase) -> ServiceCase: ...
    async def add_note(self, case_id: int, author_id: int, body: str, status: CaseStatus | None,
                       now: datetime) -> CaseNote: ...
    async def notes(self, case_id: int, limit: int) -> list[CaseNote]:
        """Oldest first, at most `limit`."""
        ...
    async def page(self, where: CaseFilter, limit: int, before: tuple[datetime, int] | None) -> list[ServiceCase]:
        """Newest first; keyset on (created_at, id)."""
        ...
    async def count(self, where: CaseFilter) -> int: ...
    async def erase_member(self, erasure: Erasure) -> None: ...
