"""Member privacy: consents, data export, erasure and the staff-access audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, cast

import strawberry
from strawberry.scalars import JSON

from domain import cursors
from domain.privacy import consents, erasure, export, staff_access
from domain.privacy.consents import ConsentState as DomainState
from domain.privacy.model import AuditEntry as DomainAuditEntry
from domain.privacy.model import ConsentRecord as DomainRecord
from domain.privacy.model import DataExport as DomainExport
from schema.connections import PageInfo
from schema.enums import ConsentKind
from schema.info import Info
from schema.refs import parse_id


@strawberry.type(description="A member's current answer for one kind of consent.")
class Consent:
    kind: ConsentKind = strawberry.field(description="What the consent is about.")
    granted: bool = strawberry.field(description="True while the member agrees; false when withdrawn or never given.")
    at: datetime | None = strawberry.field(description="When the answer was given (UTC); null if never answered.")
    source: str | None = strawberry.field(description="Where the answer was given (APP, profile, partner:<id>...).")

    @classmethod
    def from_domain(cls, s: DomainState) -> Consent:
        return cls(kind=s.kind, granted=s.granted, at=s.at, source=s.source)


@strawberry.type(description="One consent answer as recorded; the history keeps every answer.")
class ConsentRecord:
    id: strawberry.ID = strawberry.field(description="The record's id.")
    kind: ConsentKind = strawberry.field(description="What the consent is about.")
    granted: bool = strawberry.field(description="True for agreeing, false for withdrawing.")
    at: datetime = strawberry.field(description="When the answer was given (UTC).")
    source: str = strawberry.field(description="Where the answer was given (APP, profile, partner:<id>...).")

    @classmethod
    def from_domain(cls, r: DomainRecord) -> ConsentRecord:
        return cls(id=strawberry.ID(str(r.id)), kind=r.kind, granted=r.granted, at=r.at, source=r.source)


async def load_consents(info: Info, member_id: int) -> list[Consent]:
    ctx = info.context
    return [Consent.from_domain(s) for s in await consents.consent_states(ctx.uow(), ctx.viewer, member_id)]


@strawberry.type(description="One consent answer in a page of a member's consent history.")
class ConsentRecordEdge:
    cursor: str = strawberry.field(description="Opaque cursor of this answer: pass it as `after` for the next page.")
    node: ConsentRecord = strawberry.field(description="The consent answer.")


@strawberry.type(description="A page of a member's consent answers, newest first.")
class ConsentRecordConnection:
    edges: list[ConsentRecordEdge] = strawberry.field(description="The answers of this page, newest first.")
    page_info: PageInfo = strawberry.field(description="Whether more follow, and the cursor to continue from.")
    total_count: int = strawberry.field(description="The member's consent answers in all pages.")

    @strawberry.field(description="The nodes of `edges`, for clients that do not need per-item cursors.")
    def nodes(self) -> list[ConsentRecord]:
        return [e.node for e in self.edges]


async def load_consent_history(info: Info, member_id: int, first: int, after: str | None) -> ConsentRecordConnection:
    ctx = info.context
    page = await consents.consent_history(ctx.uow(), ctx.viewer, member_id, first, after)
    edges = [ConsentRecordEdge(cursor=cursors.encode(r.id, r.id), node=ConsentRecord.from_domain(r))
             for r in page.records]
    return ConsentRecordConnection(edges=edges, total_count=page.total, page_info=PageInfo(
        has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None))


@strawberry.type(description="A copy of everything the program holds about one member (data-subject access).")
class DataExport:
    member_id: strawberry.ID = strawberry.field(description="The member the export is about.")
    generated_at: datetime = strawberry.field(description="When the export was produced (UTC).")
    document: JSON = strawberry.field(description=(
        "Everything held about the member, one key per section (profile, identities, consents, pointsLedger, "
        "purchases, redemptions, coupons, checkIns, tierChanges, posts, comments, likes, groups, reports, "
        "eventSignups, partnerLinks, partnerTransactions). Each section holds at most 10,000 rows."))
    truncated_sections: list[str] = strawberry.field(description="Sections cut at 10,000 rows.")

    @classmethod
    def from_domain(cls, d: DomainExport) -> DataExport:
        return cls(member_id=strawberry.ID(str(d.member_id)), generated_at=d.generated_at,
                   document=cast(JSON, d.document), truncated_sections=list(d.truncated_sections))


@strawberry.type(description="One audited action, such as staff looking up or changing a member.")
class AuditEntry:
    id: strawberry.ID = strawberry.field(description="The entry's id.")
    actor_role: str = strawberry.field(description="Role of who acted (member, staff, partner...).")
    actor_id: strawberry.ID = strawberry.field(description="Id of who acted, within that role.")
    action: str = strawberry.field(description='What was done, e.g. "member.looked-up".')
    target: str = strawberry.field(description='What it was done to, e.g. "member:42".')
    detail: JSON = strawberry.field(description="Action-specific details (never a copy of the personal data).")
    created_at: datetime = strawberry.field(description="When it happened (UTC).")

    @classmethod
    def from_domain(cls, e: DomainAuditEntry) -> AuditEntry:
        return cls(id=strawberry.ID(str(e.id)), actor_role=e.actor_role, actor_id=strawberry.ID(str(e.actor_id)),
                   action=e.action, target=e.target, detail=cast(JSON, e.detail), created_at=e.created_at)


@strawberry.type(description="One entry in a page of a member's audit trail.")
class AuditEntryEdge:
    cursor: str = strawberry.field(description="Opaque cursor of this entry: pass it as `after` for the next page.")
    node: AuditEntry = strawberry.field(description="The audit entry.")


@strawberry.type(description=(
    "A page of a member's audit trail, newest first. No total count: trails grow without bound and counting "
    "one costs more than reading a page."))
class AuditEntryConnection:
    edges: list[AuditEntryEdge] = strawberry.field(description="The entries of this page, newest first.")
    page_info: PageInfo = strawberry.field(description="Whether more follow, and the cursor to continue from.")

    @strawberry.field(description="The nodes of `edges`, for clients that do not need per-item cursors.")
    def nodes(self) -> list[AuditEntry]:
        return [e.node for e in self.edges]


@strawberry.type
class PrivacyQueries:
    @strawberry.field(description=(
        "Member: everything the program holds about you, as one JSON document. RATE_LIMITED after a few exports "
        "an hour."))
    async def export_my_data(self, info: Info) -> DataExport:
        ctx = info.context
        return DataExport.from_domain(await export.export_my_data(ctx.uow(), ctx.container.limiter, ctx.viewer,
                                                                   ctx.container.now()))

    @strawberry.field(description="Staff: export a member's data (audited). NOT_FOUND for an unknown member.")
    async def export_member_data(
        self, info: Info,
        member_id: Annotated[strawberry.ID, strawberry.argument(description="The member to export.")],
    ) -> DataExport:
        ctx = info.context
        return DataExport.from_domain(await export.export_member_data(
            ctx.uow(), ctx.viewer, parse_id(member_id, "memberId"), ctx.container.now()))

    @strawberry.field(description="Staff: audit entries about a member or by them, newest first, as a connection.")
    async def member_audit_log(
        self, info: Info,
        member_id: Annotated[strawberry.ID, strawberry.argument(description="The member whose trail to read.")],
        first: Annotated[int, strawberry.argument(
            description="How many entries (1 to 200; else BAD_USER_INPUT).")] = 50,
        after: Annotated[str | None, strawberry.argument(
            description="Opaque cursor (`pageInfo.endCursor`): return the older entries after it.")] = None,
    ) -> AuditEntryConnection:
        ctx = info.context
        page = await staff_access.member_audit_log(ctx.uow(), ctx.viewer, parse_id(member_id, "memberId"), first,
                                                   after)
        edges = [AuditEntryEdge(cursor=cursors.encode(e.id, e.id), node=AuditEntry.from_domain(e))
                 for e in page.entries]
        return AuditEntryConnection(edges=edges, page_info=PageInfo(
            has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None))


@strawberry.input(description="A consent answer from the signed-in member.")
class SetConsentInput:
    kind: ConsentKind = strawberry.field(description="Which consent.")
    granted: bool = strawberry.field(description="True to agree, false to withdraw.")
    source: str | None = strawberry.field(default=None, description="Channel the answer came from; APP if omitted.")


@strawberry.type(description="The result of setConsent.")
class SetConsentPayload:
    consent: ConsentRecord = strawberry.field(description="The answer as recorded.")


@strawberry.input(description="A member's own erasure request.")
class RequestErasureInput:
    confirmation: str = strawberry.field(description='Must be "ERASE MY DATA".')


@strawberry.input(description="An erasure staff carry out for a member.")
class EraseMemberInput:
    member_id: strawberry.ID = strawberry.field(description="The member to erase.")
    confirmation: str = strawberry.field(description='Must be "ERASE MY DATA".')
    reason: str = strawberry.field(description="Where the request came from (required; kept in the audit log).")


@strawberry.type(description="The result of an erasure.")
class ErasurePayload:
    member_id: strawberry.ID = strawberry.field(description="The erased member.")
    erased_at: datetime = strawberry.field(description="When this request was carried out.")
    already_erased: bool = strawberry.field(description="True when an earlier request had already erased the member.")


@strawberry.type
class PrivacyMutations:
    @strawberry.mutation(description="Member: give or withdraw a consent; every answer is kept with its time.")
    async def set_consent(
        self, info: Info,
        input: Annotated[SetConsentInput, strawberry.argument(description="The consent and the answer.")],
    ) -> SetConsentPayload:
        ctx = info.context
        record = await consents.set_consent(consents.SetConsent(input.kind.value, input.granted, input.source),
                                            ctx.deps())
        return SetConsentPayload(consent=ConsentRecord.from_domain(record))

    @strawberry.mutation(description=(
        "Member: erase your personal data and close your account. Points history stays, anonymised, for the books. "
        "Signing in later with the same phone starts a new, empty membership."))
    async def request_erasure(
        self, info: Info,
        input: Annotated[RequestErasureInput, strawberry.argument(description="The typed confirmation.")],
    ) -> ErasurePayload:
        ctx = info.context
        done = await erasure.request_erasure(ctx.uow(), ctx.container.cache, ctx.viewer, input.confirmation,
                                             ctx.container.now())
        return ErasurePayload(member_id=strawberry.ID(str(done.member_id)), erased_at=done.erased_at,
                              already_erased=done.already_erased)

    @strawberry.mutation(description=(
        "Staff: carry out an erasure request received another way (audited). BAD_USER_INPUT on a wrong "
        "confirmation or missing reason; NOT_FOUND for an unknown member."))
    async def erase_member(
        self, info: Info,
        input: Annotated[EraseMemberInput, strawberry.argument(description=(
            "The member, the typed confirmation and the reason."))],
    ) -> ErasurePayload:
        ctx = info.context
        done = await erasure.erase_member(ctx.uow(), ctx.container.cache, ctx.viewer,
                                          parse_id(input.member_id, "memberId"), input.confirmation, input.reason,
                                          ctx.container.now())
        return ErasurePayload(member_id=strawberry.ID(str(done.member_id)), erased_at=done.erased_at,
                              already_erased=done.already_erased)
