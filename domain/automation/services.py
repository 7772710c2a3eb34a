"""Staff use cases: create (or edit a draft), preview, activate, pause and read results; all audited."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from domain.auth.viewer import Role
from domain.automation.model import (
    MAX_STEPS,
    ActionKind,
    Automation,
    AutomationKind,
    AutomationStatus,
    GroupResult,
    Results,
    Step,
    Trigger,
)
from domain.deps import Deps
from domain.errors import BadUserInput, Conflict, FieldError, NotFound
from domain.messaging.templates import TEMPLATES
from domain.ports import UnitOfWork
from domain.segments.model import MemberQuery, SegmentFilter
from domain.segments.services import resolve_filter

_TAG_MAX = 20


@dataclass(frozen=True)
class SaveAutomation:
    """`automation_id` 0: a new one (DRAFT); else edit a DRAFT or PAUSED one."""

    automation_id: int
    kind: AutomationKind
    name: str
    trigger: Trigger
    steps: list[Step]
    holdout_bp: int = 1_000
    period_days: int = 90
    goal_days: int = 14
    trigger_days: int = 0
    segment: SegmentFilter | None = None
    scheduled_at: datetime | None = None


def _check(cmd: SaveAutomation, now: datetime) -> list[FieldError]:
    errors: list[FieldError] = []
    if not 1 <= len(cmd.name.strip()) <= 80:
        errors.append(FieldError("name", "Give a name of 1 to 80 characters."))
    if not 1 <= len(cmd.steps) <= MAX_STEPS:
        errors.append(FieldError("steps", f"Give 1 to {MAX_STEPS} steps."))
    if not 0 <= cmd.holdout_bp <= 5_000:
        errors.append(FieldError("holdoutBp", "Hold out 0 to 5000 basis points (0% to 50%)."))
    if not 1 <= cmd.period_days <= 3_650:
        errors.append(FieldError("periodDays", "Use 1 to 3650 days."))
    if not 1 <= cmd.goal_days <= 365:
        errors.append(FieldError("goalDays", "Use 1 to 365 days."))
    if not 0 <= cmd.trigger_days <= 3_650:
        errors.append(FieldError("triggerDays", "Use 0 to 3650 days."))
    if (cmd.kind is AutomationKind.CAMPAIGN) != (cmd.trigger is Trigger.SEGMENT):
        errors.append(FieldError("trigger", "Campaigns use the SEGMENT trigger; journeys use the others."))
    if cmd.kind is AutomationKind.CAMPAIGN:
        if cmd.segment is None or cmd.segment.empty:
            errors.append(FieldError("segment", "Describe the segment: stages, tiers, tags or RFM scores."))
        if cmd.scheduled_at is None:
            errors.append(FieldError("scheduledAt", "Say when the campaign runs."))
    for i, step in enumerate(cmd.steps):
        where = f"steps.{i}"
        if not 0 <= step.delay_days <= 365:
            errors.append(FieldError(f"{where}.delayDays", "Wait 0 to 365 days."))
        if step.message_kind is not None and step.message_kind not in TEMPLATES:
            errors.append(FieldError(f"{where}.messageKind", f"Use one of {', '.join(TEMPLATES)}."))
        if step.action is ActionKind.SEND_MESSAGE and step.message_kind is None:
            errors.append(FieldError(f"{where}.messageKind", "Name the message to send."))
        if step.action is ActionKind.ISSUE_COUPON and not step.coupon_template_id:
            errors.append(FieldError(f"{where}.couponTemplateId", "Name the coupon template."))
        if step.action is ActionKind.ADD_TAG and not (step.tag and 1 <= len(step.tag.strip()) <= _TAG_MAX):
            errors.append(FieldError(f"{where}.tag", f"Give a tag of 1 to {_TAG_MAX} characters."))
    return errors


async def save_automation(cmd: SaveAutomation, deps: Deps) -> Automation:
    staff_id = deps.viewer.require_staff()
    now = deps.clock.now()
    errors = _check(cmd, now)
    if errors:
        raise BadUserInput("The automation is invalid.", errors)
    async with deps.uow as uow:
        if cmd.segment is not None and cmd.kind is AutomationKind.CAMPAIGN:
            await resolve_filter(uow, cmd.segment)
        for i, step in enumerate(cmd.steps):
            if step.coupon_template_id and await uow.coupons.template(step.coupon_template_id) is None:
                raise BadUserInput("The automation is invalid.", [FieldError(f"steps.{i}.couponTemplateId",
                                                                             "No such coupon template.")])
        status = AutomationStatus.DRAFT
        if cmd.automation_id:
            current = await uow.automation.get(cmd.automation_id, for_update=True)
            if current is None:
                raise NotFound("No such automation.")
            if current.status not in (AutomationStatus.DRAFT, AutomationStatus.PAUSED):
                raise Conflict("Pause it before editing.")
            status = current.status
        saved = await uow.automation.save(Automation(
            cmd.automation_id, cmd.kind, cmd.name.strip(), cmd.trigger, list(cmd.steps), cmd.holdout_bp,
            cmd.period_days, cmd.goal_days, status, cmd.trigger_days, cmd.segment, cmd.scheduled_at), now)
        await uow.audit.record(Role.STAFF, staff_id, "automation.saved", f"automation:{saved.id}",
                               {"name": saved.name, "kind": saved.kind.value}, now)
        await uow.commit()
    return saved


async def segment_query(uow: UnitOfWork, automation: Automation) -> MemberQuery | None:
    if automation.kind is AutomationKind.CAMPAIGN and automation.segment is not None:
        return await resolve_filter(uow, automation.segment)
    return None


async def preview_automation(automation_id: int, deps: Deps) -> int:
    """How many members would enter if it ran now (treatment and holdout together)."""
    deps.viewer.require_staff()
    async with deps.uow.read_only() as uow:
        automation = await _get(uow, automation_id)
        return await uow.automation.count_entrants(automation, deps.clock.now(), await segment_query(uow, automation))


async def set_automation_status(automation_id: int, active: bool, deps: Deps) -> Automation:
    staff_id = deps.viewer.require_staff()
    now = deps.clock.now()
    async with deps.uow as uow:
        automation = await uow.automation.get(automation_id, for_update=True)
        if automation is None:
            raise NotFound("No such automation.")
        if automation.status is AutomationStatus.DONE:
            raise Conflict("This campaign has already run.")
        status = AutomationStatus.ACTIVE if active else AutomationStatus.PAUSED
        await uow.automation.set_status(automation_id, status, now)
        await uow.audit.record(Role.STAFF, staff_id, "automation.activated" if active else "automation.paused",
                               f"automation:{automation_id}", {}, now)
        await uow.commit()
    return replace(automation, status=status)


async def automation_results(automation_id: int, deps: Deps) -> Results:
    deps.viewer.require_staff()
    async with deps.uow.read_only() as uow:
        automation = await _get(uow, automation_id)
        treatment, holdout = await uow.automation.results(automation_id, automation.goal_days)
    return Results(automation_id, GroupResult(*treatment), GroupResult(*holdout), automation.goal_days)


async def list_automations(deps: Deps) -> list[Automation]:
    deps.viewer.require_staff()
    async with deps.uow.read_only() as uow:
        return await uow.automation.newest(100)


async def automation_for(automation_id: int, deps: Deps) -> Automation:
    deps.viewer.require_staff()
    async with deps.uow.read_only() as uow:
        return await _get(uow, automation_id)


async def _get(uow: UnitOfWork, automation_id: int) -> Automation:
    found = await uow.automation.get(automation_id)
    if found is None:
        raise NotFound("No such automation.")
    return found
