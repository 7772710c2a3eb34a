"""Storage of the member service log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Row, delete, func, insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Select

from domain.privacy.model import Erasure
from domain.service.model import CaseFilter, CaseKind, CaseNote, CaseStatus, ServiceCase
from domain.store.tables import service_case_notes, service_cases


def _case(row: Row) -> ServiceCase:
    return ServiceCase(row.id, row.member_id, CaseKind(row.kind), row.subject, CaseStatus(row.status), row.owner_id,
                       row.store_id, row.opened_by, row.created_at, row.updated_at)


def _note(row: Row) -> CaseNote:
    return CaseNote(row.id, row.case_id, row.author_id, row.body, CaseStatus(row.status) if row.status else None,
                    row.created_at)


def _where(query: Select, where: CaseFilter) -> Select:
    c = service_cases.c
    if where.member_id is not None:
        query = query.where(c.member_id == where.member_id)
    if where.owner_id is not None:
        query = query.where(c.owner_id == where.owner_id)
    if where.status is not None:
        query = query.where(c.status == where.status.value)
    if where.stores is not None:
        query = query.where(c.store_id.in_(list(where.stores)))
    return query


class SqlServiceCaseRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, case: ServiceCase) -> ServiceCase:
        row = (await self._conn.execute(insert(service_cases).values(
            member_id=case.member_id, kind=case.kind.value, subject=case.subject, status=case.status.value,
            owner_id=case.owner_id, store_id=case.store_id, opened_by=case.opened_by, created_at=case.created_at,
            updated_at=case.updated_at).returning(*service_cases.c))).one()
        return _case(row)

    async def get(self, case_id: int, for_update: bool = False) -> ServiceCase | None:
        query = select(service_cases).where(service_cases.c.id == case_id)
        row = (await self._conn.execute(query.with_for_update() if for_update else query)).first()
        return _case(row) if row else None

    async def update(self, case: ServiceCase) -> ServiceCase:
        row = (await self._conn.execute(
            update(service_cases).where(service_cases.c.id == case.id)
            .values(status=case.status.value, owner_id=case.owner_id, updated_at=case.updated_at)
            .returning(*service_cases.c))).one()
        return _case(row)

    async def add_note(self, case_id: int, author_id: int, body: str, status: CaseStatus | None,
                       now: datetime) -> CaseNote:
        row = (await self._conn.execute(insert(service_case_notes).values(
            case_id=case_id, author_id=author_id, body=body, status=status.value if status else None,
            created_at=now).returning(*service_case_notes.c))).one()
        return _note(row)

    async def notes(self, case_id: int, limit: int) -> list[CaseNote]:
        rows = await self._conn.execute(select(service_case_notes).where(service_case_notes.c.case_id == case_id)
                                        .order_by(service_case_notes.c.id).limit(limit))
        return [_note(r) for r in rows]

    async def page(self, where: CaseFilter, limit: int, before: tuple[datetime, int] | None) -> list[ServiceCase]:
        query = _where(select(service_cases), where)
        if before is not None:
            query = query.where(tuple_(service_cases.c.created_at, service_cases.c.id) < tuple_(*before))
        rows = await self._conn.execute(
            query.order_by(service_cases.c.created_at.desc(), service_cases.c.id.desc()).limit(limit))
        return [_case(r) for r in rows]

    async def count(self, where: CaseFilter) -> int:
        return int(await self._conn.scalar(_where(select(func.count()).select_from(service_cases), where)) or 0)

    async def erase_member(self, erasure: Erasure) -> None:
        # Subjects and notes describe the member's complaints in staff's words: they go with the member.
        cases = select(service_cases.c.id).where(service_cases.c.member_id == erasure.member_id)
        await self._conn.execute(delete(service_case_notes).where(service_case_notes.c.case_id.in_(cases)))
        await self._conn.execute(delete(service_cases).where(service_cases.c.member_id == erasure.member_id))
