"""THE list of background jobs: the worker (api/worker.py, procrastinate on PostgreSQL) and the
in-process runner of `serve` on SQLite (api/job_runner.py) both run exactly these.

Adding a job is one line in JOBS: a name, an async function of the container returning counts,
a default schedule and one sentence for staff. The function must be idempotent (a crashed worker's
job is run again, and staff may run any job at any time). Schedules are read in the program time
zone and can be changed per deployment with JOB_SCHEDULES (see Schedule).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from api.container import Container

log = logging.getLogger(__name__)

JobFn = Callable[["Container"], Awaitable[dict[str, int]]]


async def _expire_points(c: Container) -> dict[str, int]:
    from domain.points.expiry import expire_points

    return await expire_points(c.uow, c.now())


async def _evaluate_tiers(c: Container) -> dict[str, int]:
    from domain.tiers.services import evaluate_tiers

    return await evaluate_tiers(c.uow, c.now())


async def _birthday_rewards(c: Container) -> dict[str, int]:
    from domain.offers.birthday import birthday_rewards

    return await birthday_rewards(c.uow, c.now(), c.today())


async def _compute_segments(c: Container) -> dict[str, int]:
    from domain.segments.job import compute_segments

    return await compute_segments(c.uow, c.now())


async def _award_badges(c: Container) -> dict[str, int]:
    from domain.auth.viewer import Role, Viewer
    from domain.gamification.badges import award_badges

    return await award_badges(c.deps(Viewer(Role.STAFF, 0)))


async def _release_expired_holds(c: Container) -> dict[str, int]:
    from domain.payments.expiry import release_expired_holds

    return await release_expired_holds(c.uow, c.now())


async def _rollup_kpis(c: Container) -> dict[str, int]:
    from domain.kpis.rollups import rollup_kpis

    return await rollup_kpis(c.uow, c.clock)  # yesterday and today


async def _message_triggers(c: Container) -> dict[str, int]:
    from domain.messaging.triggers import run_message_triggers

    return await run_message_triggers(c.uow, c.clock, c.settings.points_expiring_days)


async def _run_automations(c: Container) -> dict[str, int]:
    from domain.automation.runner import run_automations

    return await run_automations(c.uow, c.clock)


async def _send_messages(c: Container) -> dict[str, int]:
    """Drains what is due now; quiet hours and retries leave the rest to the next tick."""
    from api.message_channels import build_channels, send_policy
    from domain.messaging.sending import send_due_messages

    channels, closable = build_channels(c.settings)
    total: dict[str, int] = {}
    try:
        while True:
            counts = await send_due_messages(c.uow, channels, send_policy(c.settings), c.clock)
            total = {k: total.get(k, 0) + v for k, v in counts.items()}
            if not counts.get("sent"):
                return total
    finally:
        for channel in closable:
            await channel.close()


async def _deliver_webhooks(c: Container) -> dict[str, int]:
    """Drains what is due now; retries with backoff are picked up by the next wake-up or tick."""
    from api.webhooks import HttpWebhookSender
    from domain.webhooks.services import deliver_due

    sender = HttpWebhookSender()
    total = {"delivered": 0, "retrying": 0, "failed": 0}
    try:
        while True:
            counts = await deliver_due(c.uow, sender, c.now())
            total = {k: total[k] + counts[k] for k in total}
            if counts["delivered"] == 0:  # nothing due, or only failures (retried later with backoff)
                return total
    finally:
        await sender.close()


@dataclass(frozen=True)
class Job:
    name: str
    run: JobFn
    schedule: str  # default; see Schedule.parse
    about: str


JOBS: tuple[Job, ...] = (
    Job("expire-points", _expire_points, "daily 00:30", "EXPIRE entries for point lots past their date"),
    Job("evaluate-tiers", _evaluate_tiers, "daily 01:00", "tier review of members whose hold ran out"),
    Job("birthday-rewards", _birthday_rewards, "daily 08:00", "this year's birthday rewards due today"),
    Job("compute-segments", _compute_segments, "daily 03:00", "RFM scores and lifecycle stages"),
    Job("award-badges", _award_badges, "every 60m",
        "badges whose rules members now meet (streaks, referrers; last month's 积分英雄 on the 1st)"),
    Job("release-expired-holds", _release_expired_holds, "every 1m",
        "frees points held by payment authorizations that timed out"),
    Job("rollup-kpis", _rollup_kpis, "every 60m", "rebuilds yesterday's and today's KPI rollups"),
    Job("message-triggers", _message_triggers, "every 60m",
        "queues the scheduled messages (points expiring, tier changes, coupons, events, birthdays, badges)"),
    Job("run-automations", _run_automations, "every 15m", "journeys and segment campaigns that are due"),
    Job("send-messages", _send_messages, "every 30s", "sends queued messages (consent, quiet hours, caps)"),
    Job("deliver-webhooks", _deliver_webhooks, "every 1m",
        "outbox relay: sends due webhook deliveries; also woken by every new outbox row"),
)


def job_names(jobs: tuple[Job, ...] = JOBS) -> tuple[str, ...]:
    return tuple(j.name for j in jobs)


def find_job(name: str, jobs: tuple[Job, ...] = JOBS) -> Job:
    for job in jobs:
        if job.name == name:
            return job
    raise KeyError(name)


_DAILY = re.compile(r"daily (\d{1,2}):(\d{2})")
_EVERY = re.compile(r"every (\d+)([sm])")


@dataclass(frozen=True)
class Schedule:
    """`daily HH:MM` (program time zone), `every Nm` / `every Ns`, or `off` (only on demand)."""

    daily_at: tuple[int, int] | None = None
    every_seconds: int | None = None

    @classmethod
    def parse(cls, text: str) -> Schedule:
        text = text.strip().lower()
        if text == "off":
            return cls()
        if m := _DAILY.fullmatch(text):
            hour, minute = int(m[1]), int(m[2])
            if hour < 24 and minute < 60:
                return cls(daily_at=(hour, minute))
        if m := _EVERY.fullmatch(text):
            seconds = int(m[1]) * (60 if m[2] == "m" else 1)
            if 1 <= seconds <= 86_400 and (m[2] == "s" or 60 % int(m[1]) == 0 or int(m[1]) % 60 == 0):
                return cls(every_seconds=seconds)
        raise ValueError(f"bad job schedule {text!r}: use 'daily HH:MM', 'every Nm', 'every Ns' or 'off'")

    def cron(self, zone: ZoneInfo, today: date) -> str | None:
        """For procrastinate, whose cron runs in UTC: the local time converted with the zone's offset
        on `today` (the worker's start). Exact for zones without daylight saving (Asia/Shanghai);
        elsewhere a worker started before a change runs an hour off until it is restarted."""
        if self.daily_at is not None:
            local = datetime(today.year, today.month, today.day, *self.daily_at, tzinfo=zone)
            utc = local.astimezone(ZoneInfo("UTC"))
            return f"{utc.minute} {utc.hour} * * *"
        if self.every_seconds is not None:
            if self.every_seconds % 60:
                return f"* * * * * */{self.every_seconds}"  # croniter's sixth field: seconds
            minutes = self.every_seconds // 60
            return "* * * * *" if minutes == 1 else f"*/{minutes} * * * *" if minutes < 60 else \
                f"0 */{minutes // 60} * * *"
        return None

    def next_after(self, moment: datetime, zone: ZoneInfo) -> datetime | None:
        """The next run strictly after `moment`, in the program's local calendar (in-process runner)."""
        if self.daily_at is not None:
            local = moment.astimezone(zone)
            candidate = local.replace(hour=self.daily_at[0], minute=self.daily_at[1], second=0, microsecond=0)
            if candidate <= local:
                candidate = (candidate + timedelta(days=1)).replace(hour=self.daily_at[0], minute=self.daily_at[1])
            return candidate.astimezone(ZoneInfo("UTC"))
        if self.every_seconds is not None:
            step = self.every_seconds
            return datetime.fromtimestamp((int(moment.timestamp()) // step + 1) * step, ZoneInfo("UTC"))
        return None


def schedules(configured: dict[str, str], jobs: tuple[Job, ...] = JOBS) -> dict[str, Schedule]:
    """Each job's schedule: its default unless JOB_SCHEDULES names it."""
    unknown = set(configured) - set(job_names(jobs))
    if unknown:
        raise ValueError(f"JOB_SCHEDULES names unknown jobs: {', '.join(sorted(unknown))}")
    return {j.name: Schedule.parse(configured.get(j.name, j.schedule)) for j in jobs}


JobObserver = Callable[[str, float, dict[str, int] | None], None]  # job, seconds, counts (None: failed); metrics
_observers: list[JobObserver] = []


def observe_jobs(observer: JobObserver) -> None:
    if observer not in _observers:
        _observers.append(observer)


async def run_recorded(container: Container, job: Job, trigger: str, *, run_id: int | None = None,
                       scheduled_for: datetime | None = None, engine_job_id: int | None = None) -> dict[str, int]:
    """Runs one job and records it in `job_runs` (started, finished, counts or error). A failure is
    recorded and raised again, so the runner's retry policy applies."""
    async with container.uow() as uow:
        rid = await uow.job_runs.start(job.name, trigger, container.now(), run_id=run_id,
                                       scheduled_for=scheduled_for, engine_job_id=engine_job_id)
        await uow.commit()
    started = time.perf_counter()
    try:
        counts = await job.run(container)
    except BaseException as exc:
        error = f"{type(exc).__name__}: {exc}"
        try:
            async with container.uow() as uow:
                await uow.job_runs.finish(rid, {}, error, container.now())
                await uow.commit()
        finally:
            for observer in _observers:
                observer(job.name, time.perf_counter() - started, None)
        raise
    async with container.uow() as uow:
        await uow.job_runs.finish(rid, {k: int(v) for k, v in counts.items()}, None, container.now())
        await uow.commit()
    for observer in _observers:
        observer(job.name, time.perf_counter() - started, counts)
    log.info("job %s done", job.name, extra={"fields": {"job": job.name, "run": rid, "counts": counts,
                                                        "trigger": trigger}})
    return counts
