"""Staff reads of a member's personal data leave a trace, and staff can see that trace."""

from __future__ import annotations

from dataclasses import dataclass

from domain import cursors
from domain.auth.viewer import Viewer
from domain.errors import BadUserInput
from domain.ports import UnitOfWork
from domain.privacy.model import AuditEntry


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    has_next: bool


async def member_audit_log(uow: UnitOfWork, viewer: Viewer, member_id: int, first: int,
                           after: str | None) -> AuditPage:
    """Newest first, keyset on the entry id. No total: the trail of a long-lived member is large and
    matched on two columns, so counting it would cost more than the page."""
    viewer.require_staff()
    if not 1 <= first <= 200:
        raise BadUserInput.for_field("first", "Ask for 1 to 200 entries.")
    before = cursors.decode_int(after)[1] if after else None
    async with uow:
        rows = await uow.privacy.audit_for_member(member_id, before, first + 1)
    return AuditPage(rows[:first], len(rows) > first)
