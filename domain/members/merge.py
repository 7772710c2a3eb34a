"""Member merge: staff merge member B (the duplicate) into member A (the one kept).

**Final, not reversible.** After a merge, A spends B's points, uses B's coupons and buys more: a
"split" would have to decide whose every later spend was. So a merge is one transaction that does
everything or nothing, and it leaves a full record instead: the `member_merges` row (who, why, what
moved, how many points) and the audit entry `member.merged`. A mistaken merge is corrected by staff
by hand (adjustments, relinking identities), recorded as such.

What moves: identities, coupons (and claimed codes, shares), redemptions, posts, purchases (so the
tier is recomputed on the combined spend), consents, referrals (members B referred). Points move as
ledger entries on both sides: MERGE_OUT takes every open lot of B (balance → 0), MERGE_IN credits A
one lot per B lot with its expiry and availability kept. B's sessions are revoked (refresh tokens;
open sockets close) and B cannot be merged again or receive a merge.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.auth.viewer import Role
from domain.deps import Deps
from domain.errors import BadUserInput, Conflict, NotFound
from domain.events import AccessEnded, PointsChanged
from domain.members.merge_model import MemberMerge, MergeCandidate
from domain.points.model import EntryKind
from domain.points.ports import NewEntry
from domain.ports import UnitOfWork
from domain.program.services import load_settings
from domain.tiers.services import apply_qualification


@dataclass(frozen=True)
class MergeMembers:
    keep_member_id: int
    merge_member_id: int
    reason: str


async def merge_candidates(limit: int, deps: Deps) -> list[MergeCandidate]:
    deps.viewer.require_staff()
    if not 1 <= limit <= 100:
        raise BadUserInput.for_field("first", "Ask for 1 to 100 candidates.")
    async with deps.uow.read_only() as uow:
        return await uow.member_merges.candidates(limit)


async def merge_members(cmd: MergeMembers, deps: Deps) -> MemberMerge:
    staff_id = deps.viewer.require_staff()
    uow, now = deps.uow, deps.clock.now()
    keep, gone = cmd.keep_member_id, cmd.merge_member_id
    reason = cmd.reason.strip()
    if keep == gone:
        raise BadUserInput.for_field("mergeMemberId", "Pick two different members.")
    if not 0 < len(reason) <= 200:
        raise BadUserInput.for_field("reason", "Say why in 1 to 200 characters (the audit keeps it).")
    async with uow:
        if await uow.members.get(keep) is None or await uow.members.get(gone) is None:
            raise NotFound("No such member.")
        # Accounts in id order (as every multi-account use case), so a concurrent gift cannot deadlock us.
        await uow.points.lock_accounts(sorted((keep, gone)), now)
        kept, merged = await uow.members.get(keep, for_update=True), await uow.members.get(gone, for_update=True)
        assert kept is not None and merged is not None  # members are never deleted (erasure keeps the row)
        if kept.is_erased or merged.is_erased:
            raise Conflict("An erased member cannot be merged.")
        if await uow.member_merges.merged_into(gone) is not None or await uow.member_merges.merged_into(keep):
            raise Conflict("One of these members was already merged into another.")
        if (await uow.points.lot_totals(gone, now, now))[4]:
            # Held points belong to an open payment at a till: moving the lots under it would strand
            # what its release or refund gives back on the merged-away account.
            raise Conflict("This member has a points payment in progress; merge once it is captured or released.")
        points, lots = await _move_points(uow, keep, gone, staff_id, now)
        moved = await uow.member_merges.move_rows(gone, keep)
        moved["lots"] = lots
        settings = await load_settings(uow)
        # B's upgrade rewards were paid to this same person (and moved with B's points): not twice.
        rewarded = frozenset([t.id for t in await uow.tiers.tiers()
                              if await uow.points.entry_by_key("tier", f"tier-upgrade:{gone}:{t.id}") is not None])
        await apply_qualification(uow, keep, now, settings, allow_downgrade=False, rewarded_elsewhere=rewarded)
        await uow.refresh_tokens.revoke_subject(Role.MEMBER, gone, now)
        merge = MemberMerge(keep, gone, points, moved, now)
        await uow.member_merges.record(merge, staff_id, reason)
        await uow.audit.record(Role.STAFF, staff_id, "member.merged", f"member:{gone}",
                               {"into": keep, "points": points, "moved": moved, "reason": reason}, now)
        await uow.audit.record(Role.STAFF, staff_id, "member.merge-received", f"member:{keep}",
                               {"from": gone, "points": points}, now)
        uow.publish_after_commit(AccessEnded(Role.MEMBER.value, gone, None, "SESSION_ENDED"))
        await uow.commit()
    return merge


async def _move_points(uow: UnitOfWork, keep: int, gone: int, staff_id: int, now: datetime) -> tuple[int, int]:
    """Both sides in the ledger; B's lots are emptied and re-created on A with the same dates."""
    lots = [lot for lot in await uow.points.open_lots(gone) if lot.remaining > 0]
    total = sum(lot.remaining for lot in lots)
    if not total:
        return 0, 0
    ref = f"{gone}->{keep}"
    out = await uow.points.add_entry(NewEntry(
        gone, EntryKind.MERGE_OUT, -total, "Merged into another member", "merge", ref, f"merge-out/{gone}",
        Role.STAFF, staff_id, {"into": keep}), now)
    for lot in lots:
        await uow.points.take_from_lot(out.id, lot.id, lot.remaining)
    version = await uow.points.bump_account(gone, -total, now)
    uow.publish_after_commit(PointsChanged(gone, version, out.id))
    entry = await uow.points.add_entry(NewEntry(
        keep, EntryKind.MERGE_IN, total, "Points of a merged member", "merge", ref, f"merge-in/{gone}",
        Role.STAFF, staff_id, {"from": gone}), now)
    for lot in lots:
        await uow.points.add_lot(keep, entry.id, lot.remaining, lot.earned_at, lot.available_at, lot.expires_at)
    version = await uow.points.bump_account(keep, total, now)
    uow.publish_after_commit(PointsChanged(keep, version, entry.id))
    return total, len(lots)
