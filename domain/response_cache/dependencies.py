"""Which fields a cached answer may contain, and what each one's answer depends on: ONE table.

A persisted query is answered from the response cache only when EVERY field it selects (at any
depth, through fragments too) is listed here; any other field sends the whole document past the
cache. A field names the dependency groups its answer reads; the cache key of a document holds
the current version of each group its fields name (per member, and program-wide), so any write
that touches a group moves the key. Children answered from their parent's data (a tier's code, a
connection's edges) name no group: their parent's groups cover them.

Writes move the versions by themselves: the unit of work records which tables each transaction
wrote and maps them to these groups (domain/store/answer_versions.py, TABLE_GROUPS), bumping the
members its repositories report as moved, or the whole group when a write names no member. A new
write path can only lower the hit rate, never leave a stale answer behind.

Groups in CLOCK_GROUPS also change with time alone (points entering the expiring-soon window,
a coupon or reward validity ending, a purchase leaving the tier window, the program day): an entry
holding them is kept only until the earliest such moment (domain/response_cache/validity.py).

Adding a field is one line here (and, for a new kind of data, a group and its tables)."""

from __future__ import annotations

from enum import StrEnum


class Group(StrEnum):
    MEMBER_PROFILE = "member-profile"  # the members row: name, code, consents, erasure
    MEMBER_ACCOUNT = "member-account"  # points account, ledger, lots, holds
    MEMBER_COUPONS = "member-coupons"  # the member's coupons
    MEMBER_TIER = "member-tier"  # tier row, purchases and refunds (the qualifying window)
    CATALOG = "catalog"  # rewards on offer (program-wide)
    CATALOG_STOCK = "catalog-stock"  # reward stock alone (every redemption moves it)
    PROGRAM = "program"  # tier ladder, settings, earning rules (program-wide)
    DAY = "day"  # the program's day (no version: time alone)


# Versioned per member when a write names the member; else program-wide.
MEMBER_GROUPS = frozenset({Group.MEMBER_PROFILE, Group.MEMBER_ACCOUNT, Group.MEMBER_COUPONS, Group.MEMBER_TIER})
CLOCK_GROUPS = frozenset({Group.MEMBER_ACCOUNT, Group.MEMBER_COUPONS, Group.MEMBER_TIER, Group.CATALOG, Group.DAY})


def _(*groups: Group) -> frozenset[Group]:
    return frozenset(groups)


# "Type.field" (GraphQL names) -> the groups its answer reads. Listed: the member home query
# (bench/home.py HOME) and the balance query.
CACHEABLE: dict[str, frozenset[Group]] = {
    "Query.__typename": _(),
    "Query.me": _(Group.MEMBER_PROFILE),
    "Member.__typename": _(),
    "Member.id": _(),
    "Member.displayName": _(Group.MEMBER_PROFILE),
    "Member.memberCode": _(Group.MEMBER_PROFILE),
    # Tier, its rank on the ladder and the qualifying window (spend, purchases, earned points).
    "Member.tier": _(Group.MEMBER_TIER, Group.MEMBER_ACCOUNT, Group.PROGRAM),
    "TierStatus.current": _(),
    "TierStatus.next": _(),
    "Tier.code": _(),
    "Tier.name": _(),
    "Tier.rank": _(),
    "Tier.thresholdCents": _(),
    "TierStatus.progress": _(),
    "TierProgress.amountInWindowCents": _(),
    "TierProgress.spendToNextCents": _(),
    # The expiring-soon window is a program setting.
    "Member.points": _(Group.MEMBER_ACCOUNT, Group.PROGRAM),
    "PointsBalance.available": _(),
    "PointsBalance.pending": _(),
    "PointsBalance.total": _(),
    "PointsBalance.expiringSoon": _(),
    "Member.pointsHistory": _(Group.MEMBER_ACCOUNT),
    "PointsEntryConnection.edges": _(),
    "PointsEntryConnection.pageInfo": _(),
    "PointsEntryEdge.cursor": _(),
    "PointsEntryEdge.node": _(),
    "PointsEntry.id": _(),
    "PointsEntry.kind": _(),
    "PointsEntry.amount": _(),
    "PointsEntry.reason": _(),
    "PointsEntry.createdAt": _(),
    "PageInfo.hasNextPage": _(),
    "PageInfo.endCursor": _(),
    "Member.availableCouponsCount": _(Group.MEMBER_COUPONS),
    # Affordable rewards: the catalog, the balance, and the tier (minimum ranks).
    "Query.rewards": _(Group.CATALOG, Group.MEMBER_ACCOUNT, Group.MEMBER_TIER, Group.PROGRAM),
    "RewardConnection.edges": _(),
    "RewardConnection.pageInfo": _(),
    "RewardEdge.cursor": _(),
    "RewardEdge.node": _(),
    "Reward.id": _(),
    "Reward.name": _(),
    "Reward.pointsPrice": _(),
}


def groups_of(fields: set[str]) -> frozenset[Group] | None:
    """The groups a document's answer depends on, or None when any field is not cacheable."""
    found: set[Group] = set()
    for name in fields:
        groups = CACHEABLE.get(name)
        if groups is None:
            return None
        found |= groups
    return frozenset(found)
