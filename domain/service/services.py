"""Use cases of the member service log. Staff only (the access table names the roles); a clerk
opens and works cases only at their assigned stores and sees only those."""

from __future__ import annotations

from dataclasses import dataclass, replace

from domain import cursors
from domain.auth.sources import STORE_ID
from domain.auth.viewer import Role, Viewer
from domain.deps import Deps
from domain.errors import BadUserInput, Conflict, FieldError, NotFound
from domain.service.model import CaseFilter, CaseKind, CaseNote, CaseStatus, ServiceCase

MAX_SUBJECT = 120
MAX_NOTE = 2000
MAX_PAGE = 100
MAX_NOTES = 200


@dataclass(frozen=True)
class OpenCase:
    member_id: int
    kind: CaseKind
    subject: str
    note: str = ""
    store_id: str | None = None
    owner_id: int | None = None  # None: the staff member opening it


@dataclass(frozen=True)
class UpdateCase:
    case_id: int
    status: CaseStatus | None = None
    owner_id: int | None = None
    note: str = ""


def _check_text(subject: str | None, note: str) -> list[FieldError]:
    errors = []
    if subject is not None and not 1 <= len(subject.strip()) <= MAX_SUBJECT:
        errors.append(FieldError("subject", f"Use 1-{MAX_SUBJECT} characters."))
    if len(note) > MAX_NOTE:
        errors.append(FieldError("note", f"Use at most {MAX_NOTE} characters."))
    return errors


def _visible(viewer: Viewer, case: ServiceCase) -> bool:
    return viewer.store_ids is None or (case.store_id is not None and case.store_id in viewer.store_ids)


async def _owner_exists(deps: Deps, owner_id: int) -> None:
    owner = await deps.uow.staff.get(owner_id)
    if owner is None or not owner.active:
        raise BadUserInput.for_field("ownerId", "No active staff account has that id.")


async def open_case(cmd: OpenCase, deps: Deps) -> ServiceCase:
    staff_id, uow, now = deps.viewer.require_staff(), deps.uow, deps.clock.now()
    errors = _check_text(cmd.subject, cmd.note)
    if cmd.store_id is not None and not STORE_ID.fullmatch(cmd.store_id):
        errors.append(FieldError("storeId", "Use 1-64 letters, digits or . _ : -"))
    if cmd.store_id is None and deps.viewer.store_ids is not None:
        errors.append(FieldError("storeId", "Name the store the case is raised at."))
    if errors:
        raise BadUserInput("The case is invalid.", errors)
    if cmd.store_id is not None:
        deps.viewer.require_store(cmd.store_id)
    owner = cmd.owner_id or staff_id
    async with uow:
        member = await uow.members.get(cmd.member_id)
        if member is None or member.is_erased:
            raise NotFound("No such member.")
        await _owner_exists(deps, owner)
        case = await uow.service_cases.add(ServiceCase(
            0, cmd.member_id, cmd.kind, cmd.subject.strip(), CaseStatus.OPEN, owner, cmd.store_id, staff_id, now, now))
        await uow.service_cases.add_note(case.id, staff_id, cmd.note.strip(), CaseStatus.OPEN, now)
        await uow.audit.record(Role.STAFF, staff_id, "service-case.opened", f"member:{cmd.member_id}",
                               {"case": case.id, "kind": cmd.kind.value, "owner": owner}, now)
        await uow.commit()
    return case


async def update_case(cmd: UpdateCase, deps: Deps) -> ServiceCase:
    """Move the status, hand the case to another owner and/or add a note; CLOSED is final."""
    staff_id, uow, now = deps.viewer.require_staff(), deps.uow, deps.clock.now()
    errors = _check_text(None, cmd.note)
    if cmd.status is None and cmd.owner_id is None and not cmd.note.strip():
        errors.append(FieldError("note", "Add a note, a status or an owner."))
    if errors:
        raise BadUserInput("The update is invalid.", errors)
    async with uow:
        case = await uow.service_cases.get(cmd.case_id, for_update=True)
        if case is None or not _visible(deps.viewer, case):
            raise NotFound("No such service case.")
        if case.status is CaseStatus.CLOSED:
            raise Conflict("This case is closed; open a new one.")
        if cmd.owner_id is not None:
            await _owner_exists(deps, cmd.owner_id)
        moved = cmd.status if cmd.status is not None and cmd.status is not case.status else None
        updated = await uow.service_cases.update(replace(
            case, status=moved or case.status, owner_id=cmd.owner_id or case.owner_id, updated_at=now))
        await uow.service_cases.add_note(case.id, staff_id, cmd.note.strip(), moved, now)
        await uow.audit.record(Role.STAFF, staff_id, "service-case.updated", f"member:{case.member_id}",
                               {"case": case.id, "status": updated.status.value, "owner": updated.owner_id}, now)
        await uow.commit()
    return updated


async def case_for(case_id: int, deps: Deps) -> ServiceCase:
    deps.viewer.require_staff()
    async with deps.uow.read_only():
        case = await deps.uow.service_cases.get(case_id)
    if case is None or not _visible(deps.viewer, case):
        raise NotFound("No such service case.")
    return case


async def case_notes(case_id: int, deps: Deps) -> list[CaseNote]:
    await case_for(case_id, deps)
    async with deps.uow.read_only():
        return await deps.uow.service_cases.notes(case_id, MAX_NOTES)


@dataclass(frozen=True)
class CasePage:
    cases: list[ServiceCase]
    has_next: bool
    total: int


async def list_cases(where: CaseFilter, first: int, after: str | None, deps: Deps) -> CasePage:
    """A member's cases, or an owner's (None: the caller's own), newest first."""
    deps.viewer.require_staff()
    if not 1 <= first <= MAX_PAGE:
        raise BadUserInput.for_field("first", f"Ask for 1 to {MAX_PAGE} cases.")
    before = cursors.decode_time(after) if after else None
    scoped = replace(where, stores=deps.viewer.store_ids)
    async with deps.uow.read_only():
        rows = await deps.uow.service_cases.page(scoped, first + 1, before)
        total = await deps.uow.service_cases.count(scoped)
    return CasePage(rows[:first], len(rows) > first, total)


def encode_cursor(case: ServiceCase) -> str:
    return cursors.encode(case.created_at, case.id)
