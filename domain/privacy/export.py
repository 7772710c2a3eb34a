"""Data export: everything the program holds about one member, as one JSON document.

Each section is read in keyset pages of EXPORT_PAGE rows and capped at EXPORT_MAX_ROWS rows, so a
member with a huge ledger costs bounded memory and time; a capped section is named in
`truncated_sections` (member service can then export that section in full offline)."""

from __future__ import annotations

from datetime import datetime

from domain.auth.viewer import Role, Viewer
from domain.errors import NotFound, RateLimited
from domain.ports import RateLimiter, UnitOfWork, WhenShared
from domain.privacy.model import EXPORT_MAX_ROWS, EXPORT_PAGE, EXPORT_SECTIONS, DataExport

# An export reads up to every section's cap; a member needs one now and then, not a loop of them.
EXPORTS_PER_HOUR = 5


async def export_my_data(uow: UnitOfWork, limiter: RateLimiter, viewer: Viewer, now: datetime) -> DataExport:
    member_id = viewer.require_member()
    if wait := await limiter.hit(f"export:{member_id}", EXPORTS_PER_HOUR, 3600,
                                  WhenShared.DOWN_REFUSES):
        # An export is costly and rare: while the shared count is unknown, ask the member to retry.
        raise RateLimited(f"At most {EXPORTS_PER_HOUR} exports an hour; try again later.", wait)
    async with uow:
        return await _build(uow, member_id, now)


async def export_member_data(uow: UnitOfWork, viewer: Viewer, member_id: int, now: datetime) -> DataExport:
    """Staff export (e.g. to answer a request by letter); every export is in the audit log."""
    staff_id = viewer.require_staff()
    async with uow:
        data = await _build(uow, member_id, now)
        await uow.audit.record(Role.STAFF, staff_id, "member.exported", f"member:{member_id}",
                               {"sections": len(EXPORT_SECTIONS), "truncated": data.truncated_sections}, now)
        await uow.commit()
    return data


async def _build(uow: UnitOfWork, member_id: int, now: datetime) -> DataExport:
    if await uow.members.get(member_id) is None:
        raise NotFound("No such member.")
    document: dict[str, object] = {"memberId": member_id, "generatedAt": now.isoformat()}
    truncated: list[str] = []
    for section in EXPORT_SECTIONS:
        rows: list[dict[str, object]] = []
        after = None
        while True:
            page, after = await uow.privacy.export_page(section, member_id, after,
                                                        min(EXPORT_PAGE, EXPORT_MAX_ROWS - len(rows)))
            rows.extend(page)
            if after is None:
                break
            if len(rows) >= EXPORT_MAX_ROWS:
                more, _ = await uow.privacy.export_page(section, member_id, after, 1)
                if more:
                    truncated.append(section)
                break
        document[section] = rows
    document["truncatedSections"] = truncated
    return DataExport(member_id, now, document, truncated)
