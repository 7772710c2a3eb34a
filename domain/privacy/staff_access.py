"""Staff reads of a member's personal data leave a trace, and staff can see that trace."""

from __future__ import annotations

from domain.auth.viewer import Viewer
from domain.errors import BadUserInput
from domain.ports import UnitOfWork
from domain.privacy.model import AuditEntry


async def member_audit_log(uow: UnitOfWork, viewer: Viewer, member_id: int, first: int,
                           before: int | None) -> list[AuditEntry]:
    viewer.require_staff()
    if not 1 <= first <= 200:
        raise BadUserInput.for_field("first", "Ask for 1 to 200 entries.")
    async with uow:
        return await uow.privacy.audit_for_member(member_id, before, first)
