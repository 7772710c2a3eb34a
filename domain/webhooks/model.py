"""Outbound webhooks through a transactional outbox: events are written in the same transaction as
the change they describe, then delivered (signed, retried with backoff) by a separate job."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from domain.privacy.model import Erasure

MAX_ATTEMPTS = 8
BASE_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=2)


@dataclass(frozen=True)
class Subscription:
    id: int
    partner_id: int | None  # None: an operator endpoint
    url: str
    secret: str
    event_types: list[str]
    active: bool = True


@dataclass(frozen=True)
class Delivery:
    id: int
    event_id: int
    subscription_id: int
    attempts: int
    status: str  # PENDING, DELIVERED, FAILED
    next_attempt_at: datetime
    last_status: int | None
    last_error: str | None


@dataclass(frozen=True)
class Outgoing:
    delivery: Delivery
    url: str
    secret: str
    event_type: str
    body: bytes


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """Receivers recompute HMAC-SHA256 over "<timestamp>.<body>" and reject old timestamps."""
    return "sha256=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def backoff(attempts: int) -> timedelta:
    return min(BASE_DELAY * (2 ** max(0, attempts - 1)), MAX_DELAY)


class WebhookSender(Protocol):
    async def send(self, url: str, headers: dict[str, str], body: bytes) -> int:
        """POST and return the HTTP status; raises OSError-like errors for network failures."""
        ...


class WebhookRepository(Protocol):
    async def add_subscription(self, partner_id: int | None, url: str, secret: str, event_types: list[str],
                               now: datetime) -> Subscription: ...
    async def enqueue(self, event_type: str, payload: dict[str, object], partner_id: int | None,
                      now: datetime) -> int:
        """Write the event and one pending delivery per matching subscription; returns the event id."""
        ...

    async def active_subscriptions(self) -> list[Subscription]: ...
    async def enqueue_for(self, event_type: str, payload: dict[str, object], partner_id: int | None,
                          targets: list[tuple[int, dict[str, object] | None]], now: datetime) -> int:
        """Write the event and one pending delivery per (subscription id, payload it receives; None:
        the event's own); returns the event id."""
        ...

    async def due(self, now: datetime, limit: int) -> list[Outgoing]:
        """Pending deliveries whose time has come, locked for this transaction (SKIP LOCKED on PostgreSQL)."""
        ...

    async def record(self, delivery_id: int, status: str, attempts: int, next_attempt_at: datetime,
                     last_status: int | None, last_error: str | None, now: datetime) -> None: ...
    async def deliveries(self, status: str | None, limit: int, before_id: int | None = None) -> list[Delivery]: ...
    async def redeliver(self, delivery_id: int, now: datetime) -> bool: ...
    async def erase_member(self, erasure: Erasure) -> None: ...


class DeliveryStatus(StrEnum):
    PENDING = "PENDING"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"
