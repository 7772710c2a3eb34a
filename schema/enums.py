"""GraphQL enums for closed sets the domain defines, where several areas or files name them.

Each is registered in place (strawberry.enum returns the class itself), so type checkers see a plain enum."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum

import strawberry

from domain.auth.viewer import Role as DomainRole
from domain.auth.viewer import StaffRole as DomainStaffRole
from domain.community.model import ReportTarget as DomainReportTarget
from domain.meetups.model import SignupStatus as DomainSignupStatus
from domain.partners.model import PartnerTransactionKind as DomainPartnerKind
from domain.points.model import EntrySource
from domain.points.model import SalesChannel as DomainSalesChannel
from domain.privacy.model import ConsentKind as DomainConsentKind
from domain.segments.model import Stage
from domain.webhooks.model import DeliveryStatus


def register_enum(cls: type[Enum], name: str, description: str, values: Mapping[str, str] | None = None) -> None:
    """Register a domain enum as a GraphQL enum in place, describing the type and each value.

    The domain stays free of Strawberry, so its enums cannot carry `strawberry.enum_value`; the
    value descriptions are set on the registered definition instead (read when the schema is
    built). Call it as a statement and alias the class (`X = DomainX`): type checkers then see
    a plain enum."""
    strawberry.enum(cls, name=name, description=description)
    definition = cls.__strawberry_definition__  # type: ignore[attr-defined]
    unknown = set(values or {}) - {v.name for v in definition.values}
    if unknown:
        raise ValueError(f"{name}: descriptions for values it does not have: {sorted(unknown)}")
    for value in definition.values:
        value.description = (values or {}).get(value.name, value.description)

register_enum(Stage, "LifecycleStage", "Where a member is in their life with the program (compute-segments).", {
    "NEW": "Joined within the last `lifecycleNewDays` days.",
    "ACTIVE": "Last purchase within the last `lifecycleActiveDays` days.",
    "DORMANT": "Last purchase older than `lifecycleActiveDays` but within `lifecycleDormantDays` days.",
    "CHURNED": "No purchase within `lifecycleDormantDays` days (or never bought once past NEW).",
    "WON_BACK": "Bought again after being DORMANT or CHURNED; stays so for `lifecycleActiveDays` days.",
})
LifecycleStage = Stage
register_enum(DomainConsentKind, "ConsentKind", "What a member consents to.", {
    "MARKETING": "Receiving marketing messages.",
    "PARTNER_SHARING": "Partners seeing the member's phone number in general; each partner link also asks.",
})
ConsentKind = DomainConsentKind
register_enum(DomainRole, "Role", "Who a session or token acts as.", {
    "MEMBER": "A program member (app or mini-program user).",
    "STAFF": "An operator of the program (console, store desk).",
    "PARTNER": "A partner brand's server, signed in with its client credentials.",
})
Role = DomainRole
register_enum(DomainStaffRole, "StaffRole", "What a staff account may do (each root field names the roles).", {
    "HQ_ADMIN": "Headquarters: everything staff may do, including staff management.",
    "ANALYST": "Read-only insights, KPIs, surveys and reports.",
    "STORE_CLERK": "POS operations and member lookups, only for the stores assigned to the account.",
    "MODERATOR": "The community: posts, reports, groups and events.",
    "PARTNER_MANAGER": "Partners, their statements and webhooks.",
})
StaffRole = DomainStaffRole
register_enum(DomainSignupStatus, "SignupStatus", "A member's place at an event.", {
    "SIGNED_UP": "Signed up and expected to come.",
    "CANCELLED": "The sign-up was cancelled.",
    "ATTENDED": "Checked in at the event.",
})
SignupStatus = DomainSignupStatus
register_enum(DomainPartnerKind, "PartnerTransactionKind", "Points earned at a partner, spent there, or a reversal.", {
    "EARN": "The member earned points for spending at the partner.",
    "BURN": "The member spent points at the partner.",
    "REVERSE": "An earlier EARN or BURN was undone.",
})
PartnerTransactionKind = DomainPartnerKind
register_enum(DeliveryStatus, "WebhookDeliveryStatus", "Where a webhook delivery stands.", {
    "PENDING": "Not delivered yet; will be (re)tried.",
    "DELIVERED": "The endpoint accepted it.",
    "FAILED": "Every attempt failed; no more automatic retries (redeliverWebhook tries again).",
})
WebhookDeliveryStatus = DeliveryStatus
register_enum(EntrySource, "PointsEntrySource", "What a points entry came from.", {
    "PURCHASE": "A purchase.",
    "REFUND": "A refunded purchase taking its points back.",
    "REDEMPTION": "Redeeming a reward, or its cancellation.",
    "GIFT": "Points gifted between members.",
    "ADJUSTMENT": "A manual adjustment by staff.",
    "TIER_REWARD": "A tier reward.",
    "REFERRAL": "A referral reward.",
    "EVENT": "Attending an event.",
    "EXPIRY": "Points expiring.",
    "PARTNER": "A partner transaction (earn, burn or reversal).",
    "PAYMENT": "Points that paid (part of) an order at a store, or came back when it was refunded.",
    "ACTIVITY": "An activity paid by an earning rule (check-in, post, survey...).",
    "CHECK_IN_BONUS": "The check-in streak bonus.",
    "CHECK_IN_MAKEUP": "The cost of a make-up check-in.",
    "OTHER": "Anything else.",
})
PointsEntrySource = EntrySource
register_enum(DomainReportTarget, "ReportTarget", "What a member may report to the moderators.", {
    "POST": "A community post.",
    "COMMENT": "A comment on a post.",
})
ReportTarget = DomainReportTarget


def stage_values(stages: list[Stage] | None) -> list[str] | None:
    """The domain's segment filters take stage names."""
    return [s.value for s in stages] if stages is not None else None
register_enum(DomainSalesChannel, "SalesChannel", "Where an order was placed; KPIs split sales by it.", {
    "POS": "A store till (the default of `recordPurchase`).",
    "APP": "The program's mobile app.",
    "MINI_PROGRAM": "A WeChat or Alipay mini-program.",
    "ECOMMERCE": "An online shop or marketplace.",
    "PARTNER": "A partner brand's outlet.",
    "IMPORT": "Brought in from an old system by `import-purchases` without a channel of its own.",
})
SalesChannel = DomainSalesChannel
