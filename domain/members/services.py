"""Member use cases: read the profile, update it, link channel identities."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date

from domain.auth.viewer import Role, Viewer
from domain.deps import Deps
from domain.errors import BadUserInput, Forbidden, NotFound, Unauthenticated
from domain.events import MemberProfileChanged
from domain.members.errors import IdentityTaken
from domain.members.model import Channel, ChannelIdentity, Member
from domain.members.phone import normalize_phone
from domain.members.profile import ProfileChanges, apply_profile_changes
from domain.ports import Cache, UnitOfWork
from domain.privacy.model import ConsentKind

log = logging.getLogger(__name__)

PROFILE_CACHE_TTL = 600
_EXTERNAL_ID = re.compile(r"[A-Za-z0-9_.:\-]{1,128}")



def profile_cache_key(member_id: int) -> str:
    return f"member:{member_id}:profile"


async def profile_entries(uow: UnitOfWork, member_ids: set[int]) -> list[tuple[str, int, dict[str, object], int]]:
    """Inside a transaction that moved these profiles, just before its commit: the cache entries the
    unit of work writes through after the commit (an erased member's is the tombstone, whose newer
    version replaces any cached copy, so no stale reader can write the old one back)."""
    entries = []
    for member_id in sorted(member_ids):
        member = await uow.members.get(member_id)
        if member is not None:
            entries.append((profile_cache_key(member_id), member.version, member.to_cache(), PROFILE_CACHE_TTL))
    return entries


async def load_member(uow: UnitOfWork, cache: Cache, member_id: int, min_version: int = 0) -> Member:
    """The member's profile, from the cache when it holds a copy at least `min_version` new,
    else from the database. Event handlers pass the version the event announced, because
    the event can arrive before the cache write-through that follows the same commit."""
    cached = await cache.get(profile_cache_key(member_id))
    if cached is not None:
        try:
            member = Member.from_cache(cached)
        except (KeyError, TypeError, ValueError):
            log.warning("discarding unreadable cached profile for member %s", member_id)
        else:
            if member.version >= min_version:
                return member
    async with uow.read_only():
        found = await uow.members.get(member_id)
    if found is None:
        raise NotFound("No such member.")
    member = found
    await cache.put_if_newer(profile_cache_key(member_id), member.version, member.to_cache(), PROFILE_CACHE_TTL)
    return member


async def get_me(uow: UnitOfWork, cache: Cache, viewer: Viewer, known: Member | None = None) -> Member:
    """`known`: the viewer's profile as read earlier in the same request (the API's token check)."""
    member = known_me(viewer, known)
    return member if member is not None else _not_erased(await load_member(uow, cache, viewer.require_member()))


def known_me(viewer: Viewer, known: Member | None) -> Member | None:
    """get_me without a read: `known` when it is the viewer's profile (refused as get_me refuses),
    else None, and the caller reads it with get_me."""
    member_id = viewer.require_member()
    return _not_erased(known) if known is not None and known.id == member_id else None


def _not_erased(member: Member) -> Member:
    if member.is_erased:
        # Second line of defence behind the API's token check, which a Redis outage can skip.
        raise Unauthenticated("This account was erased.", reason="ACCOUNT_ERASED")
    return member


async def update_profile(changes: ProfileChanges, deps: Deps) -> Member:
    uow, now, today = deps.uow, deps.clock.now(), deps.clock.today()
    member_id = deps.viewer.require_member()
    async with uow:
        # Locked: concurrent edits apply one after the other, and "set birthday once" holds.
        member = await uow.members.get(member_id, for_update=True)
        # An erased member's token may still be in flight; nothing may be written back onto the tombstone.
        if member is None or member.is_erased:
            raise NotFound("No such member.")
        updated = apply_profile_changes(member, changes, today)
        if updated.marketing_consent != member.marketing_consent:
            updated.marketing_consent_at = now
            await uow.privacy.add_consent(member_id, ConsentKind.MARKETING, updated.marketing_consent, "profile", now)
        saved = await uow.members.save_profile(updated)
        uow.publish_after_commit(MemberProfileChanged(saved.id, saved.version))
        await uow.commit()
    return saved


@dataclass(frozen=True)
class CorrectBirthday:
    member_id: int
    birthday: date
    reason: str


async def correct_birthday(cmd: CorrectBirthday, deps: Deps) -> Member:
    """Staff fix a wrong birthday; always audited, because birthday rewards depend on it."""
    uow, now, today = deps.uow, deps.clock.now(), deps.clock.today()
    member_id, birthday, reason = cmd.member_id, cmd.birthday, cmd.reason
    staff_id = deps.viewer.require_staff()
    if not reason.strip():
        raise BadUserInput.for_field("reason", "Say why the birthday is being corrected.")
    if birthday > today or birthday < date(1900, 1, 1):
        raise BadUserInput.for_field("birthday", "Birthday must be a real date in the past.")
    async with uow:
        member = await uow.members.get(member_id, for_update=True)
        if member is None:
            raise NotFound("No such member.")
        saved = await uow.members.set_birthday(member_id, birthday)
        await uow.audit.record(
            Role.STAFF, staff_id, "member.birthday.corrected", f"member:{member_id}",
            {"from": member.birthday.isoformat() if member.birthday else None,
             "to": birthday.isoformat(), "reason": reason.strip()},
            now,
        )
        uow.publish_after_commit(MemberProfileChanged(saved.id, saved.version))
        await uow.commit()
    return saved


def _check_external_id(external_id: str) -> str:
    value = external_id.strip()
    if not _EXTERNAL_ID.fullmatch(value):
        raise BadUserInput.for_field("externalId", "Use 1-128 letters, digits or . _ : -")
    return value


def _target_member(viewer: Viewer, member_id: int | None) -> int:
    """Members act on themselves; staff (at a POS desk) act on the member they name."""
    if viewer.role is Role.STAFF and viewer.is_authenticated:
        if member_id is None:
            raise BadUserInput.for_field("memberId", "Staff must name the member.")
        return member_id
    own = viewer.require_member()
    if member_id is not None and member_id != own:
        raise NotFound("No such member.")
    return own


# A member's own word is enough only for their app install. A mini-program openid must come
# from a server-side code exchange and a store card from the POS desk; otherwise anyone
# could claim another person's card and collect their purchases.
SELF_LINKABLE = frozenset({Channel.APP_DEVICE})


@dataclass(frozen=True)
class LinkIdentity:
    """`member_id` is for staff; a member links to themselves."""

    channel: Channel
    external_id: str
    member_id: int | None = None


async def link_identity(cmd: LinkIdentity, deps: Deps) -> ChannelIdentity:
    uow, viewer, now = deps.uow, deps.viewer, deps.clock.now()
    channel, external_id, member_id = cmd.channel, cmd.external_id, cmd.member_id
    target = _target_member(viewer, member_id)
    if viewer.role is not Role.STAFF and channel not in SELF_LINKABLE:
        raise Forbidden(f"{channel.value} identities are linked by staff or a verified channel login.")
    value = _check_external_id(external_id)
    async with uow:
        member = await uow.members.get(target)
        if member is None or member.is_erased:
            raise NotFound("No such member.")
        owner = await uow.members.claim_identity(target, channel, value, now)
        if owner != target:
            raise IdentityTaken("This identity is already linked to another member.")
        identities = (await uow.members.identities_for([target]))[target]
        await uow.commit()
    return next(i for i in identities if i.channel is channel and i.external_id == value)


async def unlink_identity(
    uow: UnitOfWork, viewer: Viewer, channel: Channel, external_id: str, member_id: int | None = None
) -> None:
    target = _target_member(viewer, member_id)
    async with uow:
        if not await uow.members.release_identity(target, channel, external_id.strip()):
            raise NotFound("That identity is not linked to this member.")
        await uow.commit()


async def identities_of(uow: UnitOfWork, member_ids: list[int]) -> dict[int, list[ChannelIdentity]]:
    async with uow:
        return await uow.members.identities_for(member_ids)


@dataclass(frozen=True)
class FindMember:
    """By phone, or else by a channel identity (both `channel` and `external_id`)."""

    phone: str | None = None
    channel: Channel | None = None
    external_id: str | None = None


async def find_member(cmd: FindMember, deps: Deps) -> Member:
    """Staff look a member up by phone or by any linked channel identity (a POS card scan).
    Each lookup that finds someone is audited: staff reading a member's personal data leaves a trace."""
    uow, viewer, now = deps.uow, deps.viewer, deps.clock.now()
    phone, channel, external_id = cmd.phone, cmd.channel, cmd.external_id
    staff_id = viewer.require_staff()
    async with uow:
        if phone is not None:
            member = await uow.members.get_by_phone(normalize_phone(phone))
            by = "phone"
        elif channel is not None and external_id is not None:
            member = await uow.members.find_by_identity(channel, external_id.strip())
            by = channel.value
        else:
            raise BadUserInput("Give a phone number or a channel identity.")
        if member is None:
            raise NotFound("No member matches.")
        # The detail names how, never the phone itself: the log must not become a copy of the data.
        await uow.audit.record(Role.STAFF, staff_id, "member.looked-up", f"member:{member.id}",
                               {"by": by, "read": "profile"}, now)
        await uow.commit()
    return member
