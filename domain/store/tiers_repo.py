"""Tier ladder, each member's tier and the history of changes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Row, bindparam, func, insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.store.dialect import insert_ignoring_conflict
from domain.store.program_snapshot import ProgramSnapshot
from domain.store.spend_query import MEMBER, QUALIFYING_SPEND
from domain.store.tables import member_tiers, points_entries, purchases, tier_changes, tiers
from domain.tiers.model import MemberTier, QualifyingFigures, QualifyMode, Tier, TierChange, TierChangeReason

# Read on every home screen: built once (see points_repo).
_LADDER = select(tiers).order_by(tiers.c.rank)
_MEMBER_TIER = select(member_tiers).where(
    member_tiers.c.member_id == bindparam("member_id", type_=member_tiers.c.member_id.type))
# The member's tier row (if any) and their qualifying spend since a moment, in one round trip: the
# aggregate always yields one row, and the tier row joins onto it when there is one.
# The spend is the one query the upgrade decision reads too (spend_query), never a copy.
_SPEND = QUALIFYING_SPEND.subquery("spend")
_MEMBER_TIER_AND_SPEND = select(_SPEND.c.spend, *member_tiers.c).select_from(
    _SPEND.outerjoin(member_tiers, member_tiers.c.member_id == MEMBER))


def _tier(row: Row) -> Tier:
    return Tier(row.id, row.code, row.name, row.rank, row.threshold_cents, row.multiplier_pct,
                row.upgrade_reward_points, list(row.benefits or []), row.active, row.min_purchases,
                row.min_tier_points, QualifyMode(row.qualify_mode), row.spend_path)


def _member_tier(row: Row) -> MemberTier:
    return MemberTier(row.member_id, row.tier_id, row.achieved_at, row.held_until, row.version)


def _change(row: Row) -> TierChange:
    return TierChange(row.id, row.member_id, row.from_tier_id, row.to_tier_id, TierChangeReason(row.reason),
                      row.spend_cents, row.created_at)


class SqlTierRepository:
    def __init__(self, conn: AsyncConnection, snapshot: ProgramSnapshot | None = None,
                 saved: Callable[[], None] | None = None) -> None:
        """`snapshot`: the process's copy of the ladder; `saved`: told when the ladder changes."""
        self._conn = conn
        self._snapshot = snapshot
        self._saved = saved
        # Members whose tier rows this transaction wrote: their cached responses are outdated after the commit.
        self.moved: set[int] = set()

    async def tiers(self) -> list[Tier]:
        if self._snapshot is not None:
            return await self._snapshot.tiers(self._read_ladder)
        return await self._read_ladder()

    async def _read_ladder(self) -> list[Tier]:
        return [_tier(r) for r in await self._conn.execute(_LADDER)]

    async def save_tier(self, tier: Tier) -> Tier:
        values = dict(code=tier.code, name=tier.name, rank=tier.rank, threshold_cents=tier.threshold_cents,
                      multiplier_pct=tier.multiplier_pct, upgrade_reward_points=tier.upgrade_reward_points,
                      benefits=list(tier.benefits), active=tier.active, min_purchases=tier.min_purchases,
                      min_tier_points=tier.min_tier_points, qualify_mode=tier.qualify_mode.value,
                      spend_path=tier.spend_path)
        if tier.id:
            statement = update(tiers).where(tiers.c.id == tier.id).values(**values)
        else:
            statement = insert(tiers).values(**values)
        self._snapshot = None  # this transaction reads its own writes from now on
        if self._saved is not None:
            self._saved()
        return _tier((await self._conn.execute(statement.returning(*tiers.c))).one())

    async def member_tier(self, member_id: int) -> MemberTier | None:
        row = (await self._conn.execute(_MEMBER_TIER, {"member_id": member_id})).first()
        return _member_tier(row) if row else None

    async def current_tier(self, member_id: int) -> Tier | None:
        # The ladder comes from the program snapshot when warm, so this costs the one tier-row read.
        state = await self.member_tier(member_id)
        if state is None:
            return None
        return next((t for t in await self.tiers() if t.id == state.tier_id), None)

    async def member_tier_and_spend(self, member_id: int, since: datetime) -> tuple[MemberTier | None, int]:
        row = (await self._conn.execute(_MEMBER_TIER_AND_SPEND, {"member_id": member_id, "since": since})).one()
        return (_member_tier(row) if row.member_id is not None else None), int(row.spend)

    async def set_member_tier(self, member_id: int, tier_id: int, achieved_at: datetime,
                              held_until: datetime | None) -> MemberTier:
        await self._conn.execute(
            insert_ignoring_conflict(self._conn, member_tiers, ["member_id"]).values(
                member_id=member_id, tier_id=tier_id, achieved_at=achieved_at, held_until=held_until, version=0
            )
        )
        row = (await self._conn.execute(
            update(member_tiers).where(member_tiers.c.member_id == member_id)
            .values(tier_id=tier_id, achieved_at=achieved_at, held_until=held_until,
                    version=member_tiers.c.version + 1)
            .returning(*member_tiers.c)
        )).one()
        self.moved.add(member_id)
        return _member_tier(row)

    async def add_change(self, member_id: int, from_tier_id: int | None, to_tier_id: int,
                         reason: TierChangeReason, spend_cents: int, now: datetime) -> TierChange:
        row = (await self._conn.execute(
            insert(tier_changes).values(member_id=member_id, from_tier_id=from_tier_id, to_tier_id=to_tier_id,
                                        reason=reason.value, spend_cents=spend_cents, created_at=now)
            .returning(*tier_changes.c)
        )).one()
        self.moved.add(member_id)
        return _change(row)

    async def history(self, member_id: int, limit: int,
                      before: tuple[datetime, int] | None = None) -> list[TierChange]:
        """Newest first; keyset on (created_at, id) after the previous page's last change."""
        query = select(tier_changes).where(tier_changes.c.member_id == member_id)
        if before is not None:
            query = query.where(tuple_(tier_changes.c.created_at, tier_changes.c.id) < tuple_(*before))
        rows = await self._conn.execute(
            query.order_by(tier_changes.c.created_at.desc(), tier_changes.c.id.desc()).limit(limit))
        return [_change(r) for r in rows]

    async def count_history(self, member_id: int) -> int:
        return int(await self._conn.scalar(
            select(func.count()).select_from(tier_changes).where(tier_changes.c.member_id == member_id)) or 0)

    async def members_due_for_review(self, now: datetime, limit: int, after_member_id: int) -> list[MemberTier]:
        rows = await self._conn.execute(
            select(member_tiers)
            .where(member_tiers.c.held_until.is_not(None), member_tiers.c.held_until <= now,
                   member_tiers.c.member_id > after_member_id)
            .order_by(member_tiers.c.member_id).limit(limit)
        )
        return [_member_tier(r) for r in rows]

    async def figures_since(self, member_id: int, since: datetime) -> QualifyingFigures:
        """Spend (the one QUALIFYING_SPEND statement), purchases not wholly refunded, and qualifying
        points: earned points (not tier-upgrade rewards, which would lift members tier by tier) less
        earnings reversed (refunds), by when the entry was written. Redemptions, expiry and gifts do
        not count, so spending points never lowers a tier."""
        p, e = purchases.c, points_entries.c
        counted = select(func.count()).where(p.member_id == member_id, p.purchased_at > since,
                                             p.amount_cents > p.refunded_cents).scalar_subquery()
        earned = select(func.coalesce(func.sum(e.amount), 0)).where(
            e.member_id == member_id, e.created_at > since,
            ((e.kind == "EARN") & (e.amount > 0) & (e.source_type != "tier")) | ((e.kind == "REVERSE") & (e.amount < 0))
        ).scalar_subquery()
        spend = QUALIFYING_SPEND.scalar_subquery()
        row = (await self._conn.execute(select(spend.label("spend"), counted.label("purchases"),
                                               earned.label("points")), {"member_id": member_id, "since": since})).one()
        return QualifyingFigures(int(row.spend), int(row.purchases), max(0, int(row.points)))
