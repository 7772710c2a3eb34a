"""Member privacy: consents, data export, erasure and the staff-access audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import cast

import strawberry
from strawberry.scalars import JSON

from domain.privacy import consents, erasure, export, staff_access
from domain.privacy.consents import ConsentState as DomainState
from domain.privacy.model import AuditEntry as DomainAuditEntry
from domain.privacy.model import ConsentRecord as DomainRecord
from domain.privacy.model import DataExport as DomainExport
from schema.enums import ConsentKind
from schema.info import Info
from schema.refs import parse_id


@strawberry.type
class Consent:
    kind: ConsentKind
    granted: bool
    at: datetime | None
    source: str | None = strawberry.field(description="Where the answer was given (APP, profile, partner:<id>...).")

    @classmethod
    def from_domain(cls, s: DomainState) -> Consent:
        return cls(kind=s.kind, granted=s.granted, at=s.at, source=s.source)


@strawberry.type
class ConsentRecord:
    id: strawberry.ID
    kind: ConsentKind
    granted: bool
    at: datetime
    source: str

    @classmethod
    def from_domain(cls, r: DomainRecord) -> ConsentRecord:
        return cls(id=strawberry.ID(str(r.id)), kind=r.kind, granted=r.granted, at=r.at, source=r.source)


async def load_consents(info: Info, member_id: int) -> list[Consent]:
    ctx = info.context
    return [Consent.from_domain(s) for s in await consents.consent_states(ctx.uow(), ctx.viewer, member_id)]


async def load_consent_history(info: Info, member_id: int, first: int,
                               before: strawberry.ID | None) -> list[ConsentRecord]:
    ctx = info.context
    rows = await consents.consent_history(ctx.uow(), ctx.viewer, member_id, first,
                                          parse_id(before, "before") if before else None)
    return [ConsentRecord.from_domain(r) for r in rows]


@strawberry.type
class DataExport:
    member_id: strawberry.ID
    generated_at: datetime
    document: JSON = strawberry.field(description=(
        "Everything held about the member, one key per section (profile, identities, consents, pointsLedger, "
        "purchases, redemptions, coupons, checkIns, tierChanges, posts, comments, likes, groups, reports, "
        "eventSignups, partnerLinks, partnerTransactions). Each section holds at most 10,000 rows."))
    truncated_sections: list[str] = strawberry.field(description="Sections cut at 10,000 rows.")

    @classmethod
    def from_domain(cls, d: DomainExport) -> DataExport:
        return cls(member_id=strawberry.ID(str(d.member_id)), generated_at=d.generated_at,
                   document=cast(JSON, d.document), truncated_sections=list(d.truncated_sections))


@strawberry.type
class AuditEntry:
    id: strawberry.ID
    actor_role: str
    actor_id: strawberry.ID
    action: str
    target: str
    detail: JSON
    created_at: datetime

    @classmethod
    def from_domain(cls, e: DomainAuditEntry) -> AuditEntry:
        return cls(id=strawberry.ID(str(e.id)), actor_role=e.actor_role, actor_id=strawberry.ID(str(e.actor_id)),
                   action=e.action, target=e.target, detail=cast(JSON, e.detail), created_at=e.created_at)


@strawberry.type
class PrivacyQueries:
    @strawberry.field(description="Everything the program holds about you, as one JSON document.")
    async def export_my_data(self, info: Info) -> DataExport:
        ctx = info.context
        return DataExport.from_domain(await export.export_my_data(ctx.uow(), ctx.container.limiter, ctx.viewer,
                                                                   ctx.container.now()))

    @strawberry.field(description="Staff: export a member's data (audited).")
    async def export_member_data(self, info: Info, member_id: strawberry.ID) -> DataExport:
        ctx = info.context
        return DataExport.from_domain(await export.export_member_data(
            ctx.uow(), ctx.viewer, parse_id(member_id, "memberId"), ctx.container.now()))

    @strawberry.field(description="Staff: audit entries about a member or by them, newest first.")
    async def member_audit_log(self, info: Info, member_id: strawberry.ID, first: int = 50,
                               before: strawberry.ID | None = None) -> list[AuditEntry]:
        ctx = info.context
        rows = await staff_access.member_audit_log(ctx.uow(), ctx.viewer, parse_id(member_id, "memberId"), first,
                                                   parse_id(before, "before") if before else None)
        return [AuditEntry.from_domain(e) for e in rows]


@strawberry.input
class SetConsentInput:
    kind: ConsentKind
    granted: bool
    source: str | None = strawberry.field(default=None, description="Channel the answer came from; APP if omitted.")


@strawberry.type
class SetConsentPayload:
    consent: ConsentRecord


@strawberry.input
class RequestErasureInput:
    confirmation: str = strawberry.field(description='Must be "ERASE MY DATA".')


@strawberry.input
class EraseMemberInput:
    member_id: strawberry.ID
    confirmation: str = strawberry.field(description='Must be "ERASE MY DATA".')
    reason: str


@strawberry.type
class ErasurePayload:
    member_id: strawberry.ID
    erased_at: datetime = strawberry.field(description="When this request was carried out.")
    already_erased: bool = strawberry.field(description="True when an earlier request had already erased the member.")


@strawberry.type
class PrivacyMutations:
    @strawberry.mutation(description="Give or withdraw a consent; every answer is kept with its time.")
    async def set_consent(self, info: Info, input: SetConsentInput) -> SetConsentPayload:
        ctx = info.context
        record = await consents.set_consent(consents.SetConsent(input.kind.value, input.granted, input.source),
                                            ctx.deps())
        return SetConsentPayload(consent=ConsentRecord.from_domain(record))

    @strawberry.mutation(description=(
        "Erase your personal data and close your account. Points history stays, anonymised, for the books. "
        "Signing in later with the same phone starts a new, empty membership."))
    async def request_erasure(self, info: Info, input: RequestErasureInput) -> ErasurePayload:
        ctx = info.context
        done = await erasure.request_erasure(ctx.uow(), ctx.container.cache, ctx.viewer, input.confirmation,
                                             ctx.container.now())
        return ErasurePayload(member_id=strawberry.ID(str(done.member_id)), erased_at=done.erased_at,
                              already_erased=done.already_erased)

    @strawberry.mutation(description="Staff: carry out an erasure request received another way (audited).")
    async def erase_member(self, info: Info, input: EraseMemberInput) -> ErasurePayload:
        ctx = info.context
        done = await erasure.erase_member(ctx.uow(), ctx.container.cache, ctx.viewer,
                                          parse_id(input.member_id, "memberId"), input.confirmation, input.reason,
                                          ctx.container.now())
        return ErasurePayload(member_id=strawberry.ID(str(done.member_id)), erased_at=done.erased_at,
                              already_erased=done.already_erased)
