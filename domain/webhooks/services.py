"""Webhook use cases: subscribe endpoints (staff), deliver due events (job), redeliver (staff)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlparse

from domain.auth.viewer import Role, StaffRole, Viewer
from domain.deps import Deps
from domain.errors import BadUserInput, Forbidden, NotFound
from domain.ports import UnitOfWork
from domain.webhooks.catalogue import EVENT_TYPES as CATALOGUE
from domain.webhooks.model import MAX_ATTEMPTS, Delivery, Subscription, WebhookSender, backoff, signature

EVENT_TYPES = tuple(CATALOGUE)


@dataclass(frozen=True)
class AddSubscription:
    """`partner_id` None: an operator endpoint. `allow_http` only outside production."""

    partner_id: int | None
    url: str
    event_types: list[str]
    allow_http: bool = False


async def add_subscription(cmd: AddSubscription, deps: Deps) -> Subscription:
    uow, now = deps.uow, deps.clock.now()
    partner_id, url, event_types, allow_http = cmd.partner_id, cmd.url, cmd.event_types, cmd.allow_http
    staff_id = deps.viewer.require_staff()
    if partner_id is None and deps.viewer.staff_role is not StaffRole.HQ_ADMIN:
        # An operator endpoint receives every member's full payload (phones, birthdays): only HQ may
        # point one somewhere; a partner manager sets up partners' endpoints, which see only their
        # linked members within consent.
        raise Forbidden("Only an HQ administrator can add an operator endpoint; name the partner.")
    parsed = urlparse(url)
    if parsed.scheme not in (("https", "http") if allow_http else ("https",)) or not parsed.netloc or len(url) > 500:
        raise BadUserInput.for_field("url", "Webhooks go to https URLs.")
    if not event_types or not set(event_types) <= set(EVENT_TYPES):
        raise BadUserInput.for_field("eventTypes", f"Choose from {', '.join(EVENT_TYPES)}.")
    async with uow:
        if partner_id is not None and await uow.partners.get(partner_id) is None:
            raise NotFound("No such partner.")
        sub = await uow.webhooks.add_subscription(partner_id, url, "whsec_" + secrets.token_urlsafe(24),
                                                  sorted(set(event_types)), now)
        await uow.audit.record(Role.STAFF, staff_id, "webhook.subscribed", f"webhook:{sub.id}", {"url": url}, now)
        await uow.commit()
    return sub


async def deliver_due(new_uow: Callable[[], UnitOfWork], sender: WebhookSender, now: datetime,
                      batch: int = 50) -> dict[str, int]:
    """One pass of the delivery job. Each delivery is claimed (row-locked, skipped by other
    workers), sent and recorded in its own transaction, so a crash loses at most the in-flight
    attempt, which is retried: delivery is at least once, and the event id header lets
    receivers drop the rare repeat."""
    counts = {"delivered": 0, "retrying": 0, "failed": 0}
    for _ in range(batch):
        async with new_uow() as uow:
            due = await uow.webhooks.due(now, 1)
            if not due:
                break
            item = due[0]
            timestamp = int(now.timestamp())
            headers = {
                "content-type": "application/json",
                "x-loyalty-event-id": str(item.delivery.event_id),
                "x-loyalty-event-type": item.event_type,
                "x-loyalty-timestamp": str(timestamp),
                "x-loyalty-signature": signature(item.secret, timestamp, item.body),
            }
            attempts = item.delivery.attempts + 1
            try:
                status_code: int | None = await sender.send(item.url, headers, item.body)
                error = None if status_code is not None and 200 <= status_code < 300 else f"HTTP {status_code}"
            except Exception as exc:  # any transport failure is a failed attempt, never a crash of the job
                status_code, error = None, f"{type(exc).__name__}: {exc}"[:300]
            if error is None:
                outcome, next_at = "DELIVERED", now
            elif attempts >= MAX_ATTEMPTS:
                outcome, next_at = "FAILED", now
            else:
                outcome, next_at = "PENDING", now + backoff(attempts)
            await uow.webhooks.record(item.delivery.id, outcome, attempts, next_at, status_code, error, now)
            await uow.commit()
        counts[{"DELIVERED": "delivered", "FAILED": "failed", "PENDING": "retrying"}[outcome]] += 1
    return counts


async def deliveries(uow: UnitOfWork, viewer: Viewer, status: str | None, first: int,
                     before_id: int | None = None) -> tuple[list[Delivery], bool]:
    """The delivery log, newest first, keyset on id; (page, whether more follow)."""
    viewer.require_staff()
    if not 1 <= first <= 200:
        raise BadUserInput.for_field("first", "Ask for 1 to 200 deliveries.")
    async with uow:
        rows = await uow.webhooks.deliveries(status, first + 1, before_id)
    return rows[:first], len(rows) > first


async def redeliver(uow: UnitOfWork, viewer: Viewer, delivery_id: int, now: datetime) -> None:
    staff_id = viewer.require_staff()
    async with uow:
        if not await uow.webhooks.redeliver(delivery_id, now):
            raise NotFound("No such delivery.")
        await uow.audit.record(Role.STAFF, staff_id, "webhook.redelivered", f"delivery:{delivery_id}", {}, now)
        await uow.commit()
