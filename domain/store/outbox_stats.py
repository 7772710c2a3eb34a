"""Webhook outbox backlog figures for metrics: how far behind the relay is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.store.tables import webhook_deliveries


@dataclass(frozen=True)
class OutboxStats:
    lag_seconds: float  # age of the oldest delivery due now and not sent; 0 when none
    pending: int
    failed: int


async def outbox_stats(engine: AsyncEngine, now: datetime) -> OutboxStats:
    d = webhook_deliveries.c
    async with engine.connect() as conn:
        oldest = await conn.scalar(select(func.min(d.next_attempt_at)).where(d.status == "PENDING",
                                                                                 d.next_attempt_at <= now))
        by_status = select(d.status, func.count()).where(d.status.in_(("PENDING", "FAILED"))).group_by(d.status)
        counts: dict[str, int] = dict((await conn.execute(by_status)).tuples().all())
    return OutboxStats(lag_seconds=max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
                       pending=int(counts.get("PENDING", 0)), failed=int(counts.get("FAILED", 0)))
