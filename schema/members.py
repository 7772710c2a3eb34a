"""Member profile and channel identities."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import strawberry

from domain.members import services
from domain.members.model import ChannelIdentity as DomainIdentity
from domain.members.model import Gender as DomainGender
from domain.members.model import Member as DomainMember
from domain.members.profile import UNSET, ProfileChanges
from schema.awaitables import later
from schema.benefits import MemberBenefits, RedemptionConnection, load_benefits, load_redemptions
from schema.checkins import CheckIns
from schema.entitlements import (
    Entitlement,
    EntitlementUseConnection,
    NextTierEntitlements,
    load_entitlement_uses,
    load_entitlements,
    load_next_tier_entitlements,
)
from schema.enums import register_enum
from schema.gamification import (
    BadgeShelf,
    ChallengeProgress,
    DrawTicketConnection,
    load_badges,
    load_challenges,
    load_tickets,
)
from schema.info import Info
from schema.meetups import Referrals, load_referrals
from schema.messaging import (
    ChannelPreference,
    NotificationConnection,
    load_channel_preferences,
    load_notifications,
    load_unread_count,
)
from schema.offers import CouponConnection, CouponStatus, load_available_coupons_count, load_coupons
from schema.points import (
    PointsBalance,
    PointsEntryConnection,
    PointsEntryKind,
    PurchaseConnection,
    load_balance,
    load_history,
    load_purchases,
)
from schema.privacy import Consent, ConsentRecordConnection, load_consent_history, load_consents
from schema.query_reads import query_reads
from schema.refs import Channel, parse_id
from schema.tiers import TierChangeConnection, TierStatus, load_tier_history, load_tier_status

# Registered in place (register_enum returns nothing; the class itself is the GraphQL enum), so type checkers
# see a plain enum.
register_enum(DomainGender, "Gender", "The gender a member chose to give in their profile.", {
    "UNSPECIFIED": "Not given (the default).",
    "FEMALE": "Female.",
    "MALE": "Male.",
    "OTHER": "Another gender.",
})
Gender = DomainGender


@strawberry.type(name="ChannelIdentity", description=(
    "An outside identity linked to a member: an app install, a WeChat mini-program openid or a store (POS) card."))
class ChannelIdentityType:
    channel: Channel = strawberry.field(description="Which kind of identity this is.")
    external_id: str = strawberry.field(description=(
        "The identity's value on that channel (device id, openid, card number)."))
    linked_at: datetime = strawberry.field(description="When it was linked to the member (UTC).")

    @classmethod
    def from_domain(cls, identity: DomainIdentity) -> ChannelIdentityType:
        return cls(channel=identity.channel, external_id=identity.external_id, linked_at=identity.linked_at)


@strawberry.type(name="Member", description=(
    "A loyalty-program member: profile, points, tier, coupons and history. Readable by the member themselves "
    "and by staff; anyone else gets FORBIDDEN or NOT_FOUND."))
class MemberType:
    id: strawberry.ID = strawberry.field(description=(
        "The member's id (opaque; use it wherever a `memberId` is asked for)."))
    phone: str = strawberry.field(description="The mobile number the member signs in with, in +country form (E.164).")
    member_code: str = strawberry.field(description="Short code a member can show or share instead of a phone.")
    display_name: str | None = strawberry.field(description="Name shown in the app and community; null until set.")
    avatar_url: str | None = strawberry.field(description="http(s) address of the avatar image; null until set.")
    birthday: date | None = strawberry.field(
        description="Date of birth (drives birthday rewards); null until the member gives it.")
    birthday_editable: bool = strawberry.field(
        description="False once the birthday is set: after that only member service can correct it."
    )
    gender: Gender = strawberry.field(description="Gender as given by the member; UNSPECIFIED by default.")
    tags: list[str] = strawberry.field(description=(
        "Interest tags the member chose (up to 20, each 1 to 20 characters)."))
    marketing_consent: bool = strawberry.field(description="True while the member agrees to receive marketing.")
    marketing_consent_at: datetime | None = strawberry.field(
        description="When the marketing answer was last given (UTC); null if never answered.")
    show_on_leaderboard: bool = strawberry.field(
        description="False when the member opted out of appearing on the points leaderboard.")
    joined_at: datetime = strawberry.field(description="When the member joined the program (UTC).")
    member_id: strawberry.Private[int]

    @strawberry.field(description="Points balance (the member themselves or staff).")
    def points(self, info: Info) -> PointsBalance:
        return later(load_balance(info, self.member_id))

    @strawberry.field(description="Ledger entries, newest first, keyset-paginated: forwards (older) with "
                                  "`first`/`after` (default 20), back (newer) with `last`/`before` using "
                                  "`pageInfo.startCursor`; 1 to 100 per page.")
    def points_history(
        self, info: Info,
        first: Annotated[int | None, strawberry.argument(
            description="Page size going back in time (older entries), 1 to 100; 20 when no size is given.")] = None,
        after: Annotated[str | None, strawberry.argument(
            description="Opaque cursor (`pageInfo.endCursor`): return entries older than it.")] = None,
        kinds: Annotated[list[PointsEntryKind] | None, strawberry.argument(
            description="Only entries of these kinds; all kinds when null.")] = None,
        last: Annotated[int | None, strawberry.argument(
            description="Page size going forward in time (newer entries), 1 to 100; use with `before`.")] = None,
        before: Annotated[str | None, strawberry.argument(
            description="Opaque cursor (`pageInfo.startCursor`): return entries newer than it.")] = None,
    ) -> PointsEntryConnection:
        return later(load_history(info, self.member_id, first, after, kinds, last, before))

    @strawberry.field(description="The member's purchases with their items, newest first; page with `first`/`after`.")
    async def purchases(
        self, info: Info, first: Annotated[int, strawberry.argument(description="Page size (1 to 100).")] = 20,
        after: Annotated[str | None, strawberry.argument(description=(
            "Opaque cursor from `pageInfo.endCursor`: the page after it."))] = None,
    ) -> PurchaseConnection:
        return await load_purchases(info, self.member_id, first, after)

    @strawberry.field(description="Current tier, the next one and progress towards it.")
    def tier(self, info: Info) -> TierStatus:
        return later(load_tier_status(info, self.member_id))

    @strawberry.field(description="Tier changes, newest first; page with `first`/`after`.")
    async def tier_history(
        self, info: Info, first: Annotated[int, strawberry.argument(description="Page size (1 to 100).")] = 20,
        after: Annotated[str | None, strawberry.argument(description=(
            "Opaque cursor from `pageInfo.endCursor`: the page after it."))] = None,
    ) -> TierChangeConnection:
        return await load_tier_history(info, self.member_id, first, after)

    @strawberry.field(description="Invite code, how many joined with it, and what it earned.")
    async def referrals(self, info: Info) -> Referrals:
        return await load_referrals(info, self.member_id)

    @strawberry.field(description="Daily check-in streak and calendar.")
    def check_ins(self) -> CheckIns:
        return CheckIns(member_id=self.member_id)

    @strawberry.field(description="Badges held and the title carried (e.g. 积分英雄), in the caller's language.")
    async def badges(self, info: Info) -> BadgeShelf:
        return await load_badges(info, self.member_id)

    @strawberry.field(description="Challenges running now (and those ended in the last 7 days, still claimable), "
                                  "with this member's progress; ending soonest first.")
    async def challenges(self, info: Info) -> list[ChallengeProgress]:
        return await load_challenges(info, self.member_id)

    @strawberry.field(description="Points-draw tickets, newest first; page with `first`/`after`.")
    async def draw_tickets(
        self, info: Info, first: Annotated[int, strawberry.argument(description="Page size (1 to 100).")] = 20,
        after: Annotated[str | None, strawberry.argument(description=(
            "Opaque cursor from `pageInfo.endCursor`: the page after it."))] = None,
    ) -> DrawTicketConnection:
        return await load_tickets(info, self.member_id, first, after)

    @strawberry.field(description="The coupon wallet, newest first; filter by status; page with `first`/`after` "
                                  "(1 to 100).")
    async def coupons(
        self, info: Info,
        status: Annotated[CouponStatus | None, strawberry.argument(
            description="Only coupons in this status; all when null.")] = None,
        first: Annotated[int, strawberry.argument(description="Page size (1 to 100).")] = 20,
        after: Annotated[str | None, strawberry.argument(description=(
            "Opaque cursor from `pageInfo.endCursor`: the page after it."))] = None,
    ) -> CouponConnection:
        return await load_coupons(info, self.member_id, status, first, after)

    @strawberry.field(description="Coupons the member holds and can still use (unused, not expired): "
                                  "the count on the app's offers badge.")
    def available_coupons_count(self, info: Info) -> int:
        return later(load_available_coupons_count(info, self.member_id))

    @strawberry.field(description="Tier perks the member has now, and what the next tier adds.")
    async def benefits(self, info: Info) -> MemberBenefits:
        return await load_benefits(info, self.member_id)

    @strawberry.field(description="Perks the member's tier grants, with the quota left this period and when it "
                                  "resets.")
    async def entitlements(self, info: Info) -> list[Entitlement]:
        return await load_entitlements(info, self.member_id)

    @strawberry.field(description="What the next tier up would add to the member's perks.")
    async def next_tier_entitlements(self, info: Info) -> NextTierEntitlements:
        return await load_next_tier_entitlements(info, self.member_id)

    @strawberry.field(description="Perk uses at stores, newest first; page with `first`/`after`.")
    async def entitlement_uses(
        self, info: Info, first: Annotated[int, strawberry.argument(description="Page size (1 to 100).")] = 20,
        after: Annotated[str | None, strawberry.argument(description=(
            "Opaque cursor from `pageInfo.endCursor`: the page after it."))] = None,
    ) -> EntitlementUseConnection:
        return await load_entitlement_uses(info, self.member_id, first, after)

    @strawberry.field(description="Redemptions (vouchers), newest first; page with `first`/`after`.")
    async def redemptions(
        self, info: Info, first: Annotated[int, strawberry.argument(description="Page size (1 to 100).")] = 20,
        after: Annotated[str | None, strawberry.argument(description=(
            "Opaque cursor from `pageInfo.endCursor`: the page after it."))] = None,
    ) -> RedemptionConnection:
        return await load_redemptions(info, self.member_id, first, after)

    @strawberry.field(description="Current answer per consent kind.")
    async def consents(self, info: Info) -> list[Consent]:
        return await load_consents(info, self.member_id)

    @strawberry.field(description="Every consent answer, newest first, as a connection.")
    async def consent_history(
        self, info: Info,
        first: Annotated[int, strawberry.argument(
            description="How many records (1 to 100; else BAD_USER_INPUT).")] = 20,
        after: Annotated[str | None, strawberry.argument(
            description="Opaque cursor (`pageInfo.endCursor`): return the older records after it.")] = None,
    ) -> ConsentRecordConnection:
        return await load_consent_history(info, self.member_id, first, after)

    @strawberry.field(description="The inbox, newest first, keyset-paginated with `first`/`after`; title and body "
                                  "in the caller's language.")
    async def notifications(
        self, info: Info,
        first: Annotated[int, strawberry.argument(description="Page size (1 to 100; else BAD_USER_INPUT).")] = 20,
        after: Annotated[str | None, strawberry.argument(description=(
            "Opaque cursor from `pageInfo.endCursor`: the older notifications after it."))] = None,
    ) -> NotificationConnection:
        return await load_notifications(info, self.member_id, first, after)

    @strawberry.field(description="Notifications not read yet (the inbox badge).")
    async def unread_notifications_count(self, info: Info) -> int:
        return await load_unread_count(info, self.member_id)

    @strawberry.field(description="Per channel, whether the member takes marketing messages on it.")
    async def message_channels(self, info: Info) -> list[ChannelPreference]:
        return await load_channel_preferences(info, self.member_id)

    @strawberry.field(description="Channel identities (app device, mini-program, POS card) linked to the member.")
    async def identities(self, info: Info) -> list[ChannelIdentityType]:
        found = await info.context.loaders.identities_by_member.load(self.member_id)
        return [ChannelIdentityType.from_domain(i) for i in found]

    @classmethod
    def from_domain(cls, m: DomainMember) -> MemberType:
        return cls(
            id=strawberry.ID(str(m.id)), member_id=m.id, phone=m.phone, member_code=m.member_code,
            display_name=m.display_name, avatar_url=m.avatar_url, birthday=m.birthday,
            birthday_editable=not m.birthday_locked, gender=m.gender, tags=list(m.tags),
            marketing_consent=m.marketing_consent, marketing_consent_at=m.marketing_consent_at,
            show_on_leaderboard=not m.leaderboard_opt_out, joined_at=m.joined_at,
        )


async def _me(info: Info) -> MemberType:
    ctx = info.context
    return MemberType.from_domain(await services.get_me(ctx.uow(), ctx.container.cache, ctx.viewer))


@strawberry.type
class MemberQueries:
    @strawberry.field(description=(
        "Member: the signed-in member. UNAUTHENTICATED without a member session (or once the account was erased)."))
    def me(self, info: Info) -> MemberType:
        ctx = info.context
        reads = query_reads(info)
        # Plain: the token check has most often read the profile already, so nothing is awaited.
        known = services.known_me(ctx.viewer, reads.profile if reads else None)
        if known is not None:
            return MemberType.from_domain(known)
        return later(_me(info))

    @strawberry.field(description=(
        "Staff: find a member by phone or by a linked channel identity (audited). BAD_USER_INPUT when neither is "
        "given; NOT_FOUND when nobody matches."))
    async def member(
        self, info: Info,
        phone: Annotated[str | None, strawberry.argument(
            description="The member's mobile number; takes precedence over channel/externalId.")] = None,
        channel: Annotated[Channel | None, strawberry.argument(
            description=(
                "Channel of a linked identity (e.g. POS_CARD for a card scan); give with `externalId`."))] = None,
        external_id: Annotated[str | None, strawberry.argument(
            description="The identity's value on `channel` (card number, openid, device id).")] = None,
    ) -> MemberType:
        member = await services.find_member(
            services.FindMember(phone=phone, channel=channel, external_id=external_id), info.context.deps())
        return MemberType.from_domain(member)


@strawberry.input(description="Profile changes: omitted fields are left as they are.")
class UpdateProfileInput:
    display_name: str | None = strawberry.field(default=strawberry.UNSET, description=(
        "New display name, 1 to 30 characters; null clears it."))
    avatar_url: str | None = strawberry.field(default=strawberry.UNSET, description=(
        "New avatar as an http(s) address (at most 500 characters); null clears it."))
    birthday: date | None = strawberry.field(default=strawberry.UNSET, description=(
        "Date of birth; the member can set it only while `birthdayEditable` is true."))
    gender: Gender | None = strawberry.field(default=strawberry.UNSET, description=(
        "New gender; null leaves it unchanged."))
    tags: list[str] | None = strawberry.field(default=strawberry.UNSET, description=(
        "Replaces all interest tags (up to 20, each 1 to 20 characters); null leaves them unchanged."))
    marketing_consent: bool | None = strawberry.field(default=strawberry.UNSET, description=(
        "Agree (true) or stop agreeing (false) to marketing; null leaves it unchanged."))
    show_on_leaderboard: bool | None = strawberry.field(default=strawberry.UNSET, description=(
        "False hides the member from the points leaderboard; null leaves it unchanged."))

    def to_domain(self) -> ProfileChanges:
        def given(value: object) -> object:
            return UNSET if value is strawberry.UNSET else value

        return ProfileChanges(
            display_name=given(self.display_name),  # type: ignore[arg-type]
            avatar_url=given(self.avatar_url),  # type: ignore[arg-type]
            birthday=given(self.birthday),  # type: ignore[arg-type]
            gender=UNSET if self.gender in (strawberry.UNSET, None) else self.gender,
            tags=UNSET if self.tags in (strawberry.UNSET, None) else list(self.tags),
            marketing_consent=(
                UNSET if self.marketing_consent in (strawberry.UNSET, None) else bool(self.marketing_consent)
            ),
            show_on_leaderboard=(
                UNSET if self.show_on_leaderboard in (strawberry.UNSET, None) else bool(self.show_on_leaderboard)
            ),
        )


@strawberry.input(description="A channel identity to link or unlink.")
class LinkIdentityInput:
    channel: Channel = strawberry.field(description=(
        "Which kind of identity. Members may link only APP_DEVICE themselves."))
    external_id: str = strawberry.field(description="The identity's value: 1 to 128 letters, digits or . _ : -")
    member_id: strawberry.ID | None = strawberry.field(default=None, description="Staff only: whose identity.")


@strawberry.input(description="A staff correction of a member's birthday.")
class CorrectBirthdayInput:
    member_id: strawberry.ID = strawberry.field(description="The member to correct.")
    birthday: date = strawberry.field(description="The right date of birth: a real date in the past.")
    reason: str = strawberry.field(description="Why it is being corrected (required; kept in the audit log).")


@strawberry.type(description="The result of a profile change: the member as it now stands.")
class MemberPayload:
    member: MemberType = strawberry.field(description="The member after the change.")


@strawberry.type(description="The result of linkIdentity.")
class LinkIdentityPayload:
    identity: ChannelIdentityType = strawberry.field(description="The identity now linked.")
    member: MemberType = strawberry.field(description="The member it is linked to.")


@strawberry.type
class MemberMutations:
    @strawberry.mutation(description=(
        "Member: change your profile. Invalid fields answer BAD_USER_INPUT with `extensions.fieldErrors`."))
    async def update_profile(
        self, info: Info,
        input: Annotated[UpdateProfileInput, strawberry.argument(description="The profile fields to change.")],
    ) -> MemberPayload:
        ctx = info.context
        member = await services.update_profile(input.to_domain(), ctx.deps())
        return MemberPayload(member=MemberType.from_domain(member))

    @strawberry.mutation(description=(
        "Member (APP_DEVICE only) or staff (any channel, with `memberId`): link an app device, mini-program openid or "
        "POS card to a member. FORBIDDEN for a channel the caller may not link; IDENTITY_ALREADY_LINKED "
        "when another member holds it."))
    async def link_identity(
        self, info: Info,
        input: Annotated[LinkIdentityInput, strawberry.argument(description=(
            "The identity (and, for staff, the member)."))],
    ) -> LinkIdentityPayload:
        ctx = info.context
        target = parse_id(input.member_id) if input.member_id is not None else None
        identity = await services.link_identity(
            services.LinkIdentity(input.channel, input.external_id, member_id=target), ctx.deps())
        member = await services.load_member(ctx.uow(), ctx.container.cache, target or ctx.viewer.require_member())
        return LinkIdentityPayload(identity=ChannelIdentityType.from_domain(identity),
                                   member=MemberType.from_domain(member))

    @strawberry.mutation(description=(
        "Member (own identities) or staff (with `memberId`): unlink a channel identity. NOT_FOUND when it is not "
        "linked to that member."))
    async def unlink_identity(
        self, info: Info,
        input: Annotated[LinkIdentityInput, strawberry.argument(description=(
            "The identity (and, for staff, the member)."))],
    ) -> MemberPayload:
        ctx = info.context
        target = parse_id(input.member_id) if input.member_id is not None else None
        await services.unlink_identity(ctx.uow(), ctx.viewer, input.channel, input.external_id, member_id=target)
        member = await services.load_member(ctx.uow(), ctx.container.cache, target or ctx.viewer.require_member())
        return MemberPayload(member=MemberType.from_domain(member))

    @strawberry.mutation(description=(
        "Staff: correct a member's birthday (audited). BAD_USER_INPUT on a missing reason or impossible date; "
        "NOT_FOUND for an unknown member."))
    async def correct_birthday(
        self, info: Info,
        input: Annotated[CorrectBirthdayInput, strawberry.argument(description=(
            "The member, the right birthday and why."))],
    ) -> MemberPayload:
        ctx = info.context
        member = await services.correct_birthday(services.CorrectBirthday(
            parse_id(input.member_id), input.birthday, input.reason), ctx.deps())
        return MemberPayload(member=MemberType.from_domain(member))
