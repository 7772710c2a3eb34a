"""Outbox events, webhook subscriptions and the delivery log."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Row, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.privacy.model import Erasure
from domain.store.jobs_repo import ask_engine
from domain.store.json_scrub import scrub_json_rows
from domain.store.program_snapshot import ProgramSnapshot
from domain.store.tables import outbox_events, webhook_deliveries, webhook_subscriptions
from domain.webhooks.catalogue import PAYLOAD_VERSION
from domain.webhooks.model import Delivery, Outgoing, Subscription


def _subscription(row: Row) -> Subscription:
    return Subscription(row.id, row.partner_id, row.url, row.secret, list(row.event_types), row.active)


def _delivery(row: Row) -> Delivery:
    return Delivery(row.id, row.event_id, row.subscription_id, row.attempts, row.status, row.next_attempt_at,
                    row.last_status, row.last_error)


class SqlWebhookRepository:
    def __init__(self, conn: AsyncConnection, snapshot: ProgramSnapshot | None = None,
                 on_save: Callable[[], None] | None = None) -> None:
        self._conn = conn
        self._snapshot = snapshot
        self._on_save = on_save

    async def add_subscription(self, partner_id: int | None, url: str, secret: str, event_types: list[str],
                               now: datetime) -> Subscription:
        row = (await self._conn.execute(insert(webhook_subscriptions).values(
            partner_id=partner_id, url=url, secret=secret, event_types=event_types, created_at=now,
        ).returning(*webhook_subscriptions.c))).one()
        if self._on_save is not None:
            self._on_save()  # the commit drops this worker's snapshot of the subscriptions
        return _subscription(row)

    async def enqueue(self, event_type: str, payload: dict[str, object], partner_id: int | None,
                      now: datetime) -> int:
        event_id = int(await self._conn.scalar(insert(outbox_events).values(
            event_type=event_type, partner_id=partner_id, payload=payload, created_at=now,
        ).returning(outbox_events.c.id)))
        targets = await self._conn.execute(select(webhook_subscriptions).where(
            webhook_subscriptions.c.active.is_(True),
            or_(webhook_subscriptions.c.partner_id.is_(None), webhook_subscriptions.c.partner_id == partner_id)))
        queued = False
        for sub in targets:
            if event_type in (sub.event_types or []):
                queued = True
                await self._conn.execute(insert(webhook_deliveries).values(
                    event_id=event_id, subscription_id=sub.id, status="PENDING", next_attempt_at=now, updated_at=now))
        if queued:
            # The relay is woken by this commit (a job queued in the same transaction), not by polling.
            await ask_engine(self._conn, "deliver-webhooks")
        return event_id

    async def active_subscriptions(self) -> list[Subscription]:
        if self._snapshot is not None:
            return await self._snapshot.subscriptions(self._read_active)
        return await self._read_active()

    async def _read_active(self) -> list[Subscription]:
        rows = await self._conn.execute(select(webhook_subscriptions).where(webhook_subscriptions.c.active.is_(True))
                                        .order_by(webhook_subscriptions.c.id))
        return [_subscription(r) for r in rows]

    async def enqueue_for(self, event_type: str, payload: dict[str, object], partner_id: int | None,
                          targets: list[tuple[int, dict[str, object] | None]], now: datetime) -> int:
        event_id = int(await self._conn.scalar(insert(outbox_events).values(
            event_type=event_type, partner_id=partner_id, payload=payload, created_at=now,
        ).returning(outbox_events.c.id)))
        await self._conn.execute(insert(webhook_deliveries), [
            dict(event_id=event_id, subscription_id=sub_id, payload=view, status="PENDING", next_attempt_at=now,
                 updated_at=now) for sub_id, view in targets])
        return event_id

    async def due(self, now: datetime, limit: int) -> list[Outgoing]:
        query = (select(webhook_deliveries, webhook_deliveries.c.payload.label("delivery_payload"),
                        webhook_subscriptions.c.url, webhook_subscriptions.c.secret,
                        outbox_events.c.event_type, outbox_events.c.payload.label("event_payload"),
                        outbox_events.c.created_at.label("at"))
                 .join(webhook_subscriptions, webhook_subscriptions.c.id == webhook_deliveries.c.subscription_id)
                 .join(outbox_events, outbox_events.c.id == webhook_deliveries.c.event_id)
                 .where(webhook_deliveries.c.status == "PENDING", webhook_deliveries.c.next_attempt_at <= now)
                 .order_by(webhook_deliveries.c.next_attempt_at, webhook_deliveries.c.id).limit(limit)
                 .with_for_update(skip_locked=True, of=webhook_deliveries))
        rows = await self._conn.execute(query)
        found = []
        for row in rows:
            # A partner's delivery carries its own (consent-filtered) view of the event.
            data = row.event_payload if row.delivery_payload is None else row.delivery_payload
            body = json.dumps({"id": row.event_id, "type": row.event_type, "version": PAYLOAD_VERSION,
                               "createdAt": row.at.isoformat(), "data": data}, sort_keys=True).encode()
            found.append(Outgoing(_delivery(row), row.url, row.secret, row.event_type, body))
        return found

    async def record(self, delivery_id: int, status: str, attempts: int, next_attempt_at: datetime,
                     last_status: int | None, last_error: str | None, now: datetime) -> None:
        await self._conn.execute(update(webhook_deliveries).where(webhook_deliveries.c.id == delivery_id).values(
            status=status, attempts=attempts, next_attempt_at=next_attempt_at, last_status=last_status,
            last_error=last_error, updated_at=now))

    async def deliveries(self, status: str | None, limit: int, before_id: int | None = None) -> list[Delivery]:
        query = select(webhook_deliveries)
        if status:
            query = query.where(webhook_deliveries.c.status == status)
        if before_id is not None:
            query = query.where(webhook_deliveries.c.id < before_id)
        return [_delivery(r) for r in await self._conn.execute(query.order_by(webhook_deliveries.c.id.desc())
                                                               .limit(limit))]

    async def redeliver(self, delivery_id: int, now: datetime) -> bool:
        result = await self._conn.execute(update(webhook_deliveries).where(webhook_deliveries.c.id == delivery_id)
                                          .values(status="PENDING", next_attempt_at=now, updated_at=now))
        return result.rowcount == 1

    async def erase_member(self, erasure: Erasure) -> None:
        """Queued and delivered events keep their shape; the member's values in them become "[erased]"."""
        await scrub_json_rows(self._conn, outbox_events, "payload", erasure.identifiers, erasure.names)
        await scrub_json_rows(self._conn, webhook_deliveries, "payload", erasure.identifiers, erasure.names)
