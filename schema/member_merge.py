"""Member merge (staff): find likely duplicates, merge one member into another (final)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from domain.members import merge
from domain.members.merge_model import MemberMerge as DomainMerge
from schema.info import Info
from schema.refs import parse_id


@strawberry.type(description="Two members who are probably one person (staff decide; nothing is merged).")
class MergeCandidate:
    first_member_id: strawberry.ID = strawberry.field(description="The member with the lower id.")
    second_member_id: strawberry.ID = strawberry.field(description="The other member.")
    reason: str = strawberry.field(description="Why they were paired: SAME_NAME_AND_BIRTHDAY.")


@strawberry.input(description="Merge one member (the duplicate) into another (the one kept). Final.")
class MergeMembersInput:
    keep_member_id: strawberry.ID = strawberry.field(description="The member who stays and receives everything.")
    merge_member_id: strawberry.ID = strawberry.field(description="The duplicate: emptied, signed out, never "
                                                                  "merged again.")
    reason: str = strawberry.field(description="Why (1 to 200 characters; kept in the audit log).")


@strawberry.type(description="What a member merge did.")
class MemberMerge:
    kept_member_id: strawberry.ID = strawberry.field(description="The member kept.")
    merged_member_id: strawberry.ID = strawberry.field(description="The member merged into it (balance now 0).")
    points_moved: int = strawberry.field(description="Points moved (MERGE_OUT on one side, MERGE_IN on the other).")
    lots_moved: int = strawberry.field(description="Point lots re-created on the kept member with their expiry.")
    identities_moved: int = strawberry.field(description="Linked identities moved.")
    coupons_moved: int = strawberry.field(description="Coupons moved.")
    purchases_moved: int = strawberry.field(description="Purchases moved (the tier was recomputed on them).")
    merged_at: datetime = strawberry.field(description="When (UTC).")

    @classmethod
    def from_domain(cls, m: DomainMerge) -> MemberMerge:
        return cls(kept_member_id=strawberry.ID(str(m.kept_member_id)),
                   merged_member_id=strawberry.ID(str(m.merged_member_id)), points_moved=m.points_moved,
                   lots_moved=m.moved.get("lots", 0), identities_moved=m.moved.get("identities", 0),
                   coupons_moved=m.moved.get("coupons", 0), purchases_moved=m.moved.get("purchases", 0),
                   merged_at=m.merged_at)


@strawberry.type(description="The result of `mergeMembers`.")
class MergeMembersPayload:
    merge: MemberMerge = strawberry.field(description="What moved.")


@strawberry.type
class MemberMergeQueries:
    @strawberry.field(description="Staff: pairs of members with the same name and birthday, not merged yet, by "
                                  "id. Errors: BAD_USER_INPUT (first outside 1..100).")
    async def member_merge_candidates(self, info: Info, first: Annotated[int, strawberry.argument(
            description="How many pairs (1 to 100).")] = 20) -> list[MergeCandidate]:
        found = await merge.merge_candidates(first, info.context.deps())
        return [MergeCandidate(first_member_id=strawberry.ID(str(c.first_id)),
                               second_member_id=strawberry.ID(str(c.second_id)), reason=c.reason) for c in found]


@strawberry.type
class MemberMergeMutations:
    @strawberry.mutation(description="Staff: merge a duplicate member into another, final (not reversible): "
                                     "identities, points (lots with their expiry, recorded on both ledgers), "
                                     "coupons, redemptions, posts, purchases, consents and referrals move; the "
                                     "tier is recomputed; the duplicate is signed out. Errors: BAD_USER_INPUT "
                                     "(same member, reason), NOT_FOUND, CONFLICT (erased or already merged).")
    async def merge_members(self, info: Info, input: Annotated[MergeMembersInput, strawberry.argument(
            description="Who is kept, who is merged, and why.")]) -> MergeMembersPayload:
        done = await merge.merge_members(merge.MergeMembers(
            parse_id(input.keep_member_id, "keepMemberId", type_name="Member"),
            parse_id(input.merge_member_id, "mergeMemberId", type_name="Member"), input.reason),
            info.context.deps())
        return MergeMembersPayload(merge=MemberMerge.from_domain(done))
