"""Partner brands: staff set them up, members link with consent, partner systems earn and burn."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import strawberry

from domain.partners import services
from domain.partners.model import OPERATIONS
from domain.partners.model import Partner as DomainPartner
from domain.partners.model import PartnerTransaction as DomainTxn
from schema.enums import PartnerTransactionKind
from schema.info import Info
from schema.refs import parse_id


@strawberry.type(description="Staff: a partner brand whose systems earn and burn program points for linked "
                            "members at an agreed exchange rate.")
class Partner:
    id: strawberry.ID = strawberry.field(description="Id of the partner (for `rotatePartnerSecret`, `linkPartner`, "
                                                     "`partnerStatement`, `addWebhook`).")
    name: str = strawberry.field(description="Brand name shown to members.")
    client_id: str = strawberry.field(description="Public client id the partner system sends to `partnerToken`.")
    partner_units: int = strawberry.field(description="Exchange rate: this many of the partner's own units (its "
                                                      "points or currency) ...")
    program_points: int = strawberry.field(description="... are worth this many program points (conversions round "
                                                       "down to whole units).")
    daily_earn_cap: int = strawberry.field(description="Most program points the partner may credit per program day "
                                                       "(Asia/Shanghai), all members together.")
    daily_burn_cap: int = strawberry.field(description="Most program points the partner may take per program day "
                                                       "(Asia/Shanghai), all members together.")
    operations: list[str] = strawberry.field(description="What it may do: any of EARN, BURN, REVERSE.")
    active: bool = strawberry.field(description="False: its tokens and calls are refused.")

    @classmethod
    def from_domain(cls, p: DomainPartner) -> Partner:
        return cls(id=strawberry.ID(str(p.id)), name=p.name, client_id=p.client_id, partner_units=p.partner_units,
                   program_points=p.program_points, daily_earn_cap=p.daily_earn_cap, daily_burn_cap=p.daily_burn_cap,
                   operations=list(p.operations), active=p.active)


@strawberry.type(description="A partner account with a new client secret (`createPartner`, "
                            "`rotatePartnerSecret`).")
class PartnerCredentials:
    partner: Partner = strawberry.field(description="The partner account.")
    client_secret: str = strawberry.field(description="Shown once; store it in the partner's secret manager.")


@strawberry.type(description="An earn or burn a partner system recorded for a linked member.")
class PartnerTransaction:
    transaction_id: str = strawberry.field(description="The partner's own transaction id, unique per partner.")
    kind: PartnerTransactionKind = strawberry.field(description="Earn or burn.")
    points: int = strawberry.field(description="Program points credited (earn) or taken (burn), whole points.")
    partner_amount: int = strawberry.field(description="The same value in the partner's own units.")
    reversed: bool = strawberry.field(description="True once `partnerReverse` undid it.")
    created_at: datetime = strawberry.field(description="When it was recorded (UTC).")

    @classmethod
    def from_domain(cls, t: DomainTxn) -> PartnerTransaction:
        return cls(transaction_id=t.txn_id, kind=PartnerTransactionKind(t.kind), points=t.points,
                   partner_amount=t.partner_amount,
                   reversed=t.reversed, created_at=t.created_at)


@strawberry.type(description="The member's link to a partner brand (`linkPartner`).")
class PartnerLinkPayload:
    partner_id: strawberry.ID = strawberry.field(description="Id of the linked partner.")
    member_ref: str = strawberry.field(description="The reference the partner knows this member by (never the "
                                                   "phone or the member id).")
    share_phone: bool = strawberry.field(description="Whether the partner may see the member's phone number.")


@strawberry.type(description="What a partner may see of a member linked to it.")
class LinkedMember:
    member_ref: str = strawberry.field(description="The reference the partner knows the member by.")
    display_name: str | None = strawberry.field(description="The member's display name; null when they set none.")
    tier_rank: int = strawberry.field(description="Rank of the member's tier (higher ranks are higher tiers).")
    phone: str | None = strawberry.field(description="Only when the member agreed to share it.")


def as_date(day: object) -> date:
    """Statement rows carry the day as a date (PostgreSQL) or as ISO text (SQLite)."""
    return day if isinstance(day, date) else date.fromisoformat(str(day)[:10])


@strawberry.type(description="One settlement line: a day's sums of one kind of partner transaction.")
class StatementLine:
    day: date = strawberry.field(description="The calendar day (UTC) the transactions were recorded on.")
    kind: PartnerTransactionKind = strawberry.field(description="Which transactions are summed.")
    partner_amount: int = strawberry.field(description="Sum in the partner's own units; REVERSE lines are signed "
                                                       "(negative for undone earns).")
    points: int = strawberry.field(description="Sum in program points; REVERSE lines are signed (negative for "
                                               "undone earns).")


@strawberry.type(description="An access token for a partner system.")
class PartnerToken:
    access_token: str = strawberry.field(description="Send it as `Authorization: Bearer <token>`.")
    expires_at: datetime = strawberry.field(description="When it stops working (UTC): fetch a new one before.")


@strawberry.input(description="Staff: a new partner brand.")
class CreatePartnerInput:
    name: str = strawberry.field(description="Brand name, 1 to 80 characters.")
    partner_units: int = strawberry.field(description="Exchange rate, the partner's side: 1 to 1,000,000 of its "
                                                      "units ...")
    program_points: int = strawberry.field(description="... are worth this many program points, 1 to 1,000,000.")
    daily_earn_cap: int = strawberry.field(description="Most points it may credit per program day, 0 or more.")
    daily_burn_cap: int = strawberry.field(description="Most points it may take per program day, 0 or more.")
    operations: list[str] = strawberry.field(default_factory=lambda: list(OPERATIONS),
                                             description="What it may do: any of EARN, BURN, REVERSE (default: all).")


@strawberry.type
class PartnerQueries:
    @strawberry.field(description="Partner: a member linked to this partner, by the reference it was given. Not "
                                  "linked (or another partner's): NOT_FOUND.")
    async def partner_member(self, info: Info, member_ref: Annotated[str, strawberry.argument(
            description="The member's reference (`memberRef`).")]) -> LinkedMember:
        m = await services.linked_member(info.context.uow(), info.context.viewer, member_ref)
        return LinkedMember(member_ref=m.member_ref, display_name=m.display_name, tier_rank=m.tier_rank, phone=m.phone)

    @strawberry.field(description="Staff or that partner: per-day sums for settlement, from the ledger. A range of "
                                  "at most 92 days (else BAD_USER_INPUT); another partner's id: NOT_FOUND.")
    async def partner_statement(
        self, info: Info,
        partner_id: Annotated[strawberry.ID, strawberry.argument(description="Id of the partner.")],
        from_: Annotated[datetime, strawberry.argument(name="from", description="Start, inclusive.")],
        to: Annotated[datetime, strawberry.argument(description="End, exclusive (after `from`).")],
    ) -> list[StatementLine]:
        rows = await services.statement(info.context.uow(), info.context.viewer, parse_id(partner_id, "partnerId"),
                                        from_, to)
        return [StatementLine(day=as_date(d), kind=PartnerTransactionKind(k), partner_amount=a, points=p)
                for d, k, a, p in rows]


@strawberry.type
class PartnerMutations:
    @strawberry.mutation(description="Staff: create a partner account; returns its client id and secret. Invalid "
                                     "fields: BAD_USER_INPUT.")
    async def create_partner(self, info: Info, input: Annotated[CreatePartnerInput, strawberry.argument(
            description="The brand, its exchange rate, caps and operations.")]) -> PartnerCredentials:
        ctx = info.context
        partner = DomainPartner(0, input.name, "", [], input.partner_units, input.program_points,
                                input.daily_earn_cap, input.daily_burn_cap, list(input.operations))
        creds = await services.create_partner(ctx.uow(), ctx.viewer, partner, ctx.container.now())
        return PartnerCredentials(partner=Partner.from_domain(creds.partner), client_secret=creds.client_secret)

    @strawberry.mutation(description="Staff: issue a new secret; the previous one keeps working until the next. "
                                     "Unknown partner: NOT_FOUND.")
    async def rotate_partner_secret(self, info: Info, partner_id: Annotated[strawberry.ID, strawberry.argument(
            description="Id of the partner.")]) -> PartnerCredentials:
        ctx = info.context
        creds = await services.rotate_secret(ctx.uow(), ctx.viewer, parse_id(partner_id, "partnerId"),
                                             ctx.container.now())
        return PartnerCredentials(partner=Partner.from_domain(creds.partner), client_secret=creds.client_secret)

    @strawberry.mutation(description="Staff (HQ, partner managers): deactivate a partner (audited): its tokens are "
                                     "refused at once, no new one is issued. Unknown partner: NOT_FOUND.")
    async def deactivate_partner(self, info: Info, partner_id: Annotated[strawberry.ID, strawberry.argument(
            description="Id of the partner.")]) -> Partner:
        ctx = info.context
        return Partner.from_domain(await services.deactivate_partner(
            ctx.uow(), ctx.viewer, parse_id(partner_id, "partnerId"), ctx.container.now()))

    @strawberry.mutation(description="Staff (HQ, partner managers): revoke every secret of a partner (audited), and "
                                     "refuse the tokens issued before; `rotatePartnerSecret` issues a new secret.")
    async def revoke_partner_secrets(self, info: Info, partner_id: Annotated[strawberry.ID, strawberry.argument(
            description="Id of the partner.")]) -> Partner:
        ctx = info.context
        return Partner.from_domain(await services.revoke_partner_secrets(
            ctx.uow(), ctx.viewer, parse_id(partner_id, "partnerId"), ctx.container.now()))

    @strawberry.mutation(description="Partner systems: exchange client credentials for a short-lived token (no "
                                     "sign-in needed). Wrong credentials or an inactive partner: UNAUTHENTICATED.")
    async def partner_token(
        self, info: Info,
        client_id: Annotated[str, strawberry.argument(description="The partner's `clientId`.")],
        client_secret: Annotated[str, strawberry.argument(description="The current or previous client secret.")],
    ) -> PartnerToken:
        c = info.context.container
        session = await services.partner_token(c.uow(), c.tokens, client_id, client_secret, c.now())
        return PartnerToken(access_token=session.access_token, expires_at=session.access_expires_at)

    @strawberry.mutation(description="Member: link a partner brand (explicit consent; phone only if shared). "
                                     "Linking again updates the phone choice. Unknown or inactive partner: "
                                     "NOT_FOUND.")
    async def link_partner(
        self, info: Info,
        partner_id: Annotated[strawberry.ID, strawberry.argument(description="Id of the partner.")],
        share_phone: Annotated[bool, strawberry.argument(
            description="Let the partner see the member's phone number.")] = False,
    ) -> PartnerLinkPayload:
        ctx = info.context
        link = await services.link_partner(ctx.uow(), ctx.viewer, parse_id(partner_id, "partnerId"), share_phone,
                                           ctx.container.now())
        return PartnerLinkPayload(partner_id=strawberry.ID(str(link.partner_id)), member_ref=link.member_ref,
                                  share_phone=link.share_phone)

    @strawberry.mutation(description="Member: unlink a partner brand; it can no longer see, credit or charge the "
                                     "member. Returns true; not linked: NOT_FOUND.")
    async def unlink_partner(self, info: Info, partner_id: Annotated[strawberry.ID, strawberry.argument(
            description="Id of the partner.")]) -> bool:
        ctx = info.context
        await services.unlink_partner(ctx.uow(), ctx.viewer, parse_id(partner_id, "partnerId"), ctx.container.now())
        return True

    @strawberry.mutation(description="Member: approve paying up to maxPoints at a partner (single-use, 5 minutes). "
                                     "Returns an 8-character code to give the partner. Not linked: NOT_FOUND.")
    async def authorize_partner_burn(
        self, info: Info,
        partner_id: Annotated[strawberry.ID, strawberry.argument(description="Id of a linked partner.")],
        max_points: Annotated[int, strawberry.argument(description="Most whole points the partner may take, 1 to "
                                                                   "10,000,000.")],
    ) -> str:
        ctx = info.context
        return await services.authorize_burn(ctx.uow(), ctx.viewer, parse_id(partner_id, "partnerId"), max_points,
                                             ctx.container.now())

    @strawberry.mutation(description="Partner: the member earns program points; idempotent on transactionId. Errors: "
                                     "NOT_FOUND (member not linked), FORBIDDEN (EARN not allowed), LIMIT_EXCEEDED "
                                     "(daily cap), IDEMPOTENCY_CONFLICT, BAD_USER_INPUT, RATE_LIMITED.")
    async def partner_earn(
        self, info: Info,
        member_ref: Annotated[str, strawberry.argument(description="The member's reference at this partner.")],
        transaction_id: Annotated[str, strawberry.argument(
            description="The partner's unique id, 1 to 64 letters, digits or . _ : -; a retry with the same id and "
                        "values returns the first result.")],
        partner_amount: Annotated[int, strawberry.argument(
            description="Amount in the partner's units, 1 to 100,000,000; converted at the exchange rate, "
                        "rounded down (under one point: BAD_USER_INPUT).")],
    ) -> PartnerTransaction:
        ctx = info.context
        return PartnerTransaction.from_domain(await services.partner_earn(
            services.PartnerEarn(member_ref, transaction_id, partner_amount), ctx.deps()))

    @strawberry.mutation(description="Partner: the member pays with points, with their authorization code; "
                                     "idempotent on transactionId. Errors: FORBIDDEN (code wrong, used, expired or "
                                     "too small; BURN not allowed), INSUFFICIENT_POINTS, LIMIT_EXCEEDED (daily cap), "
                                     "NOT_FOUND, IDEMPOTENCY_CONFLICT, BAD_USER_INPUT, RATE_LIMITED.")
    async def partner_burn(
        self, info: Info,
        member_ref: Annotated[str, strawberry.argument(description="The member's reference at this partner.")],
        transaction_id: Annotated[str, strawberry.argument(
            description="The partner's unique id, 1 to 64 letters, digits or . _ : -.")],
        points: Annotated[int, strawberry.argument(description="Whole program points to take, 1 to 10,000,000 "
                                                               "(at most the authorized amount).")],
        authorization_code: Annotated[str, strawberry.argument(
            description="The code from the member's `authorizePartnerBurn`.")],
    ) -> PartnerTransaction:
        ctx = info.context
        return PartnerTransaction.from_domain(await services.partner_burn(
            services.PartnerBurn(member_ref, transaction_id, points, authorization_code), ctx.deps()))

    @strawberry.mutation(description="Partner: undo an earlier earn (points taken back, as far as left) or burn "
                                     "(points given back), once; a repeat returns it unchanged. Unknown id: "
                                     "NOT_FOUND; REVERSE not allowed: FORBIDDEN.")
    async def partner_reverse(self, info: Info, transaction_id: Annotated[str, strawberry.argument(
            description="The `transactionId` of the earn or burn.")]) -> PartnerTransaction:
        ctx = info.context
        return PartnerTransaction.from_domain(await services.partner_reverse(
            ctx.uow(), ctx.container.cache, ctx.viewer, transaction_id, ctx.container.now()))
