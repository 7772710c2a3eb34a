"""The member service log: complaints and after-sales cases (staff)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from domain.service import services
from domain.service.model import CaseFilter, CaseKind, CaseStatus
from domain.service.model import CaseNote as DomainNote
from domain.service.model import ServiceCase as DomainCase
from schema.connections import PageInfo
from schema.enums import register_enum
from schema.info import Info
from schema.refs import global_id, parse_id

register_enum(CaseKind, "ServiceCaseKind", "What a service case is about.", {
    "COMPLAINT": "The member complains about a product, a store or the program.",
    "AFTER_SALES": "After-sales service: repair, exchange, alteration, delivery.",
})
ServiceCaseKind = CaseKind
register_enum(CaseStatus, "ServiceCaseStatus", "Where a service case stands.", {
    "OPEN": "Raised, nobody working on it yet.",
    "IN_PROGRESS": "Its owner is working on it.",
    "RESOLVED": "Done as far as staff can tell; may still go back to IN_PROGRESS.",
    "CLOSED": "Final: no more changes (a recurring problem is a new case).",
})
ServiceCaseStatus = CaseStatus


@strawberry.type(description="A note on a service case, by staff; `status` when the case moved with it.")
class ServiceCaseNote:
    author_id: strawberry.ID = strawberry.field(description="Global id of the staff account that wrote it.")
    body: str = strawberry.field(description="The note (may be empty when only the status moved).")
    status: ServiceCaseStatus | None = strawberry.field(description="The status the case moved to, if it moved.")
    created_at: datetime = strawberry.field(description="When it was written (UTC).")

    @classmethod
    def from_domain(cls, n: DomainNote) -> ServiceCaseNote:
        return cls(author_id=global_id("StaffAccount", n.author_id), body=n.body, status=n.status,
                   created_at=n.created_at)


@strawberry.type(description="A complaint or after-sales case of one member.")
class ServiceCase:
    id: strawberry.ID = strawberry.field(description="Global id of the case.")
    member_id: strawberry.ID = strawberry.field(description="The member's id.")
    kind: ServiceCaseKind = strawberry.field(description="Complaint or after-sales.")
    subject: str = strawberry.field(description="One line saying what it is about.")
    status: ServiceCaseStatus = strawberry.field(description="Where it stands.")
    owner_id: strawberry.ID | None = strawberry.field(description="Global id of the staff account working on it.")
    store_id: str | None = strawberry.field(description="The store it was raised at, if any.")
    opened_by: strawberry.ID = strawberry.field(description="Global id of the staff account that opened it.")
    created_at: datetime = strawberry.field(description="When it was opened (UTC).")
    updated_at: datetime = strawberry.field(description="Its last change (UTC).")
    case_id: strawberry.Private[int]

    @strawberry.field(description="Its notes, oldest first (at most 200).")
    async def notes(self, info: Info) -> list[ServiceCaseNote]:
        return [ServiceCaseNote.from_domain(n) for n in await services.case_notes(self.case_id, info.context.deps())]

    @classmethod
    def from_domain(cls, c: DomainCase) -> ServiceCase:
        return cls(id=global_id("ServiceCase", c.id), member_id=strawberry.ID(str(c.member_id)), kind=c.kind,
                   subject=c.subject, status=c.status,
                   owner_id=global_id("StaffAccount", c.owner_id) if c.owner_id else None, store_id=c.store_id,
                   opened_by=global_id("StaffAccount", c.opened_by), created_at=c.created_at,
                   updated_at=c.updated_at, case_id=c.id)


@strawberry.type(description="One case in a page.")
class ServiceCaseEdge:
    cursor: str = strawberry.field(description="Opaque cursor of this case: pass as `after`.")
    node: ServiceCase = strawberry.field(description="The case.")


@strawberry.type(description="A page of service cases, newest first.")
class ServiceCaseConnection:
    edges: list[ServiceCaseEdge] = strawberry.field(description="The cases of this page, newest first.")
    page_info: PageInfo = strawberry.field(description="The cursor to continue from and whether more pages exist.")
    total_count: int = strawberry.field(description="How many cases match in all.")

    @strawberry.field(description="The nodes of `edges`, for clients that do not need per-item cursors.")
    def nodes(self) -> list[ServiceCase]:
        return [e.node for e in self.edges]


@strawberry.type(description="The result of `openServiceCase` and `updateServiceCase`.")
class ServiceCasePayload:
    case: ServiceCase = strawberry.field(description="The case as it is now.")


@strawberry.input(description="A new service case.")
class OpenServiceCaseInput:
    member_id: strawberry.ID = strawberry.field(description="The member it concerns.")
    kind: ServiceCaseKind = strawberry.field(description="Complaint or after-sales.")
    subject: str = strawberry.field(description="1-120 characters.")
    note: str = strawberry.field(default="", description="The first note: what the member said (up to 2000).")
    store_id: str | None = strawberry.field(default=None, description="The store it is raised at; required for "
                                                                       "clerks (one of theirs).")
    owner_id: strawberry.ID | None = strawberry.field(default=None, description="Staff account to own it; null: "
                                                                                 "the caller.")


@strawberry.input(description="A change to a service case: any of a status, an owner and a note.")
class UpdateServiceCaseInput:
    case_id: strawberry.ID = strawberry.field(description="Global id of the case.")
    status: ServiceCaseStatus | None = strawberry.field(default=None, description="The new status.")
    owner_id: strawberry.ID | None = strawberry.field(default=None, description="Hand it to this staff account.")
    note: str = strawberry.field(default="", description="What was done or said (up to 2000 characters).")


def _connection(page: services.CasePage) -> ServiceCaseConnection:
    edges = [ServiceCaseEdge(cursor=services.encode_cursor(c), node=ServiceCase.from_domain(c)) for c in page.cases]
    return ServiceCaseConnection(edges=edges, total_count=page.total, page_info=PageInfo(
        has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None))


First = Annotated[int, strawberry.argument(description="Page size, 1-100.")]
After = Annotated[str | None, strawberry.argument(description="`endCursor` of the previous page.")]
StatusFilter = Annotated[ServiceCaseStatus | None, strawberry.argument(description="Only cases in this status.")]


@strawberry.type
class ServiceCaseQueries:
    @strawberry.field(description="Staff: one member's service cases, newest first (clerks: their stores' only).")
    async def member_service_cases(
        self, info: Info, member_id: Annotated[strawberry.ID, strawberry.argument(description="The member.")],
        status: StatusFilter = None, first: First = 20, after: After = None,
    ) -> ServiceCaseConnection:
        where = CaseFilter(member_id=parse_id(member_id, "memberId"), status=status)
        return _connection(await services.list_cases(where, first, after, info.context.deps()))

    @strawberry.field(description="Staff: the cases an owner works on, newest first; null owner: the caller's.")
    async def owned_service_cases(
        self, info: Info,
        owner_id: Annotated[strawberry.ID | None, strawberry.argument(
            description="Global id of the staff account; null: the caller.")] = None,
        status: StatusFilter = None, first: First = 20, after: After = None,
    ) -> ServiceCaseConnection:
        ctx = info.context
        owner = parse_id(owner_id, "ownerId", "StaffAccount") if owner_id else ctx.viewer.subject_id
        where = CaseFilter(owner_id=owner, status=status)
        return _connection(await services.list_cases(where, first, after, ctx.deps()))

    @strawberry.field(description="Staff: one service case with its notes. Unknown (or another store's, for a "
                                  "clerk): NOT_FOUND.")
    async def service_case(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="Global id of the case.")],
    ) -> ServiceCase:
        case = await services.case_for(parse_id(id, "id", "ServiceCase"), info.context.deps())
        return ServiceCase.from_domain(case)


@strawberry.type
class ServiceCaseMutations:
    @strawberry.mutation(description="Staff: open a complaint or after-sales case for a member (audited). Unknown "
                                     "member: NOT_FOUND; another store (clerks): FORBIDDEN.")
    async def open_service_case(self, info: Info, input: Annotated[OpenServiceCaseInput, strawberry.argument(
            description="The case.")]) -> ServiceCasePayload:
        cmd = services.OpenCase(
            parse_id(input.member_id, "memberId"), input.kind, input.subject, input.note, input.store_id,
            parse_id(input.owner_id, "ownerId", "StaffAccount") if input.owner_id else None)
        return ServiceCasePayload(case=ServiceCase.from_domain(await services.open_case(cmd, info.context.deps())))

    @strawberry.mutation(description="Staff: move a case's status, hand it to another owner and/or add a note "
                                     "(audited). CLOSED cases: CONFLICT.")
    async def update_service_case(self, info: Info, input: Annotated[UpdateServiceCaseInput, strawberry.argument(
            description="The change.")]) -> ServiceCasePayload:
        cmd = services.UpdateCase(
            parse_id(input.case_id, "caseId", "ServiceCase"), input.status,
            parse_id(input.owner_id, "ownerId", "StaffAccount") if input.owner_id else None, input.note)
        return ServiceCasePayload(case=ServiceCase.from_domain(await services.update_case(cmd, info.context.deps())))
