"""Messaging and automation benchmark: time to evaluate a trigger over many members and enqueue their
messages, a rerun (which must queue nothing), a dormant journey's entry with its holdout, and the send
job's throughput through the development sink.

    .venv/bin/python -m bench.messages [--quick] [--members N] [--sends K]

Figures go to stdout, progress to stderr. See bench/README.md for what the numbers mean.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import random
import time
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select

from api.container import Container
from api.message_channels import MessageSink
from api.progress import ProgressBar
from bench.environment import bench_environment, describe
from domain.automation.model import (
    ActionKind,
    Automation,
    AutomationKind,
    AutomationStatus,
    Step,
    Trigger,
    holdout_bucket,
)
from domain.messaging.model import MessageChannel, SendPolicy
from domain.messaging.sending import send_due_messages
from domain.messaging.triggers import remind_expiring_points
from domain.store.tables import (
    automation_members,
    member_lifecycle,
    members,
    outbound_messages,
    points_entries,
    points_lots,
)

say = functools.partial(print, flush=True)
CHUNK = 10_000
CONSENT_SHARE = 0.8


async def load(container: Container, count: int, now: datetime, seed: int = 7) -> tuple[int, int]:
    """Members straight into the tables: 80% with marketing consent, each with one earn entry and its lot
    expiring 1-6 days from now (a tenth with a second lot on another day: two lot windows), and a DORMANT
    lifecycle row. Returns (members with consent, expected reminders)."""
    rng = random.Random(seed)
    bar = ProgressBar(count, "loading members, lots and stages")
    async with container.engine.begin() as conn:
        first_id = int(await conn.scalar(select(func.coalesce(func.max(members.c.id), 0)))) + 1
        first_entry = int(await conn.scalar(select(func.coalesce(func.max(points_entries.c.id), 0)))) + 1
    consenting = expected = 0
    entry_id = first_entry
    for start in range(0, count, CHUNK):
        people, entries, lots, stages = [], [], [], []
        for i in range(start, min(start + CHUNK, count)):
            member_id = first_id + i
            consent = rng.random() < CONSENT_SHARE
            consenting += consent
            people.append(dict(id=member_id, phone=f"171{i:08d}", member_code=f"M{i:011d}", tags=[],
                               joined_at=now - timedelta(days=400), marketing_consent=consent))
            days = [rng.randint(1, 6)] + ([rng.randint(1, 6)] if rng.random() < 0.1 else [])
            expiries = [now + timedelta(days=day, hours=rng.randint(0, 3)) for day in days]
            for n, expires_at in enumerate(expiries):
                entries.append(dict(id=entry_id, member_id=member_id, kind="EARN", amount=100, reason="bench",
                                    source_type="bench", source_ref=f"{i}-{n}", idempotency_key=f"{i}-{n}",
                                    details={}, created_at=now - timedelta(days=360)))
                lots.append(dict(member_id=member_id, entry_id=entry_id, original=100, remaining=100,
                                 earned_at=now - timedelta(days=360), available_at=now - timedelta(days=360),
                                 expires_at=expires_at))
                entry_id += 1
            if consent:
                # Days in the program zone: two lots on the same day make one window.
                local = {e.astimezone(container.timezone).date() for e in expiries}
                expected += len(local) * 3  # INBOX, PUSH, MINI_PROGRAM
            stages.append(dict(member_id=member_id, stage="DORMANT", since=now - timedelta(days=100),
                               last_purchase_at=now - timedelta(days=100), updated_at=now))
        async with container.engine.begin() as conn:
            await conn.execute(insert(members), people)
            await conn.execute(insert(points_entries), entries)
            await conn.execute(insert(points_lots), lots)
            await conn.execute(insert(member_lifecycle), stages)
        bar.advance(len(people))
    async with container.engine.begin() as conn:
        await conn.exec_driver_sql("ANALYZE")
    return consenting, expected


async def _count(container: Container, table) -> int:  # type: ignore[no-untyped-def]
    async with container.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(table)) or 0)


async def run(count: int, sends: int) -> None:
    async with bench_environment(use_redis=False) as bench:
        container = bench.container
        now = container.now()
        say(f"{await describe(container)}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
        started = time.perf_counter()
        consenting, expected = await load(container, count, now)
        took = time.perf_counter() - started
        say(f"loaded {count:,} members ({consenting:,} with marketing consent) in {took:.1f} s")

        say(f"\nTrigger 'points expiring within 7 days' over {count:,} members (evaluate + enqueue, one "
            "INSERT … SELECT across the channels)")
        for label in ("first run", "rerun (dedupe)"):
            started = time.perf_counter()
            counts = await remind_expiring_points(container.uow, container.clock, days=7)
            seconds = time.perf_counter() - started
            say(f"  {label:18} {seconds:7.2f} s  queued {counts['queued']:,} messages "
                f"({count / seconds:,.0f} members/s evaluated)")
            if label == "first run" and counts["queued"] != expected:
                raise SystemExit(f"expected {expected:,} queued messages; the figures above are not meaningful")
            if label != "first run" and counts["queued"] != 0:
                raise SystemExit("a rerun queued messages again; the figures above are not meaningful")

        say(f"\nDormant journey entry over {count:,} DORMANT members (one INSERT … SELECT, holdout 10% by hash)")
        async with container.uow() as uow:
            journey = await uow.automation.save(Automation(
                0, AutomationKind.JOURNEY, "bench win-back", Trigger.STAGE_DORMANT,
                [Step(ActionKind.SEND_MESSAGE, 0, "WIN_BACK")], 1_000, 90, 14, AutomationStatus.ACTIVE), now)
            await uow.commit()
        started = time.perf_counter()
        async with container.uow() as uow:
            entered = await uow.automation.enroll(journey, now, None)
            await uow.commit()
        seconds = time.perf_counter() - started
        async with container.engine.connect() as conn:
            held = int(await conn.scalar(select(func.count()).select_from(automation_members)
                                         .where(automation_members.c.status == "HELD_OUT")) or 0)
            ids = [r[0] for r in await conn.execute(select(members.c.id))]
        expected_held = sum(1 for m in ids if holdout_bucket(journey.id, m) < 1_000)
        say(f"  entry              {seconds:7.2f} s  {entered:,} entered, {held:,} held out "
            f"({held * 10_000 // max(entered, 1)} bp; the Python rule says {expected_held:,})")
        if held != expected_held or entered != count:
            raise SystemExit("SQL holdout disagrees with domain.automation.model.holdout_bucket")

        say(f"\nSend job (batches of 50 per transaction, development sink), first {sends:,} due messages")
        sink = MessageSink(None)
        channels = {MessageChannel.PUSH: sink, MessageChannel.MINI_PROGRAM: sink, MessageChannel.SMS: sink}
        started = time.perf_counter()
        counts = await send_due_messages(container.uow, channels, SendPolicy(None, 10, 20), container.clock,
                                         batch=sends)
        seconds = time.perf_counter() - started
        say(f"  send_due_messages  {seconds:7.2f} s  {sum(counts.values()) / seconds:,.0f} messages/s  {counts}")
        say(f"  queue now holds {await _count(container, outbound_messages):,} rows")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.messages", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 members, 500 sends")
    parser.add_argument("--members", type=int)
    parser.add_argument("--sends", type=int)
    args = parser.parse_args(argv)
    count = args.members or (10_000 if args.quick else 100_000)
    sends = args.sends or (500 if args.quick else 2_000)
    asyncio.run(run(count, sends))


if __name__ == "__main__":
    main()
