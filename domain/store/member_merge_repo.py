"""Member merges: candidates, the rows that change owner, the record of each merge."""

from __future__ import annotations

from sqlalchemy import and_, exists, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.members.merge_model import MemberMerge, MergeCandidate
from domain.store.tables import (
    coupon_codes,
    coupon_shares,
    coupons,
    member_consents,
    member_identities,
    member_merges,
    members,
    posts,
    purchases,
    redemptions,
)

# (what, table, owner column): rows that follow the person. Check-ins, likes, survey answers and
# event sign-ups stay with the merged member (one per member and day/post/survey/event: moving
# them could collide with the kept member's own).
_MOVED = (
    ("identities", member_identities, member_identities.c.member_id),
    ("coupons", coupons, coupons.c.member_id),
    ("couponCodes", coupon_codes, coupon_codes.c.member_id),
    ("couponSharesGiven", coupon_shares, coupon_shares.c.from_member_id),
    ("couponSharesReceived", coupon_shares, coupon_shares.c.to_member_id),
    ("redemptions", redemptions, redemptions.c.member_id),
    ("posts", posts, posts.c.author_id),
    ("purchases", purchases, purchases.c.member_id),
    ("consents", member_consents, member_consents.c.member_id),
)


class SqlMemberMergeRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn
        # Both members of a merge: their coupons, purchases, tier rows... changed hands, so every
        # cached response of either is outdated after the commit.
        self.moved: set[int] = set()

    async def candidates(self, limit: int) -> list[MergeCandidate]:
        a, b = members.alias("a").c, members.alias("b").c
        gone = exists().where(or_(member_merges.c.merged_member_id == a.id, member_merges.c.merged_member_id == b.id))
        rows = await self._conn.execute(
            select(a.id, b.id)
            .select_from(a.id.table.join(b.id.table, and_(a.display_name == b.display_name,
                                                          a.birthday == b.birthday, a.id < b.id)))
            .where(a.display_name.is_not(None), a.birthday.is_not(None), ~gone)
            .order_by(a.id, b.id).limit(limit))
        return [MergeCandidate(x, y, "SAME_NAME_AND_BIRTHDAY") for x, y in rows]

    async def merged_into(self, member_id: int) -> int | None:
        return await self._conn.scalar(
            select(member_merges.c.kept_member_id).where(member_merges.c.merged_member_id == member_id))

    async def move_rows(self, from_id: int, to_id: int) -> dict[str, int]:
        self.moved.update((from_id, to_id))
        moved = {}
        for what, table, owner in _MOVED:
            result = await self._conn.execute(update(table).where(owner == from_id).values({owner.key: to_id}))
            moved[what] = int(result.rowcount)
        referred = await self._conn.execute(
            update(members).where(members.c.referrer_id == from_id, members.c.id != to_id)
            .values(referrer_id=to_id))
        moved["referrals"] = int(referred.rowcount)
        return moved

    async def record(self, merge: MemberMerge, staff_id: int, reason: str) -> None:
        await self._conn.execute(insert(member_merges).values(
            kept_member_id=merge.kept_member_id, merged_member_id=merge.merged_member_id, staff_id=staff_id,
            reason=reason, moved={**merge.moved, "points": merge.points_moved}, merged_at=merge.merged_at))
