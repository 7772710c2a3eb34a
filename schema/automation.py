"""Staff automation: journeys and scheduled segment campaigns, their preview, activation and results."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from domain.automation import services
from domain.automation.model import ActionKind as DomainAction
from domain.automation.model import Automation as DomainAutomation
from domain.automation.model import AutomationKind as DomainKind
from domain.automation.model import AutomationStatus as DomainStatus
from domain.automation.model import GroupResult, Step
from domain.automation.model import Trigger as DomainTrigger
from schema.enums import register_enum
from schema.info import Info
from schema.refs import parse_id
from schema.segment_filters import SegmentFilterInput

register_enum(DomainKind, "AutomationKind", "A journey or a scheduled segment campaign.", {
    "JOURNEY": "Members enter when its trigger fires, then go through its steps.",
    "CAMPAIGN": "The members of a segment enter once, at the scheduled time.",
})
AutomationKind = DomainKind
register_enum(DomainTrigger, "AutomationTrigger", "What lets members into an automation.", {
    "STAGE_DORMANT": "The member's lifecycle stage is DORMANT (compute-segments).",
    "STAGE_CHURNED": "The member's lifecycle stage is CHURNED.",
    "JOINED_NO_PURCHASE": "`triggerDays` days or more after joining, without a purchase.",
    "SEGMENT": "Campaigns: the members of the segment at the scheduled time.",
})
AutomationTrigger = DomainTrigger
register_enum(DomainAction, "AutomationAction", "What one step does for a member.", {
    "SEND_MESSAGE": "Send `messageKind` (consent, channels, quiet hours and caps apply to marketing).",
    "ISSUE_COUPON": "Give a coupon of `couponTemplateId`; with `messageKind`, tell the member.",
    "ADD_TAG": "Add `tag` to the member's profile tags.",
})
AutomationAction = DomainAction
register_enum(DomainStatus, "AutomationStatus", "Whether an automation runs.", {
    "DRAFT": "Saved, never activated.",
    "ACTIVE": "Running (campaigns: waiting for their time).",
    "PAUSED": "Stopped: no one enters and no step runs until activated again.",
    "DONE": "A campaign that has run; its remaining steps still run.",
})
AutomationStatus = DomainStatus


@strawberry.type(description="One step of an automation.")
class AutomationStep:
    action: AutomationAction = strawberry.field(description="What it does.")
    delay_days: int = strawberry.field(description="Days after entering (first step) or after the previous step.")
    message_kind: str | None = strawberry.field(description="The message it sends, if any.")
    coupon_template_id: strawberry.ID | None = strawberry.field(description="The coupon it gives, if any.")
    tag: str | None = strawberry.field(description="The tag it adds, if any.")
    only_if_coupon_unused: bool = strawberry.field(description="Runs only while the automation's coupon is unused.")


@strawberry.input(description="One step: an action after a delay.")
class AutomationStepInput:
    action: AutomationAction = strawberry.field(description="What it does.")
    delay_days: int = strawberry.field(default=0, description="Days to wait first (0 to 365).")
    message_kind: str | None = strawberry.field(default=None, description="A message kind (see `messageTemplates`).")
    coupon_template_id: strawberry.ID | None = strawberry.field(default=None, description="For ISSUE_COUPON.")
    tag: str | None = strawberry.field(default=None, description="For ADD_TAG: 1 to 20 characters.")
    only_if_coupon_unused: bool = strawberry.field(
        default=False, description="Skip the step unless the coupon an earlier step gave is still unused.")

    def to_domain(self) -> Step:
        return Step(self.action, self.delay_days, self.message_kind,
                    parse_id(self.coupon_template_id, "couponTemplateId") if self.coupon_template_id else None,
                    self.tag, self.only_if_coupon_unused)


@strawberry.input(description="A journey or campaign to save (new when `id` is null).")
class SaveAutomationInput:
    kind: AutomationKind = strawberry.field(description="JOURNEY or CAMPAIGN.")
    name: str = strawberry.field(description="1 to 80 characters.")
    trigger: AutomationTrigger = strawberry.field(description="What lets members in (SEGMENT for campaigns).")
    steps: list[AutomationStepInput] = strawberry.field(description="1 to 5 steps, in order.")
    id: strawberry.ID | None = strawberry.field(default=None, description="Edit this DRAFT or PAUSED automation.")
    holdout_bp: int = strawberry.field(default=1_000, description="Share held out, in basis points (0 to 5000).")
    period_days: int = strawberry.field(default=90, description="A member enters at most once per this many days.")
    goal_days: int = strawberry.field(default=14, description="The goal: a purchase within this many days.")
    trigger_days: int = strawberry.field(default=0, description="For JOINED_NO_PURCHASE: days since joining.")
    segment: SegmentFilterInput | None = strawberry.field(default=None, description="Campaigns: who enters.")
    scheduled_at: datetime | None = strawberry.field(default=None, description="Campaigns: when they run (UTC).")


@strawberry.type(description="A journey or scheduled segment campaign.")
class Automation:
    id: strawberry.ID = strawberry.field(description="The automation's id.")
    kind: AutomationKind = strawberry.field(description="JOURNEY or CAMPAIGN.")
    name: str = strawberry.field(description="Its name.")
    trigger: AutomationTrigger = strawberry.field(description="What lets members in.")
    trigger_days: int = strawberry.field(description="The trigger's day count, where it has one.")
    steps: list[AutomationStep] = strawberry.field(description="Its steps, in order.")
    holdout_bp: int = strawberry.field(description="Share of entrants held out, in basis points.")
    period_days: int = strawberry.field(description="A member enters at most once per this many days.")
    goal_days: int = strawberry.field(description="The goal: a purchase within this many days of entering.")
    status: AutomationStatus = strawberry.field(description="Whether it runs.")
    scheduled_at: datetime | None = strawberry.field(description="Campaigns: when they run (UTC).")

    @classmethod
    def from_domain(cls, a: DomainAutomation) -> Automation:
        return cls(id=strawberry.ID(str(a.id)), kind=a.kind, name=a.name, trigger=a.trigger,
                   trigger_days=a.trigger_days, holdout_bp=a.holdout_bp, period_days=a.period_days,
                   goal_days=a.goal_days, status=a.status, scheduled_at=a.scheduled_at,
                   steps=[AutomationStep(action=s.action, delay_days=s.delay_days, message_kind=s.message_kind,
                                         coupon_template_id=strawberry.ID(str(s.coupon_template_id))
                                         if s.coupon_template_id else None, tag=s.tag,
                                         only_if_coupon_unused=s.only_if_coupon_unused) for s in a.steps])


@strawberry.type(description="One group of an automation's entrants and how many reached the goal.")
class AutomationGroupResult:
    members: int = strawberry.field(description="Members in the group.")
    converted: int = strawberry.field(description="Of them, members who purchased within `goalDays` of entering.")
    conversion_bp: int = strawberry.field(description="converted / members, in basis points (0 when empty).")

    @classmethod
    def from_domain(cls, g: GroupResult) -> AutomationGroupResult:
        return cls(members=g.members, converted=g.converted, conversion_bp=g.conversion_bp)


@strawberry.type(description="Treatment against holdout on the goal.")
class AutomationResults:
    treatment: AutomationGroupResult = strawberry.field(description="Entrants who got the steps.")
    holdout: AutomationGroupResult = strawberry.field(description="Entrants held out (no action taken).")
    lift_bp: int = strawberry.field(description="Treatment conversion minus holdout conversion, in basis points.")
    goal_days: int = strawberry.field(description="The goal window the figures use.")


@strawberry.type(description="The result of `activateAutomation` or `pauseAutomation`.")
class AutomationPayload:
    automation: Automation = strawberry.field(description="The automation after the change.")


@strawberry.type
class AutomationQueries:
    @strawberry.field(description="Staff: journeys and campaigns, newest first (at most 100).")
    async def automations(self, info: Info) -> list[Automation]:
        return [Automation.from_domain(a) for a in await services.list_automations(info.context.deps())]

    @strawberry.field(description="Staff: how many members would enter now (treatment and holdout together). "
                                  "NOT_FOUND for an unknown id.")
    async def preview_automation(self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(
            description="The automation.")]) -> int:
        return await services.preview_automation(parse_id(id), info.context.deps())

    @strawberry.field(description="Staff: treatment against holdout on the goal, with counts and conversion in "
                                  "basis points. NOT_FOUND for an unknown id.")
    async def automation_results(self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(
            description="The automation.")]) -> AutomationResults:
        r = await services.automation_results(parse_id(id), info.context.deps())
        return AutomationResults(treatment=AutomationGroupResult.from_domain(r.treatment),
                                 holdout=AutomationGroupResult.from_domain(r.holdout), lift_bp=r.lift_bp,
                                 goal_days=r.goal_days)


@strawberry.type
class AutomationMutations:
    @strawberry.mutation(description="Staff: save a journey or campaign as a DRAFT (or edit a DRAFT or PAUSED one; "
                                     "CONFLICT while ACTIVE). Audited. BAD_USER_INPUT with fieldErrors.")
    async def save_automation(self, info: Info, input: Annotated[SaveAutomationInput, strawberry.argument(
            description="The automation.")]) -> AutomationPayload:
        cmd = services.SaveAutomation(
            parse_id(input.id) if input.id else 0, input.kind, input.name, input.trigger,
            [s.to_domain() for s in input.steps[:services.MAX_STEPS + 1]], input.holdout_bp, input.period_days,
            input.goal_days, input.trigger_days, input.segment.to_domain() if input.segment else None,
            input.scheduled_at)
        return AutomationPayload(automation=Automation.from_domain(
            await services.save_automation(cmd, info.context.deps())))

    @strawberry.mutation(description="Staff: start (or resume) an automation. Audited. CONFLICT for a campaign "
                                     "that has run.")
    async def activate_automation(self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(
            description="The automation.")]) -> AutomationPayload:
        found = await services.set_automation_status(parse_id(id), True, info.context.deps())
        return AutomationPayload(automation=Automation.from_domain(found))

    @strawberry.mutation(description="Staff: pause an automation: no one enters, no step runs. Audited.")
    async def pause_automation(self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(
            description="The automation.")]) -> AutomationPayload:
        found = await services.set_automation_status(parse_id(id), False, info.context.deps())
        return AutomationPayload(automation=Automation.from_domain(found))
