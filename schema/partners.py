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


@strawberry.type
class Partner:
    id: strawberry.ID
    name: str
    client_id: str
    partner_units: int
    program_points: int
    daily_earn_cap: int
    daily_burn_cap: int
    operations: list[str]
    active: bool

    @classmethod
    def from_domain(cls, p: DomainPartner) -> Partner:
        return cls(id=strawberry.ID(str(p.id)), name=p.name, client_id=p.client_id, partner_units=p.partner_units,
                   program_points=p.program_points, daily_earn_cap=p.daily_earn_cap, daily_burn_cap=p.daily_burn_cap,
                   operations=list(p.operations), active=p.active)


@strawberry.type
class PartnerCredentials:
    partner: Partner
    client_secret: str = strawberry.field(description="Shown once; store it in the partner's secret manager.")


@strawberry.type
class PartnerTransaction:
    transaction_id: str
    kind: PartnerTransactionKind
    points: int
    partner_amount: int
    reversed: bool
    created_at: datetime

    @classmethod
    def from_domain(cls, t: DomainTxn) -> PartnerTransaction:
        return cls(transaction_id=t.txn_id, kind=PartnerTransactionKind(t.kind), points=t.points,
                   partner_amount=t.partner_amount,
                   reversed=t.reversed, created_at=t.created_at)


@strawberry.type
class PartnerLinkPayload:
    partner_id: strawberry.ID
    member_ref: str
    share_phone: bool


@strawberry.type
class LinkedMember:
    member_ref: str
    display_name: str | None
    tier_rank: int
    phone: str | None = strawberry.field(description="Only when the member agreed to share it.")


def as_date(day: object) -> date:
    """Statement rows carry the day as a date (PostgreSQL) or as ISO text (SQLite)."""
    return day if isinstance(day, date) else date.fromisoformat(str(day)[:10])


@strawberry.type
class StatementLine:
    day: date
    kind: PartnerTransactionKind
    partner_amount: int
    points: int


@strawberry.type
class PartnerToken:
    access_token: str
    expires_at: datetime


@strawberry.input
class CreatePartnerInput:
    name: str
    partner_units: int
    program_points: int
    daily_earn_cap: int
    daily_burn_cap: int
    operations: list[str] = strawberry.field(default_factory=lambda: list(OPERATIONS))


@strawberry.type
class PartnerQueries:
    @strawberry.field(description="Partner: a member linked to this partner, by the reference it was given.")
    async def partner_member(self, info: Info, member_ref: str) -> LinkedMember:
        m = await services.linked_member(info.context.uow(), info.context.viewer, member_ref)
        return LinkedMember(member_ref=m.member_ref, display_name=m.display_name, tier_rank=m.tier_rank, phone=m.phone)

    @strawberry.field(description="Staff or that partner: per-day sums for settlement, from the ledger.")
    async def partner_statement(
        self, info: Info, partner_id: strawberry.ID,
        from_: Annotated[datetime, strawberry.argument(name="from")], to: datetime,
    ) -> list[StatementLine]:
        rows = await services.statement(info.context.uow(), info.context.viewer, parse_id(partner_id, "partnerId"),
                                        from_, to)
        return [StatementLine(day=as_date(d), kind=PartnerTransactionKind(k), partner_amount=a, points=p)
                for d, k, a, p in rows]


@strawberry.type
class PartnerMutations:
    @strawberry.mutation(description="Staff: create a partner account; returns its client id and secret.")
    async def create_partner(self, info: Info, input: CreatePartnerInput) -> PartnerCredentials:
        ctx = info.context
        partner = DomainPartner(0, input.name, "", [], input.partner_units, input.program_points,
                                input.daily_earn_cap, input.daily_burn_cap, list(input.operations))
        creds = await services.create_partner(ctx.uow(), ctx.viewer, partner, ctx.container.now())
        return PartnerCredentials(partner=Partner.from_domain(creds.partner), client_secret=creds.client_secret)

    @strawberry.mutation(description="Staff: issue a new secret; the previous one keeps working until the next.")
    async def rotate_partner_secret(self, info: Info, partner_id: strawberry.ID) -> PartnerCredentials:
        ctx = info.context
        creds = await services.rotate_secret(ctx.uow(), ctx.viewer, parse_id(partner_id, "partnerId"),
                                             ctx.container.now())
        return PartnerCredentials(partner=Partner.from_domain(creds.partner), client_secret=creds.client_secret)

    @strawberry.mutation(description="Partner systems: exchange client credentials for a short-lived token.")
    async def partner_token(self, info: Info, client_id: str, client_secret: str) -> PartnerToken:
        c = info.context.container
        session = await services.partner_token(c.uow(), c.tokens, client_id, client_secret, c.now())
        return PartnerToken(access_token=session.access_token, expires_at=session.access_expires_at)

    @strawberry.mutation(description="Member: link a partner brand (explicit consent; phone only if shared).")
    async def link_partner(
        self, info: Info, partner_id: strawberry.ID, share_phone: bool = False
    ) -> PartnerLinkPayload:
        ctx = info.context
        link = await services.link_partner(ctx.uow(), ctx.viewer, parse_id(partner_id, "partnerId"), share_phone,
                                           ctx.container.now())
        return PartnerLinkPayload(partner_id=strawberry.ID(str(link.partner_id)), member_ref=link.member_ref,
                                  share_phone=link.share_phone)

    @strawberry.mutation
    async def unlink_partner(self, info: Info, partner_id: strawberry.ID) -> bool:
        ctx = info.context
        await services.unlink_partner(ctx.uow(), ctx.viewer, parse_id(partner_id, "partnerId"), ctx.container.now())
        return True

    @strawberry.mutation(description="Member: approve paying up to maxPoints at a partner (single-use, 5 minutes).")
    async def authorize_partner_burn(self, info: Info, partner_id: strawberry.ID, max_points: int) -> str:
        ctx = info.context
        return await services.authorize_burn(ctx.uow(), ctx.viewer, parse_id(partner_id, "partnerId"), max_points,
                                             ctx.container.now())

    @strawberry.mutation(description="Partner: the member earns program points; idempotent on transactionId.")
    async def partner_earn(self, info: Info, member_ref: str, transaction_id: str,
                           partner_amount: int) -> PartnerTransaction:
        ctx = info.context
        return PartnerTransaction.from_domain(await services.partner_earn(
            ctx.uow(), ctx.container.cache, ctx.viewer, member_ref, transaction_id, partner_amount,
            ctx.container.now(), ctx.container.day_bounds()))

    @strawberry.mutation(description="Partner: the member pays with points, with their authorization code.")
    async def partner_burn(self, info: Info, member_ref: str, transaction_id: str, points: int,
                           authorization_code: str) -> PartnerTransaction:
        ctx = info.context
        return PartnerTransaction.from_domain(await services.partner_burn(
            ctx.uow(), ctx.container.cache, ctx.viewer, member_ref, transaction_id, points, authorization_code,
            ctx.container.now(), ctx.container.day_bounds()))

    @strawberry.mutation(description="Partner: undo an earlier earn or burn, once.")
    async def partner_reverse(self, info: Info, transaction_id: str) -> PartnerTransaction:
        ctx = info.context
        return PartnerTransaction.from_domain(await services.partner_reverse(
            ctx.uow(), ctx.container.cache, ctx.viewer, transaction_id, ctx.container.now()))
