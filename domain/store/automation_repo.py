"""Journeys, campaigns and their entrants (domain/automation). Entering, leaving on the goal and the
results are each one statement over all members; only the steps' actions run per entrant."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime, timedelta

from sqlalchemy import Row, case, delete, exists, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import ColumnElement, Select

from domain.automation.model import (
    BASIS_POINTS,
    ActionKind,
    Automation,
    AutomationKind,
    AutomationStatus,
    Enrollment,
    EnrollmentStatus,
    Step,
    Trigger,
)
from domain.members.model import ERASED_PHONE_PREFIX
from domain.privacy.model import Erasure
from domain.segments.model import MemberQuery, RfmFilter, ScoreRange, SegmentFilter, Stage
from domain.store.dialect import insert_ignoring_conflict
from domain.store.segments_repo import SqlSegmentRepository
from domain.store.tables import automation_members, automations, coupons, member_lifecycle, members, purchases

_STAGE_OF = {Trigger.STAGE_DORMANT: Stage.DORMANT, Trigger.STAGE_CHURNED: Stage.CHURNED}

def _segment_json(segment: SegmentFilter | None) -> dict[str, object] | None:
    return asdict(segment) if segment is not None else None

def _segment(raw: dict | None) -> SegmentFilter | None:
    if raw is None:
        return None
    rfm = raw.get("rfm")

    def scores(name: str) -> ScoreRange | None:
        return ScoreRange(**rfm[name]) if rfm and rfm.get(name) else None

    return SegmentFilter(raw.get("stages"), raw.get("tier_codes"), raw.get("tags"), RfmFilter(
        rfm["window_days"], scores("recency"), scores("frequency"), scores("monetary"), rfm.get("cells"))
        if rfm else None)

def _automation(row: Row) -> Automation:
    steps = [Step(ActionKind(s["action"]), s.get("delay_days", 0), s.get("message_kind"), s.get("coupon_template_id"),
                  s.get("tag"), bool(s.get("only_if_coupon_unused"))) for s in row.steps]
    return Automation(row.id, AutomationKind(row.kind), row.name, Trigger(row.trigger), steps, row.holdout_bp,
                      row.period_days, row.goal_days, AutomationStatus(row.status), row.trigger_days,
                      _segment(row.segment), row.scheduled_at, row.created_at)

def _enrollment(row: Row) -> Enrollment:
    return Enrollment(row.id, row.automation_id, row.member_id, EnrollmentStatus(row.status), row.step,
                      row.entered_at, row.next_at, row.coupon_id)

def holdout_expression(automation_id: int, member_id: ColumnElement[int]) -> ColumnElement[int]:
    """domain.automation.model.holdout_bucket, in SQL."""
    return ((member_id * 2654435761 + automation_id * 40503) % 1000003) % BASIS_POINTS

class SqlAutomationRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def save(self, automation: Automation, now: datetime) -> Automation:
        values = dict(kind=automation.kind.value, name=automation.name, trigger=automation.trigger.value,
                      trigger_days=automation.trigger_days, segment=_segment_json(automation.segment),
                      steps=[{k: (v.value if isinstance(v, ActionKind) else v) for k, v in asdict(s).items()}
                             for s in automation.steps],
                      holdout_bp=automation.holdout_bp, period_days=automation.period_days,
                      goal_days=automation.goal_days, status=automation.status.value,
                      scheduled_at=automation.scheduled_at, updated_at=now)
        if automation.id:
            row = (await self._conn.execute(update(automations).where(automations.c.id == automation.id)
                                            .values(**values).returning(*automations.c))).one()
        else:
            row = (await self._conn.execute(automations.insert().values(**values, created_at=now)
                                            .returning(*automations.c))).one()
        return _automation(row)

    async def get(self, automation_id: int, for_update: bool = False) -> Automation | None:
        query = select(automations).where(automations.c.id == automation_id)
        if for_update:
            query = query.with_for_update()
        row = (await self._conn.execute(query)).one_or_none()
        return _automation(row) if row else None

    async def newest(self, limit: int) -> list[Automation]:
        rows = await self._conn.execute(select(automations).order_by(automations.c.id.desc()).limit(limit))
        return [_automation(r) for r in rows]

    async def set_status(self, automation_id: int, status: AutomationStatus, now: datetime) -> None:
        await self._conn.execute(update(automations).where(automations.c.id == automation_id)
                                 .values(status=status.value, updated_at=now))

    async def active(self, now: datetime) -> list[Automation]:
        a = automations.c
        rows = await self._conn.execute(select(automations).where(
            a.status == AutomationStatus.ACTIVE.value,
            (a.kind == AutomationKind.JOURNEY.value) | (a.scheduled_at <= now)).order_by(a.id))
        return [_automation(r) for r in rows]

    def _entrants(self, automation: Automation, now: datetime, segment: MemberQuery | None) -> Select:
        """Member ids the trigger selects now, minus those who entered within the period."""
        m, am = members.c, automation_members.c
        profiled = ~m.phone.startswith(ERASED_PHONE_PREFIX)
        if automation.trigger in _STAGE_OF:
            lc = member_lifecycle.c
            selected = (select(lc.member_id.label("member_id")).join(members, m.id == lc.member_id)
                        .where(lc.stage == _STAGE_OF[automation.trigger].value, profiled))
        elif automation.trigger is Trigger.JOINED_NO_PURCHASE:
            selected = select(m.id.label("member_id")).where(
                profiled, m.joined_at <= now - timedelta(days=automation.trigger_days),
                ~exists().where(purchases.c.member_id == m.id))
        else:
            assert segment is not None
            matching = SqlSegmentRepository(self._conn).matching_ids(segment).subquery("segment")
            selected = (select(matching.c.member_id.label("member_id"))
                        .join(members, m.id == matching.c.member_id).where(profiled))
        # NOT IN (a hashed subplan), not NOT EXISTS: with the table's statistics taken while it was empty,
        # PostgreSQL planned the anti-join as a nested loop over the rows this very INSERT was adding, and
        # entering 100,000 members went quadratic (minutes instead of seconds in bench.messages).
        recent = select(am.member_id).where(am.automation_id == automation.id,
                                            am.entered_at > now - timedelta(days=automation.period_days))
        return selected.where(selected.selected_columns[0].not_in(recent))

    async def count_entrants(self, automation: Automation, now: datetime, segment: MemberQuery | None) -> int:
        entrants = self._entrants(automation, now, segment).subquery("entrants")
        return int(await self._conn.scalar(select(func.count()).select_from(entrants)) or 0)

    async def enroll(self, automation: Automation, now: datetime, segment: MemberQuery | None) -> int:
        entrants = self._entrants(automation, now, segment).subquery("entrants")
        held = holdout_expression(automation.id, entrants.c.member_id) < automation.holdout_bp
        first_at = now + timedelta(days=automation.steps[0].delay_days if automation.steps else 0)
        period = str(int(now.timestamp()) // 86400 // max(automation.period_days, 1))
        at_type = automations.c.created_at.type
        rows = select(
            literal(automation.id), entrants.c.member_id, literal(period),
            case((held, EnrollmentStatus.HELD_OUT.value), else_=EnrollmentStatus.ACTIVE.value),
            literal(0), literal(now, type_=at_type),
            case((held, None), else_=literal(first_at, type_=at_type)),
        ).where(literal(True))  # SQLite parses INSERT … SELECT … ON CONFLICT only after a WHERE
        statement = insert_ignoring_conflict(self._conn, automation_members,
                                             ["automation_id", "member_id", "period_key"]).from_select(
            ["automation_id", "member_id", "period_key", "status", "step", "entered_at", "next_at"], rows)
        return max(int((await self._conn.execute(statement)).rowcount), 0)

    async def exit_on_goal(self, automation_id: int, now: datetime) -> int:
        am, p = automation_members.c, purchases.c
        bought = exists().where(p.member_id == am.member_id, p.purchased_at > am.entered_at, p.purchased_at <= now)
        result = await self._conn.execute(update(automation_members).where(
            am.automation_id == automation_id, am.status == EnrollmentStatus.ACTIVE.value, bought)
            .values(status=EnrollmentStatus.EXITED.value, next_at=None))
        return max(int(result.rowcount), 0)

    async def due(self, now: datetime, limit: int) -> list[Enrollment]:
        am = automation_members.c
        rows = await self._conn.execute(
            select(automation_members).join(automations, automations.c.id == am.automation_id)
            .where(am.status == EnrollmentStatus.ACTIVE.value, am.next_at <= now,
                   automations.c.status.in_([AutomationStatus.ACTIVE.value, AutomationStatus.DONE.value]))
            .order_by(am.next_at, am.id).limit(limit).with_for_update(skip_locked=True, of=automation_members))
        return [_enrollment(r) for r in rows]

    async def advance(self, enrollment_id: int, step: int, next_at: datetime | None, status: EnrollmentStatus,
                      coupon_id: int | None) -> None:
        values: dict[str, object] = dict(step=step, next_at=next_at, status=status.value)
        if coupon_id is not None:
            values["coupon_id"] = coupon_id
        await self._conn.execute(update(automation_members).where(automation_members.c.id == enrollment_id)
                                 .values(**values))

    async def coupon_unused(self, coupon_id: int, now: datetime) -> bool:
        row = (await self._conn.execute(select(coupons.c.redeemed_at, coupons.c.valid_until)
                                        .where(coupons.c.id == coupon_id))).one_or_none()
        return row is not None and row.redeemed_at is None and row.valid_until > now

    async def results(self, automation_id: int, goal_days: int) -> tuple[tuple[int, int], tuple[int, int]]:
        am, p = automation_members.c, purchases.c
        if self._conn.dialect.name == "postgresql":
            goal_end = am.entered_at + func.make_interval(0, 0, 0, goal_days)
        else:
            goal_end = func.strftime("%Y-%m-%d %H:%M:%f", am.entered_at, f"+{goal_days} days")
        converted = exists().where(p.member_id == am.member_id, p.purchased_at > am.entered_at,
                                   p.purchased_at <= goal_end)
        held = am.status == EnrollmentStatus.HELD_OUT.value
        rows = await self._conn.execute(
            select(held.label("held"), func.count().label("members"),
                   func.sum(case((converted, 1), else_=0)).label("converted"))
            .where(am.automation_id == automation_id).group_by(held))
        found = {bool(r.held): (int(r.members), int(r.converted or 0)) for r in rows}
        return found.get(False, (0, 0)), found.get(True, (0, 0))

    async def enrollments_of(self, member_ids: Sequence[int]) -> list[Enrollment]:
        rows = await self._conn.execute(select(automation_members).where(
            automation_members.c.member_id.in_(list(member_ids))).order_by(automation_members.c.id))
        return [_enrollment(r) for r in rows]

    async def erase_member(self, erasure: Erasure) -> None:
        """Which journeys a member entered is profiling: it goes (results then count one member fewer)."""
        await self._conn.execute(delete(automation_members).where(automation_members.c.member_id == erasure.member_id))
