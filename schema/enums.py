"""GraphQL enums for closed sets the domain defines, where several areas or files name them.

Each is registered in place (strawberry.enum returns the class itself), so type checkers see a plain enum."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum

import strawberry

from domain.auth.viewer import Role as DomainRole
from domain.community.model import ReportTarget as DomainReportTarget
from domain.meetups.model import SignupStatus as DomainSignupStatus
from domain.partners.model import PartnerTransactionKind as DomainPartnerKind
from domain.points.model import EntrySource
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
    definition = cls._enum_definition  # type: ignore[attr-defined]
    unknown = set(values or {}) - {v.name for v in definition.values}
    if unknown:
        raise ValueError(f"{name}: descriptions for values it does not have: {sorted(unknown)}")
    for value in definition.values:
        value.description = (values or {}).get(value.name, value.description)

strawberry.enum(Stage, name="LifecycleStage",
                description="Where a member is in their life with the program (compute-segments).")
LifecycleStage = Stage
strawberry.enum(DomainConsentKind, name="ConsentKind", description="What a member consents to.")
ConsentKind = DomainConsentKind
strawberry.enum(DomainRole, name="Role", description="Who a session or token acts as.")
Role = DomainRole
strawberry.enum(DomainSignupStatus, name="SignupStatus", description="A member's place at an event.")
SignupStatus = DomainSignupStatus
strawberry.enum(DomainPartnerKind, name="PartnerTransactionKind",
                description="Points earned at a partner, spent there, or a reversal.")
PartnerTransactionKind = DomainPartnerKind
strawberry.enum(DeliveryStatus, name="WebhookDeliveryStatus", description="Where a webhook delivery stands.")
WebhookDeliveryStatus = DeliveryStatus
strawberry.enum(EntrySource, name="PointsEntrySource", description="What a points entry came from.")
PointsEntrySource = EntrySource
strawberry.enum(DomainReportTarget, name="ReportTarget", description="What a member may report to the moderators.")
ReportTarget = DomainReportTarget


def stage_values(stages: list[Stage] | None) -> list[str] | None:
    """The domain's segment filters take stage names."""
    return [s.value for s in stages] if stages is not None else None
