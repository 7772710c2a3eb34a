"""The root types, composed from the per-area query, mutation and subscription classes."""

from __future__ import annotations

import strawberry

from schema.auth import AuthMutations
from schema.automation import AutomationMutations, AutomationQueries
from schema.benefits import BenefitMutations, BenefitQueries
from schema.checkins import CheckInMutations
from schema.community import CommunityMutations, CommunityQueries
from schema.coupon_codes import CouponCodeMutations
from schema.coupon_sharing import CouponSharingMutations
from schema.entitlements import EntitlementMutations, EntitlementQueries
from schema.gamification import GamificationMutations, GamificationQueries
from schema.jobs import JobMutations, JobQueries
from schema.kpis import KpiQueries
from schema.meetups import EventMutations, EventQueries
from schema.member_merge import MemberMergeMutations, MemberMergeQueries
from schema.members import MemberMutations, MemberQueries
from schema.messaging import MessagingMutations, MessagingQueries
from schema.nodes import NodeQueries
from schema.offers import OfferMutations, OfferQueries
from schema.operator_kpis import OperatorKpiQueries
from schema.partners import PartnerMutations, PartnerQueries
from schema.payments import PaymentMutations, PaymentQueries
from schema.points import PointsMutations, PointsQueries
from schema.privacy import PrivacyMutations, PrivacyQueries
from schema.program import ProgramMutations, ProgramQueries
from schema.quotes import QuoteMutations, QuoteQueries
from schema.segments import SegmentQueries
from schema.service_cases import ServiceCaseMutations, ServiceCaseQueries
from schema.staff import StaffMutations, StaffQueries
from schema.stores import StoreQueries
from schema.subscriptions import Subscription
from schema.surveys import SurveyMutations, SurveyQueries
from schema.tiers import TierMutations, TierQueries
from schema.webhooks import WebhookMutations, WebhookQueries


@strawberry.type(description="Reads. Most need a signed-in caller (a member, staff or a partner, by bearer "
                              "token); each field says who may call it and the main error codes.")
class Query(
    MemberQueries,
    MemberMergeQueries,
    NodeQueries,
    PointsQueries,
    PaymentQueries,
    TierQueries,
    BenefitQueries,
    OfferQueries,
    CommunityQueries,
    EventQueries,
    PartnerQueries,
    WebhookQueries,
    ProgramQueries,
    OperatorKpiQueries,
    SurveyQueries,
    PrivacyQueries,
    SegmentQueries,
    KpiQueries,
    JobQueries,
    GamificationQueries,
    EntitlementQueries,
    QuoteQueries,
    MessagingQueries,
    AutomationQueries,
    StoreQueries,
    StaffQueries,
    ServiceCaseQueries,
):
    pass


@strawberry.type(description="Changes. Each field says who may call it and the main error codes "
                              "(`extensions.code`) it answers.")
class Mutation(
    AuthMutations,
    MemberMutations,
    MemberMergeMutations,
    PointsMutations,
    PaymentMutations,
    BenefitMutations,
    OfferMutations,
    CouponCodeMutations,
    CouponSharingMutations,
    CheckInMutations,
    CommunityMutations,
    EventMutations,
    PartnerMutations,
    WebhookMutations,
    TierMutations,
    ProgramMutations,
    SurveyMutations,
    PrivacyMutations,
    JobMutations,
    GamificationMutations,
    EntitlementMutations,
    QuoteMutations,
    MessagingMutations,
    AutomationMutations,
    StaffMutations,
    ServiceCaseMutations,
):
    pass


# Custom scalars, for StrawberryConfig(scalar_map=...).
__all__ = ["Mutation", "Query", "Subscription"]
