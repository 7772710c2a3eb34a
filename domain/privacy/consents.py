"""Consent use cases: an append-only history per member; the member row's marketing columns are
kept equal to the latest MARKETING record, because offers and exports read them there."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from domain import cursors
from domain.auth.viewer import Viewer
from domain.deps import Deps
from domain.errors import BadUserInput, NotFound
from domain.events import MemberProfileChanged
from domain.ports import UnitOfWork
from domain.privacy.model import ConsentKind, ConsentRecord, parse_consent_kind, parse_source


@dataclass(frozen=True)
class ConsentState:
    kind: ConsentKind
    granted: bool
    at: datetime | None
    source: str | None


@dataclass(frozen=True)
class SetConsent:
    kind: str
    granted: bool
    source: str | None = None


async def set_consent(cmd: SetConsent, deps: Deps) -> ConsentRecord:
    uow, now = deps.uow, deps.clock.now()
    kind, granted, source = cmd.kind, cmd.granted, cmd.source
    member_id = deps.viewer.require_member()
    consent_kind = parse_consent_kind(kind)
    channel = parse_source(source, "APP")
    saved = None
    async with uow:
        member = await uow.members.get(member_id, for_update=True)
        if member is None or member.is_erased:
            raise NotFound("No such member.")
        record = await uow.privacy.add_consent(member_id, consent_kind, granted, channel, now)
        if consent_kind is ConsentKind.MARKETING:
            saved = await uow.members.save_profile(replace(member, marketing_consent=granted, marketing_consent_at=now))
            uow.publish_after_commit(MemberProfileChanged(saved.id, saved.version))
        elif not granted:
            # Withdrawn: no partner sees the phone any more, whatever each link said.
            await uow.partners.stop_sharing_phone(member_id)
        await uow.commit()
    return record


async def consent_states(uow: UnitOfWork, viewer: Viewer, member_id: int) -> list[ConsentState]:
    """The current answer per kind. Marketing falls back to the member row for members whose
    choice predates the history table."""
    viewer.require_self_or_staff(member_id)
    async with uow:
        latest = await uow.privacy.current_consents(member_id)
        member = await uow.members.get(member_id)
    if member is None:
        raise NotFound("No such member.")
    states = []
    for kind in ConsentKind:
        rec = latest.get(kind)
        if kind is ConsentKind.MARKETING:
            states.append(ConsentState(kind, member.marketing_consent, member.marketing_consent_at,
                                       rec.source if rec else None))
        else:
            states.append(ConsentState(kind, rec.granted if rec else False, rec.at if rec else None,
                                       rec.source if rec else None))
    return states


@dataclass(frozen=True)
class ConsentHistoryPage:
    records: list[ConsentRecord]
    has_next: bool
    total: int


async def consent_history(uow: UnitOfWork, viewer: Viewer, member_id: int, first: int,
                          after: str | None) -> ConsentHistoryPage:
    """Newest first, keyset on the record id (ids only grow, so id order is answer order)."""
    viewer.require_self_or_staff(member_id)
    if not 1 <= first <= 100:
        raise BadUserInput.for_field("first", "Ask for 1 to 100 records.")
    before = cursors.decode_int(after)[1] if after else None
    async with uow:
        rows = await uow.privacy.consent_history(member_id, before, first + 1)
        total = await uow.privacy.count_consents(member_id)
    return ConsentHistoryPage(rows[:first], len(rows) > first, total)
