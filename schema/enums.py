"""GraphQL enums for closed sets the domain defines, where several areas or files name them."""

from __future__ import annotations

import strawberry

from domain.auth.viewer import Role as DomainRole
from domain.community.model import ReportTarget as DomainReportTarget
from domain.meetups.model import SignupStatus as DomainSignupStatus
from domain.partners.model import PartnerTransactionKind as DomainPartnerKind
from domain.points.model import EntrySource
from domain.privacy.model import ConsentKind as DomainConsentKind
from domain.segments.model import Stage
from domain.webhooks.model import DeliveryStatus

LifecycleStage = strawberry.enum(Stage, name="LifecycleStage",
                                 description="Where a member is in their life with the program (compute-segments).")
ConsentKind = strawberry.enum(DomainConsentKind, name="ConsentKind", description="What a member consents to.")
Role = strawberry.enum(DomainRole, name="Role", description="Who a session or token acts as.")
SignupStatus = strawberry.enum(DomainSignupStatus, name="SignupStatus",
                             description="A member's place at an event.")
PartnerTransactionKind = strawberry.enum(DomainPartnerKind, name="PartnerTransactionKind",
                                         description="Points earned at a partner, spent there, or a reversal.")
WebhookDeliveryStatus = strawberry.enum(DeliveryStatus, name="WebhookDeliveryStatus",
                                        description="Where a webhook delivery stands.")
PointsEntrySource = strawberry.enum(EntrySource, name="PointsEntrySource",
                                    description="What a points entry came from.")
ReportTarget = strawberry.enum(DomainReportTarget, name="ReportTarget",
                              description="What a member may report to the moderators.")


def stage_values(stages: list[Stage] | None) -> list[str] | None:
    """The domain's segment filters take stage names."""
    return [s.value for s in stages] if stages is not None else None
