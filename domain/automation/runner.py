"""The automation job (`cli run-automations`): active journeys let in the members their trigger selects
now, and campaigns whose time has come their segment (one INSERT … SELECT each, holdout decided in the
same statement); entrants who reached the goal (a purchase) leave; then the due steps run.

Idempotent: an entry is unique per (automation, member, period), each coupon has an issue key per entry
and step, each message a key per entry and step, and a step is marked done in the transaction that acted."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from domain.automation.model import (
    ActionKind,
    Automation,
    AutomationKind,
    AutomationStatus,
    Enrollment,
    EnrollmentStatus,
    Step,
)
from domain.automation.services import segment_query
from domain.clock import Clock
from domain.errors import OutOfStock
from domain.messaging.templates import template as message_template
from domain.offers.model import IssueSource
from domain.offers.services import CouponGrant, issue
from domain.ports import UnitOfWork


async def run_automations(new_uow: Callable[[], UnitOfWork], clock: Clock, batch: int = 200) -> dict[str, int]:
    counts = {"entered": 0, "exited": 0, "steps": 0, "coupons": 0, "messages": 0, "tags": 0}
    now = clock.now()
    async with new_uow() as uow:
        running = await uow.automation.active(now)
    by_id: dict[int, Automation] = {}
    for automation in running:
        async with new_uow() as uow:
            counts["entered"] += await uow.automation.enroll(automation, now, await segment_query(uow, automation))
            counts["exited"] += await uow.automation.exit_on_goal(automation.id, now)
            if automation.kind is AutomationKind.CAMPAIGN:
                await uow.automation.set_status(automation.id, AutomationStatus.DONE, now)
            await uow.commit()
        by_id[automation.id] = automation
    while True:
        async with new_uow() as uow:
            due = await uow.automation.due(now, batch)
            if not due:
                return counts
            for enrollment in due:
                found = by_id.get(enrollment.automation_id) or await uow.automation.get(enrollment.automation_id)
                assert found is not None  # entrants go with their automation (ON DELETE CASCADE)
                by_id[found.id] = found
                await _run_step(uow, found, enrollment, now, counts)
            await uow.commit()


async def _run_step(uow: UnitOfWork, automation: Automation, enrollment: Enrollment, now: datetime,
                    counts: dict[str, int]) -> None:
    if enrollment.step >= len(automation.steps):
        await uow.automation.advance(enrollment.id, enrollment.step, None, EnrollmentStatus.COMPLETED, None)
        return
    step = automation.steps[enrollment.step]
    key = f"automation:{automation.id}:{enrollment.id}:{enrollment.step}"
    coupon_id = None
    coupon_name = None
    if enrollment.coupon_id is not None:
        found = await uow.coupons.coupons_by_ids([enrollment.coupon_id])
        if enrollment.coupon_id in found:
            names = await uow.coupons.templates([found[enrollment.coupon_id].template_id])
            coupon_name = next((t.name for t in names.values()), None)
    skip = step.only_if_coupon_unused and not (
        enrollment.coupon_id is not None and await uow.automation.coupon_unused(enrollment.coupon_id, now))
    if not skip:
        if step.action is ActionKind.ISSUE_COUPON and step.coupon_template_id:
            coupon_template = await uow.coupons.template(step.coupon_template_id)
            if coupon_template is not None:
                try:
                    coupon = await issue(uow, coupon_template, CouponGrant(
                        enrollment.member_id, IssueSource.AUTOMATION, key), now, enforce_member_limit=False)
                except OutOfStock:
                    coupon = None  # an automatic gift that ran out is skipped for this member
                if coupon is not None:
                    coupon_id, coupon_name = coupon.id, coupon_template.name
                    counts["coupons"] += 1
        if step.action is ActionKind.ADD_TAG and step.tag:
            member = await uow.members.get(enrollment.member_id)
            if member is not None and step.tag not in member.tags:
                await uow.members.save_profile(replace(member, tags=[*member.tags, step.tag]))
                counts["tags"] += 1
        if step.message_kind and (step.action is not ActionKind.ISSUE_COUPON or coupon_id is not None):
            # Counted once per member, whatever the number of channels it goes out on.
            counts["messages"] += await _message(uow, automation, enrollment, step, key, coupon_name, now) > 0
        counts["steps"] += 1
    following = enrollment.step + 1
    if following < len(automation.steps):
        next_at = now + timedelta(days=automation.steps[following].delay_days)
        await uow.automation.advance(enrollment.id, following, next_at, EnrollmentStatus.ACTIVE, coupon_id)
    else:
        await uow.automation.advance(enrollment.id, following, None, EnrollmentStatus.COMPLETED, coupon_id)


async def _message(uow: UnitOfWork, automation: Automation, enrollment: Enrollment, step: Step, key: str,
                   coupon_name: str | None, now: datetime) -> int:
    assert step.message_kind is not None
    found = message_template(step.message_kind)
    variables: dict[str, object] = {"couponName": coupon_name} if coupon_name else {}
    return await uow.messaging.enqueue(enrollment.member_id, key, found.channels, found.kind, found.category,
                                       variables, f"{automation.kind.value.lower()}:{automation.id}", now)
