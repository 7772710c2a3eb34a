"""Who may call what: every root field of the API, the callers allowed to call it, and the scope
its use case enforces. One table, read by the schema (which refuses every caller not listed
before any resolver runs, and refuses to build when a root field is missing here) and by the
authorization matrix test, which calls every field as every kind of caller.

Staff callers are further split by role (StaffRole): a line's `staff` names the roles allowed
besides HQ_ADMIN, who may call every staff field. THE DEFAULT RULE: a field declared for STAFF
without roles is HQ_ADMIN only; a field anonymous callers may call is open to every staff role.

    "validateCoupon": _a(STAFF, Scope.STORE, CLERK),           # HQ_ADMIN and STORE_CLERK
    "saveTier": _a(STAFF, Scope.STORE),                         # HQ_ADMIN only (the default)

The table is the outer gate. Use cases keep their own scope checks (a member reads only their
own data, a partner only its linked members), which the scope column names."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain.auth.viewer import Role, StaffRole, Viewer
from domain.errors import Forbidden


class Caller(StrEnum):
    ANONYMOUS = "anonymous"
    MEMBER = "member"
    PARTNER = "partner"
    STAFF = "staff"


class Scope(StrEnum):
    PUBLIC = "public"  # the same answer for every allowed caller (catalogue, sign-in)
    SELF = "self"  # a member's own data (staff: any member's); a partner's own account
    LINKED_MEMBER = "linked-member"  # a partner's members, only those who linked it
    STORE = "store"  # staff acting for a store or the program (clerks: only their assigned stores)


ANYONE_HUMAN = frozenset({Caller.ANONYMOUS, Caller.MEMBER, Caller.STAFF})
MEMBER = frozenset({Caller.MEMBER})
STAFF = frozenset({Caller.STAFF})
MEMBER_OR_STAFF = frozenset({Caller.MEMBER, Caller.STAFF})
PARTNER = frozenset({Caller.PARTNER})

# Staff roles besides HQ_ADMIN (who is always allowed where STAFF is).
ANALYST = StaffRole.ANALYST
CLERK = StaffRole.STORE_CLERK
MODERATOR = StaffRole.MODERATOR
PARTNER_MANAGER = StaffRole.PARTNER_MANAGER
EVERY_STAFF_ROLE = frozenset(StaffRole)


@dataclass(frozen=True)
class Access:
    callers: frozenset[Caller]
    scope: Scope
    staff_roles: frozenset[StaffRole] = frozenset()  # empty unless STAFF is among the callers

    def admits(self, caller: Caller, staff_role: StaffRole | None = None) -> bool:
        if caller not in self.callers:
            return False
        return caller is not Caller.STAFF or staff_role in self.staff_roles


def _a(callers: frozenset[Caller], scope: Scope, *staff: StaffRole) -> Access:
    if Caller.STAFF not in callers:
        assert not staff, "staff roles on a field staff may not call"
        return Access(callers, scope)
    if Caller.ANONYMOUS in callers:
        return Access(callers, scope, EVERY_STAFF_ROLE)  # what anyone may call, every staff role may
    return Access(callers, scope, frozenset({StaffRole.HQ_ADMIN, *staff}))


QUERY: dict[str, Access] = {
    "me": _a(MEMBER, Scope.SELF),
    "member": _a(STAFF, Scope.STORE, CLERK, ANALYST),
    "pointsLeaderboard": _a(MEMBER_OR_STAFF, Scope.PUBLIC, *EVERY_STAFF_ROLE),
    "tiers": _a(ANYONE_HUMAN, Scope.PUBLIC),
    "entitlementKinds": _a(ANYONE_HUMAN, Scope.PUBLIC),
    "tierEntitlements": _a(ANYONE_HUMAN, Scope.PUBLIC),
    "priceQuote": _a(MEMBER_OR_STAFF, Scope.SELF, CLERK),
    "couponStacking": _a(STAFF, Scope.STORE, ANALYST),
    "rewards": _a(ANYONE_HUMAN, Scope.PUBLIC),
    "offers": _a(MEMBER, Scope.PUBLIC),
    "validateCoupon": _a(STAFF, Scope.STORE, CLERK),
    "feed": _a(MEMBER_OR_STAFF, Scope.PUBLIC, MODERATOR),
    "groups": _a(ANYONE_HUMAN, Scope.PUBLIC),
    "upcomingEvents": _a(MEMBER_OR_STAFF, Scope.PUBLIC, MODERATOR),
    "partnerMember": _a(PARTNER, Scope.LINKED_MEMBER),
    "partnerStatement": _a(frozenset({Caller.PARTNER, Caller.STAFF}), Scope.SELF, PARTNER_MANAGER, ANALYST),
    "webhookDeliveries": _a(STAFF, Scope.STORE, PARTNER_MANAGER),
    "earningRules": _a(STAFF, Scope.STORE, ANALYST),
    "jobRuns": _a(STAFF, Scope.STORE),
    "programSettings": _a(ANYONE_HUMAN, Scope.PUBLIC),
    "openSurveys": _a(MEMBER, Scope.SELF),
    "surveys": _a(STAFF, Scope.STORE, ANALYST),
    "survey": _a(STAFF, Scope.STORE, ANALYST),
    "surveyResults": _a(STAFF, Scope.STORE, ANALYST),
    "exportMyData": _a(MEMBER, Scope.SELF),
    "exportMemberData": _a(STAFF, Scope.STORE),
    "memberAuditLog": _a(STAFF, Scope.STORE),
    "memberInsights": _a(STAFF, Scope.STORE, ANALYST),
    "memberSegment": _a(STAFF, Scope.STORE, ANALYST),
    "programKpis": _a(STAFF, Scope.STORE, ANALYST),
    "storeReport": _a(STAFF, Scope.STORE, ANALYST, CLERK),  # clerks: their assigned stores only
    "staffAccounts": _a(STAFF, Scope.STORE),
    "memberServiceCases": _a(STAFF, Scope.STORE, CLERK),  # clerks: cases raised at their stores
    "ownedServiceCases": _a(STAFF, Scope.STORE, CLERK),
    "serviceCase": _a(STAFF, Scope.STORE, CLERK),
    "memberMergeCandidates": _a(STAFF, Scope.STORE),
    # The POS quotes for the member at the till, the member's app for themself (domain/payments).
    "quotePointsPayment": _a(MEMBER_OR_STAFF, Scope.SELF, CLERK),
    "operatorKpis": _a(STAFF, Scope.STORE, ANALYST),
    # Detail pages and Relay refetching. Each resolver applies the rule of the list the entity comes
    # from: anyone sees rewards; a member only their own coupons and redemptions and the groups and
    # posts of their tier; an id the caller may not see answers as if it did not exist.
    "node": _a(ANYONE_HUMAN, Scope.SELF),
    "nodes": _a(ANYONE_HUMAN, Scope.SELF),
    "reward": _a(ANYONE_HUMAN, Scope.PUBLIC),
    "redemption": _a(MEMBER_OR_STAFF, Scope.SELF, CLERK),
    "coupon": _a(MEMBER_OR_STAFF, Scope.SELF, CLERK),
    "post": _a(MEMBER_OR_STAFF, Scope.PUBLIC, MODERATOR),
    "group": _a(MEMBER_OR_STAFF, Scope.PUBLIC, MODERATOR),
    "event": _a(MEMBER_OR_STAFF, Scope.PUBLIC, MODERATOR),
    # Gamification: draws and badges are public (the odds and the seed hash are for anyone to check).
    "draws": _a(ANYONE_HUMAN, Scope.PUBLIC),
    "draw": _a(ANYONE_HUMAN, Scope.PUBLIC),
    "badges": _a(ANYONE_HUMAN, Scope.PUBLIC),
    "messageTemplates": _a(STAFF, Scope.STORE, ANALYST),
    "previewMessage": _a(STAFF, Scope.STORE, ANALYST),
    "messageSends": _a(STAFF, Scope.STORE),
    "automations": _a(STAFF, Scope.STORE, ANALYST),
    "previewAutomation": _a(STAFF, Scope.STORE, ANALYST),
    "automationResults": _a(STAFF, Scope.STORE, ANALYST),
}

MUTATION: dict[str, Access] = {
    # Signing in works with an old (or another role's) token still in the header.
    "requestLoginCode": _a(ANYONE_HUMAN, Scope.PUBLIC),
    "signIn": _a(ANYONE_HUMAN, Scope.PUBLIC),
    "refreshSession": _a(ANYONE_HUMAN, Scope.PUBLIC),
    "signOut": _a(ANYONE_HUMAN, Scope.PUBLIC),
    "signInStaff": _a(ANYONE_HUMAN, Scope.PUBLIC),
    "updateProfile": _a(MEMBER, Scope.SELF),
    "linkIdentity": _a(MEMBER_OR_STAFF, Scope.SELF, CLERK),
    "unlinkIdentity": _a(MEMBER_OR_STAFF, Scope.SELF, CLERK),
    "correctBirthday": _a(STAFF, Scope.STORE),
    "unlockStaffAccount": _a(STAFF, Scope.STORE),
    # Partners earn through partnerEarn (linked members, caps), never through the POS path.
    "recordPurchase": _a(STAFF, Scope.STORE, CLERK),
    "recordRefund": _a(STAFF, Scope.STORE, CLERK),
    # Points as payment is the POS path (orders per store, like recordPurchase). Partners spend
    # members' points through partnerBurn, which holds them to the member's consent code and caps.
    "authorizePointsPayment": _a(STAFF, Scope.STORE, CLERK),
    "capturePointsPayment": _a(STAFF, Scope.STORE, CLERK),
    "releasePointsPayment": _a(STAFF, Scope.STORE, CLERK),
    "giftPoints": _a(MEMBER, Scope.SELF),
    "adjustPoints": _a(STAFF, Scope.STORE),
    "saveReward": _a(STAFF, Scope.STORE),
    "redeemReward": _a(MEMBER, Scope.SELF),
    "useVoucher": _a(STAFF, Scope.STORE, CLERK),
    "cancelRedemption": _a(MEMBER_OR_STAFF, Scope.SELF, CLERK),
    "saveCouponTemplate": _a(STAFF, Scope.STORE),
    "issueCoupons": _a(STAFF, Scope.STORE),
    "claimOffer": _a(MEMBER, Scope.SELF),
    "redeemCoupon": _a(STAFF, Scope.STORE, CLERK),
    "createCouponCodeBatch": _a(STAFF, Scope.STORE, PARTNER_MANAGER),
    "claimCouponCode": _a(MEMBER, Scope.SELF),
    "redeemCouponCode": _a(STAFF, Scope.STORE, CLERK),
    "shareCoupon": _a(MEMBER, Scope.SELF),
    "mergeMembers": _a(STAFF, Scope.STORE),
    "acceptSharedCoupon": _a(MEMBER, Scope.SELF),
    "cancelCouponShare": _a(MEMBER, Scope.SELF),
    "checkIn": _a(MEMBER, Scope.SELF),
    "makeUpCheckIn": _a(MEMBER, Scope.SELF),
    "createPost": _a(MEMBER, Scope.SELF),
    "commentOnPost": _a(MEMBER, Scope.SELF),
    "likePost": _a(MEMBER, Scope.SELF),
    "unlikePost": _a(MEMBER, Scope.SELF),
    "deletePost": _a(MEMBER, Scope.SELF),
    "reportContent": _a(MEMBER, Scope.SELF),
    "moderatePost": _a(STAFF, Scope.STORE, MODERATOR),
    "setBannedWords": _a(STAFF, Scope.STORE, MODERATOR),
    "saveGroup": _a(STAFF, Scope.STORE, MODERATOR),
    "joinGroup": _a(MEMBER, Scope.SELF),
    "leaveGroup": _a(MEMBER, Scope.SELF),
    "saveEvent": _a(STAFF, Scope.STORE, MODERATOR),
    "signUpForEvent": _a(MEMBER, Scope.SELF),
    "cancelEventSignup": _a(MEMBER, Scope.SELF),
    "checkInAttendee": _a(STAFF, Scope.STORE, MODERATOR),
    "createPartner": _a(STAFF, Scope.STORE, PARTNER_MANAGER),
    "rotatePartnerSecret": _a(STAFF, Scope.STORE, PARTNER_MANAGER),
    "deactivatePartner": _a(STAFF, Scope.STORE, PARTNER_MANAGER),
    "revokePartnerSecrets": _a(STAFF, Scope.STORE, PARTNER_MANAGER),
    # A partner system may still send its expiring token while fetching the next one.
    "partnerToken": _a(frozenset({Caller.ANONYMOUS, Caller.PARTNER}), Scope.PUBLIC),
    "linkPartner": _a(MEMBER, Scope.SELF),
    "unlinkPartner": _a(MEMBER, Scope.SELF),
    "authorizePartnerBurn": _a(MEMBER, Scope.SELF),
    "partnerEarn": _a(PARTNER, Scope.LINKED_MEMBER),
    "partnerBurn": _a(PARTNER, Scope.LINKED_MEMBER),
    "partnerReverse": _a(PARTNER, Scope.LINKED_MEMBER),
    "addWebhook": _a(STAFF, Scope.STORE, PARTNER_MANAGER),
    "redeliverWebhook": _a(STAFF, Scope.STORE, PARTNER_MANAGER),
    "runJob": _a(STAFF, Scope.STORE),
    "saveTier": _a(STAFF, Scope.STORE),
    "saveEntitlementKind": _a(STAFF, Scope.STORE),
    "setTierEntitlements": _a(STAFF, Scope.STORE),
    "useEntitlement": _a(STAFF, Scope.STORE, CLERK),
    "setCouponStacking": _a(STAFF, Scope.STORE),
    "saveEarningRule": _a(STAFF, Scope.STORE),
    "updateProgramSettings": _a(STAFF, Scope.STORE),
    "saveSurvey": _a(STAFF, Scope.STORE),
    "publishSurvey": _a(STAFF, Scope.STORE),
    "closeSurvey": _a(STAFF, Scope.STORE),
    "answerSurvey": _a(MEMBER, Scope.SELF),
    "setConsent": _a(MEMBER, Scope.SELF),
    "requestErasure": _a(MEMBER, Scope.SELF),
    "eraseMember": _a(STAFF, Scope.STORE),
    "createStaff": _a(STAFF, Scope.STORE),
    "deactivateStaff": _a(STAFF, Scope.STORE),
    "resetStaffPassword": _a(STAFF, Scope.STORE),
    "assignStaffStores": _a(STAFF, Scope.STORE),
    "changeStaffRole": _a(STAFF, Scope.STORE),
    "openServiceCase": _a(STAFF, Scope.STORE, CLERK),
    "updateServiceCase": _a(STAFF, Scope.STORE, CLERK),
    "enterDraw": _a(MEMBER, Scope.SELF),
    "claimChallengeReward": _a(MEMBER, Scope.SELF),
    "createDraw": _a(STAFF, Scope.STORE),
    "saveChallenge": _a(STAFF, Scope.STORE),
    "saveBadge": _a(STAFF, Scope.STORE),
    "awardBadges": _a(STAFF, Scope.STORE),
    "markNotificationsRead": _a(MEMBER, Scope.SELF),
    "markAllNotificationsRead": _a(MEMBER, Scope.SELF),
    "setMessageChannels": _a(MEMBER, Scope.SELF),
    "saveAutomation": _a(STAFF, Scope.STORE),
    "activateAutomation": _a(STAFF, Scope.STORE),
    "pauseAutomation": _a(STAFF, Scope.STORE),
}

SUBSCRIPTION: dict[str, Access] = {
    "profileChanged": _a(MEMBER, Scope.SELF),
    "pointsChanged": _a(MEMBER, Scope.SELF),
    "tierChanged": _a(MEMBER, Scope.SELF),
    "offerIssued": _a(MEMBER, Scope.SELF),
    "redemptionUpdated": _a(MEMBER, Scope.SELF),
    "contentReported": _a(STAFF, Scope.STORE, MODERATOR),
    "notificationReceived": _a(MEMBER, Scope.SELF),
}

ROOT_FIELDS: dict[str, dict[str, Access]] = {"Query": QUERY, "Mutation": MUTATION, "Subscription": SUBSCRIPTION}

_CALLER_OF_ROLE = {Role.MEMBER: Caller.MEMBER, Role.PARTNER: Caller.PARTNER, Role.STAFF: Caller.STAFF}


_WHO = {Caller.MEMBER: "a signed-in member", Caller.PARTNER: "a partner credential", Caller.STAFF: "program staff"}


def caller_of(viewer: Viewer) -> Caller:
    if not viewer.is_authenticated or viewer.role is None:
        return Caller.ANONYMOUS
    return _CALLER_OF_ROLE[viewer.role]


def authorize(access: Access, viewer: Viewer) -> None:
    """Refuse a caller the table does not list: UNAUTHENTICATED without a valid token (with the
    reason a presented token was refused), FORBIDDEN for a signed-in caller of another role (or
    staff of another staff role)."""
    caller = caller_of(viewer)
    if access.admits(caller, viewer.staff_role):
        return
    if caller is Caller.ANONYMOUS:
        viewer.require_authenticated()
    if caller is Caller.STAFF and caller in access.callers:
        roles = ", ".join(r.value for r in StaffRole if r in access.staff_roles)
        raise Forbidden(f"Only staff with the role {roles} can do this.")
    who = " or ".join(_WHO[c] for c in Caller if c in access.callers and c is not Caller.ANONYMOUS)
    raise Forbidden(f"Only {who} can do this.")


def access_of(type_name: str, field_name: str) -> Access:
    return ROOT_FIELDS[type_name][field_name]


def missing_declarations(root_fields: dict[str, list[str]]) -> list[str]:
    """Root fields of the schema with no line in the table, and lines with no field ("Type.field")."""
    problems = [f"{t}.{name} has no access declaration" for t, names in root_fields.items()
                for name in names if name not in ROOT_FIELDS.get(t, {})]
    problems += [f"{t}.{name} is declared but not in the schema" for t, table in ROOT_FIELDS.items()
                 for name in table if name not in root_fields.get(t, [])]
    return problems
