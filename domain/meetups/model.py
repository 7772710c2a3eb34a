"""Offline events (meetups) and the members signed up for them. Named Meetup in Python so they are
not mistaken for the domain events of domain/events.py; the GraphQL type is still `Event`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol


@dataclass(frozen=True)
class Meetup:
    id: int
    title: str
    capacity: int
    starts_at: datetime
    signup_opens_at: datetime
    signup_closes_at: datetime
    description: str = ""
    min_tier_rank: int = 0
    attendance_points: int = 0
    signed_up: int = 0
    active: bool = True


@dataclass(frozen=True)
class Signup:
    event_id: int
    member_id: int
    status: str  # SIGNED_UP, CANCELLED, ATTENDED
    checkin_code: str
    created_at: datetime


class MeetupRepository(Protocol):
    async def save(self, event: Meetup, now: datetime) -> Meetup: ...
    async def get(self, event_id: int) -> Meetup | None: ...
    async def upcoming(self, now: datetime, limit: int) -> list[Meetup]: ...
    async def take_seat(self, event_id: int) -> bool: ...
    async def free_seat(self, event_id: int) -> None: ...
    async def signup(self, event_id: int, member_id: int, for_update: bool = False) -> Signup | None: ...
    async def signups_of(self, member_id: int, event_ids: list[int]) -> dict[int, Signup]: ...
    async def signup_by_code(self, code: str, for_update: bool = False) -> Signup | None: ...
    async def put_signup(self, event_id: int, member_id: int, status: str, code: str, now: datetime) -> Signup: ...
    async def set_status(self, event_id: int, member_id: int, expected: str, status: str, now: datetime) -> bool: ...


class SignupStatus(StrEnum):
    """A member's place at an event (Signup.status)."""

    SIGNED_UP = "SIGNED_UP"
    CANCELLED = "CANCELLED"
    ATTENDED = "ATTENDED"
