"""Erasure ("right to be forgotten"): one use case, one eraser per area.

Personal data is removed or replaced; the books stay: points ledger amounts, purchases, redemptions,
coupons and check-ins remain with the tombstoned member, so balance == ledger sum still holds. The
phone becomes `erased:<id>`, so signing in later with the same number makes a new, empty member.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from domain.auth.viewer import Role, Viewer
from domain.errors import BadUserInput, NotFound
from domain.events import AccessEnded, MemberProfileChanged
from domain.members.model import Member
from domain.members.services import load_member
from domain.ports import Cache, UnitOfWork
from domain.privacy.model import (
    ERASURE_CONFIRMATION,
    ConsentKind,
    Erasure,
    PersonalDataEraser,
    needles,
    phone_forms,
    scrub,
    tombstone_for,
)


def erasers(uow: UnitOfWork) -> list[PersonalDataEraser]:
    """Every area that holds a member's personal data. A new area plugs in with one line here.
    Members (the row itself) go last: the others may still read it while they work."""
    return [uow.community, uow.partners, uow.webhooks, uow.points, uow.login_codes, uow.refresh_tokens,
            uow.audit, uow.surveys, uow.segments, uow.games, uow.coupon_shares, uow.messaging, uow.automation,
            uow.service_cases, uow.members]


@dataclass(frozen=True)
class ErasureResult:
    member_id: int
    erased_at: datetime
    already_erased: bool


def _check_confirmation(confirmation: str) -> None:
    if confirmation.strip().upper() != ERASURE_CONFIRMATION:
        raise BadUserInput.for_field("confirmation", f'Type "{ERASURE_CONFIRMATION}" to confirm erasure.')


async def request_erasure(uow: UnitOfWork, cache: Cache, viewer: Viewer, confirmation: str,
                          now: datetime) -> ErasureResult:
    member_id = viewer.require_member()
    _check_confirmation(confirmation)
    return await _erase(uow, cache, member_id, Role.MEMBER, member_id, {}, now)


async def erase_member(uow: UnitOfWork, cache: Cache, viewer: Viewer, member_id: int, confirmation: str,
                       reason: str, now: datetime) -> ErasureResult:
    """Member service carries out a request that came in by another route (letter, hotline)."""
    staff_id = viewer.require_staff()
    _check_confirmation(confirmation)
    if not reason.strip():
        raise BadUserInput.for_field("reason", "Say where the erasure request came from.")
    return await _erase(uow, cache, member_id, Role.STAFF, staff_id, {"reason": reason.strip()[:200]}, now)


async def _erase(uow: UnitOfWork, cache: Cache, member_id: int, actor: Role, actor_id: int,
                 detail: dict[str, object], now: datetime) -> ErasureResult:
    async with uow:
        # This transaction makes the member erased; the API's "acting member must not be erased" check
        # on commit would refuse the member's own request.
        uow.guard_member(None)
        # A segments batch that read this member before the erasure must not write profiling rows after it.
        await uow.lock("compute-segments")
        member = await uow.members.get(member_id, for_update=True)
        if member is None:
            raise NotFound("No such member.")
        already = member.is_erased
        if not already:
            erasure = await _plan(uow, member, now)
            current = await uow.privacy.current_consents(member_id)
            for kind in ConsentKind:
                granted = member.marketing_consent if kind is ConsentKind.MARKETING else (
                    kind in current and current[kind].granted)
                if granted:
                    await uow.privacy.add_consent(member_id, kind, False, "erasure", now)
            for eraser in erasers(uow):
                await eraser.erase_member(erasure)
            # Staff type the reason freely ("letter from +86139…"): the trail must not restore what was erased.
            reason = scrub(detail, needles([*erasure.identifiers, *erasure.names]))
            assert isinstance(reason, dict)
            await uow.audit.record(actor, actor_id, "member.erased", f"member:{member_id}", reason, now)
        tombstone = await uow.members.get(member_id)
        assert tombstone is not None
        if not already:
            uow.publish_after_commit(MemberProfileChanged(tombstone.id, tombstone.version))
            uow.publish_after_commit(AccessEnded(Role.MEMBER.value, member_id, None, "ACCOUNT_ERASED"))
        await uow.commit()
    # The unit of work writes the tombstone through after the commit (a write-through lost to a
    # Redis outage is repaired from the shared repair list, see domain/store/cache.py).
    return ErasureResult(member_id, now, already)


async def _plan(uow: UnitOfWork, member: Member, now: datetime) -> Erasure:
    identities = (await uow.members.identities_for([member.id]))[member.id]
    refs = await uow.partners.member_refs(member.id)
    identifiers = needles([*phone_forms(member.phone), member.member_code, member.avatar_url,
                           *(i.external_id for i in identities), *refs])
    return Erasure(member.id, tombstone_for(member.id), "X" + secrets.token_hex(5).upper(), identifiers,
                   needles([member.display_name, member.birthday.isoformat() if member.birthday else None]), now)


async def refuse_erased(uow: UnitOfWork, cache: Cache, viewer: Viewer) -> Viewer:
    """Access tokens are stateless: an erased member's token stays valid until it expires, so the
    API asks here and refuses it. The answer comes from the profile (the cached copy, which erasure
    replaces with the newer tombstone, else the database), so a flushed or unreachable Redis cannot
    let an erased member write again."""
    return (await admit(uow, cache, viewer))[0]


async def admit(uow: UnitOfWork, cache: Cache, viewer: Viewer) -> tuple[Viewer, Member | None]:
    """`refuse_erased`, also returning the member's profile it read (None for other viewers and
    refused ones), so a query that shows the profile need not read it again."""
    if viewer.role is not Role.MEMBER or viewer.subject_id is None:
        return viewer, None
    try:
        member = await load_member(uow, cache, viewer.subject_id)
    except NotFound:
        return Viewer.rejected("This account no longer exists.", "ACCOUNT_ERASED"), None
    if not member.is_erased:
        return viewer, member
    return Viewer.rejected("This account was erased.", "ACCOUNT_ERASED"), None
