"""Staff management (HQ admins): accounts, roles, assigned stores, deactivation."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from domain import cursors
from domain.auth import staff_admin
from domain.ports import StaffAccount as DomainStaffAccount
from schema.connections import PageInfo
from schema.enums import StaffRole
from schema.info import Info
from schema.refs import global_id, parse_id


@strawberry.type(description="An operator account (console, store desk).")
class StaffAccount:
    id: strawberry.ID = strawberry.field(description="Global id of the account.")
    username: str = strawberry.field(description="Sign-in name.")
    display_name: str = strawberry.field(description="Name shown to colleagues and in the audit log.")
    role: StaffRole = strawberry.field(description="What the account may do.")
    store_ids: list[str] = strawberry.field(description="Assigned stores (they bound a STORE_CLERK).")
    active: bool = strawberry.field(description="False once deactivated: its tokens are refused.")
    created_at: datetime | None = strawberry.field(description="When the account was made (UTC).")

    @classmethod
    def from_domain(cls, a: DomainStaffAccount) -> StaffAccount:
        return cls(id=global_id("StaffAccount", a.id), username=a.username, display_name=a.display_name,
                   role=a.role, store_ids=list(a.store_ids), active=a.active, created_at=a.created_at)


@strawberry.type(description="One staff account in a page.")
class StaffAccountEdge:
    cursor: str = strawberry.field(description="Opaque cursor of this account: pass as `after`.")
    node: StaffAccount = strawberry.field(description="The account.")


@strawberry.type(description="A page of staff accounts, oldest first.")
class StaffAccountConnection:
    edges: list[StaffAccountEdge] = strawberry.field(description="The accounts of this page.")
    page_info: PageInfo = strawberry.field(description="The cursor to continue from and whether more pages exist.")

    @strawberry.field(description="The nodes of `edges`, for clients that do not need per-item cursors.")
    def nodes(self) -> list[StaffAccount]:
        return [e.node for e in self.edges]


@strawberry.type(description="The result of a staff-management mutation.")
class StaffAccountPayload:
    staff: StaffAccount = strawberry.field(description="The account as it is now.")


@strawberry.input(description="A new staff account.")
class CreateStaffInput:
    username: str = strawberry.field(description="3-40 lowercase letters, digits, '.', '_' or '-'.")
    display_name: str = strawberry.field(description="Name shown to colleagues.")
    password: str = strawberry.field(description="At least 12 characters; hand it over out of band.")
    role: StaffRole = strawberry.field(description="What the account may do.")
    store_ids: list[str] = strawberry.field(default_factory=list,
                                            description="Assigned stores; a STORE_CLERK needs at least one.")


StaffId = Annotated[strawberry.ID, strawberry.argument(description="Global id of the staff account.")]


def _payload(account: DomainStaffAccount) -> StaffAccountPayload:
    return StaffAccountPayload(staff=StaffAccount.from_domain(account))


@strawberry.type
class StaffQueries:
    @strawberry.field(description="HQ admins: the staff accounts, oldest first; page with `first`/`after`.")
    async def staff_accounts(
        self, info: Info,
        first: Annotated[int, strawberry.argument(description="Page size, 1-100.")] = 50,
        after: Annotated[str | None, strawberry.argument(description="`endCursor` of the previous page.")] = None,
    ) -> StaffAccountConnection:
        after_id = cursors.decode_int(after)[1] if after else None
        page = await staff_admin.list_staff(first, after_id, info.context.deps())
        edges = [StaffAccountEdge(cursor=cursors.encode(a.id, a.id), node=StaffAccount.from_domain(a))
                 for a in page.accounts]
        return StaffAccountConnection(edges=edges, page_info=PageInfo(
            has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None))


@strawberry.type
class StaffMutations:
    @strawberry.mutation(description="HQ admins: create a staff account (audited). Username taken: CONFLICT.")
    async def create_staff(self, info: Info, input: Annotated[CreateStaffInput, strawberry.argument(
            description="The account to create.")]) -> StaffAccountPayload:
        cmd = staff_admin.NewStaff(input.username, input.display_name, input.password, input.role,
                                   tuple(input.store_ids))
        return _payload(await staff_admin.add_staff(cmd, info.context.deps()))

    @strawberry.mutation(description="HQ admins: deactivate an account (audited). Its tokens are refused at "
                                     "once, its sessions end and its open websockets close.")
    async def deactivate_staff(self, info: Info, staff_id: StaffId) -> StaffAccountPayload:
        return _payload(await staff_admin.deactivate_staff(parse_id(staff_id, "staffId", "StaffAccount"),
                                                           info.context.deps()))

    @strawberry.mutation(description="HQ admins: set a new password (audited); every session of the account ends.")
    async def reset_staff_password(
        self, info: Info, staff_id: StaffId,
        password: Annotated[str, strawberry.argument(description="At least 12 characters.")],
    ) -> StaffAccountPayload:
        return _payload(await staff_admin.reset_staff_password(
            parse_id(staff_id, "staffId", "StaffAccount"), password, info.context.deps()))

    @strawberry.mutation(description="HQ admins: replace the account's assigned stores (audited); applies to its "
                                     "next request.")
    async def assign_staff_stores(
        self, info: Info, staff_id: StaffId,
        store_ids: Annotated[list[str], strawberry.argument(description="The stores, up to 200.")],
    ) -> StaffAccountPayload:
        return _payload(await staff_admin.assign_staff_stores(
            parse_id(staff_id, "staffId", "StaffAccount"), store_ids, info.context.deps()))

    @strawberry.mutation(description="HQ admins: change the account's role (audited); applies to its next request.")
    async def change_staff_role(
        self, info: Info, staff_id: StaffId,
        role: Annotated[StaffRole, strawberry.argument(description="The new role.")],
        store_ids: Annotated[list[str] | None, strawberry.argument(
            description="The stores to assign with it (null: keep the current ones).")] = None,
    ) -> StaffAccountPayload:
        return _payload(await staff_admin.change_staff_role(
            parse_id(staff_id, "staffId", "StaffAccount"), role, store_ids, info.context.deps()))
