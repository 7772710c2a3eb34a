"""Member profile and channel identities."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from domain.members import services
from domain.members.model import ChannelIdentity as DomainIdentity
from domain.members.model import Gender as DomainGender
from domain.members.model import Member as DomainMember
from domain.members.profile import UNSET, ProfileChanges
from schema.benefits import MemberBenefits, RedemptionConnection, load_benefits, load_redemptions
from schema.checkins import CheckIns
from schema.info import Info
from schema.meetups import Referrals, load_referrals
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
from schema.privacy import Consent, ConsentRecord, load_consent_history, load_consents
from schema.query_reads import query_reads
from schema.refs import Channel, parse_id
from schema.tiers import TierChangeConnection, TierStatus, load_tier_history, load_tier_status

# Registered in place (strawberry.enum returns the class itself), so type checkers see a plain enum.
strawberry.enum(DomainGender, name="Gender")
Gender = DomainGender


@strawberry.type(name="ChannelIdentity")
class ChannelIdentityType:
    channel: Channel
    external_id: str
    linked_at: datetime

    @classmethod
    def from_domain(cls, identity: DomainIdentity) -> ChannelIdentityType:
        return cls(channel=identity.channel, external_id=identity.external_id, linked_at=identity.linked_at)


@strawberry.type(name="Member")
class MemberType:
    id: strawberry.ID
    phone: str
    member_code: str = strawberry.field(description="Short code a member can show or share instead of a phone.")
    display_name: str | None
    avatar_url: str | None
    birthday: date | None
    birthday_editable: bool = strawberry.field(
        description="False once the birthday is set: after that only member service can correct it."
    )
    gender: Gender
    tags: list[str]
    marketing_consent: bool
    marketing_consent_at: datetime | None
    show_on_leaderboard: bool
    joined_at: datetime
    member_id: strawberry.Private[int]

    @strawberry.field(description="Points balance (the member themselves or staff).")
    async def points(self, info: Info) -> PointsBalance:
        return await load_balance(info, self.member_id)

    @strawberry.field(description="Ledger entries, newest first, keyset-paginated: forwards (older) with "
                                  "`first`/`after` (default 20), back (newer) with `last`/`before` using "
                                  "`pageInfo.startCursor`; 1 to 100 per page.")
    async def points_history(
        self, info: Info, first: int | None = None, after: str | None = None,
        kinds: list[PointsEntryKind] | None = None, last: int | None = None, before: str | None = None,
    ) -> PointsEntryConnection:
        return await load_history(info, self.member_id, first, after, kinds, last, before)

    @strawberry.field(description="The member's purchases with their items, newest first; page with `first`/`after`.")
    async def purchases(self, info: Info, first: int = 20, after: str | None = None) -> PurchaseConnection:
        return await load_purchases(info, self.member_id, first, after)

    @strawberry.field(description="Current tier, the next one and progress towards it.")
    async def tier(self, info: Info) -> TierStatus:
        return await load_tier_status(info, self.member_id)

    @strawberry.field(description="Tier changes, newest first; page with `first`/`after`.")
    async def tier_history(self, info: Info, first: int = 20, after: str | None = None) -> TierChangeConnection:
        return await load_tier_history(info, self.member_id, first, after)

    @strawberry.field(description="Invite code, how many joined with it, and what it earned.")
    async def referrals(self, info: Info) -> Referrals:
        return await load_referrals(info, self.member_id)

    @strawberry.field(description="Daily check-in streak and calendar.")
    def check_ins(self) -> CheckIns:
        return CheckIns(member_id=self.member_id)

    @strawberry.field(description="The coupon wallet, newest first; filter by status; page with `first`/`after` "
                                  "(1 to 100).")
    async def coupons(self, info: Info, status: CouponStatus | None = None, first: int = 20,
                      after: str | None = None) -> CouponConnection:
        return await load_coupons(info, self.member_id, status, first, after)

    @strawberry.field(description="Coupons the member holds and can still use (unused, not expired): "
                                  "the count on the app's offers badge.")
    async def available_coupons_count(self, info: Info) -> int:
        return await load_available_coupons_count(info, self.member_id)

    @strawberry.field(description="Tier perks the member has now, and what the next tier adds.")
    async def benefits(self, info: Info) -> MemberBenefits:
        return await load_benefits(info, self.member_id)

    @strawberry.field(description="Redemptions (vouchers), newest first; page with `first`/`after`.")
    async def redemptions(self, info: Info, first: int = 20, after: str | None = None) -> RedemptionConnection:
        return await load_redemptions(info, self.member_id, first, after)

    @strawberry.field(description="Current answer per consent kind.")
    async def consents(self, info: Info) -> list[Consent]:
        return await load_consents(info, self.member_id)

    @strawberry.field(description="Every consent answer, newest first; page with `before` = last id seen.")
    async def consent_history(self, info: Info, first: int = 20,
                              before: strawberry.ID | None = None) -> list[ConsentRecord]:
        return await load_consent_history(info, self.member_id, first, before)

    @strawberry.field
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


@strawberry.type
class MemberQueries:
    @strawberry.field(description="The signed-in member.")
    async def me(self, info: Info) -> MemberType:
        ctx = info.context
        reads = query_reads(info)
        return MemberType.from_domain(await services.get_me(ctx.uow(), ctx.container.cache, ctx.viewer,
                                                            reads.profile if reads else None))

    @strawberry.field(description="Staff: find a member by phone or by a linked channel identity.")
    async def member(
        self, info: Info, phone: str | None = None, channel: Channel | None = None, external_id: str | None = None
    ) -> MemberType:
        member = await services.find_member(
            info.context.uow(), info.context.viewer, info.context.container.now(), phone=phone, channel=channel,
            external_id=external_id,
        )
        return MemberType.from_domain(member)


@strawberry.input
class UpdateProfileInput:
    display_name: str | None = strawberry.UNSET
    avatar_url: str | None = strawberry.UNSET
    birthday: date | None = strawberry.UNSET
    gender: Gender | None = strawberry.UNSET
    tags: list[str] | None = strawberry.UNSET
    marketing_consent: bool | None = strawberry.UNSET
    show_on_leaderboard: bool | None = strawberry.UNSET

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


@strawberry.input
class LinkIdentityInput:
    channel: Channel
    external_id: str
    member_id: strawberry.ID | None = strawberry.field(default=None, description="Staff only: whose identity.")


@strawberry.input
class CorrectBirthdayInput:
    member_id: strawberry.ID
    birthday: date
    reason: str


@strawberry.type
class MemberPayload:
    member: MemberType


@strawberry.type
class LinkIdentityPayload:
    identity: ChannelIdentityType
    member: MemberType


@strawberry.type
class MemberMutations:
    @strawberry.mutation(description="Change your profile. Invalid fields come back in extensions.fieldErrors.")
    async def update_profile(self, info: Info, input: UpdateProfileInput) -> MemberPayload:
        ctx = info.context
        member = await services.update_profile(input.to_domain(), ctx.deps())
        return MemberPayload(member=MemberType.from_domain(member))

    @strawberry.mutation(description="Link an app device, mini-program openid or POS card to a member.")
    async def link_identity(self, info: Info, input: LinkIdentityInput) -> LinkIdentityPayload:
        ctx = info.context
        target = parse_id(input.member_id) if input.member_id is not None else None
        identity = await services.link_identity(
            ctx.uow(), ctx.viewer, input.channel, input.external_id, ctx.container.now(), member_id=target
        )
        member = await services.load_member(ctx.uow(), ctx.container.cache, target or ctx.viewer.require_member())
        return LinkIdentityPayload(identity=ChannelIdentityType.from_domain(identity),
                                   member=MemberType.from_domain(member))

    @strawberry.mutation
    async def unlink_identity(self, info: Info, input: LinkIdentityInput) -> MemberPayload:
        ctx = info.context
        target = parse_id(input.member_id) if input.member_id is not None else None
        await services.unlink_identity(ctx.uow(), ctx.viewer, input.channel, input.external_id, member_id=target)
        member = await services.load_member(ctx.uow(), ctx.container.cache, target or ctx.viewer.require_member())
        return MemberPayload(member=MemberType.from_domain(member))

    @strawberry.mutation(description="Staff: correct a member's birthday (audited).")
    async def correct_birthday(self, info: Info, input: CorrectBirthdayInput) -> MemberPayload:
        ctx = info.context
        member = await services.correct_birthday(services.CorrectBirthday(
            parse_id(input.member_id), input.birthday, input.reason), ctx.deps())
        return MemberPayload(member=MemberType.from_domain(member))
