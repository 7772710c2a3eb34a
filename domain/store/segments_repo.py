"""RFM rows, lifecycle stages and the member queries segments are made of."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import (
    Column,
    Row,
    and_,
    case,
    delete,
    exists,
    func,
    insert,
    literal_column,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import ColumnElement, Select

from domain.members.model import ERASED_PHONE_PREFIX
from domain.privacy.model import Erasure
from domain.segments.model import Lifecycle, MemberQuery, RfmScore, Stage, StageChange
from domain.segments.ports import PurchaseItems, PurchaseTotals, WindowTotals
from domain.store.tables import lifecycle_changes, member_lifecycle, member_rfm, member_tiers, members, purchases

_SCORES = ("r_score", "f_score", "m_score")


def _rfm(row: Row) -> RfmScore:
    return RfmScore(row.member_id, row.window_days, row.last_purchase_at, row.recency_days, row.frequency,
                    row.monetary_cents, row.previous_monetary_cents, row.trend_bp, row.r_score, row.f_score,
                    row.m_score, list(row.top_categories))


def _lifecycle(row: Row) -> Lifecycle:
    return Lifecycle(row.member_id, Stage(row.stage), row.since, row.last_purchase_at)


class SqlSegmentRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    def _insert(self, table):
        return (postgresql if self._conn.dialect.name == "postgresql" else sqlite).insert(table)

    # Erased members keep their books but are no longer profiled.
    _profiled = ~members.c.phone.startswith(ERASED_PHONE_PREFIX)

    async def count_members(self) -> int:
        return int(await self._conn.scalar(select(func.count()).select_from(members).where(self._profiled)))

    async def members_after(self, after_member_id: int, limit: int) -> list[tuple[int, datetime]]:
        rows = await self._conn.execute(select(members.c.id, members.c.joined_at)
                                        .where(members.c.id > after_member_id, self._profiled)
                                        .order_by(members.c.id).limit(limit))
        return [(r.id, r.joined_at) for r in rows]

    async def erase_member(self, erasure: Erasure) -> None:
        for table in (lifecycle_changes, member_lifecycle, member_rfm):
            await self._conn.execute(delete(table).where(table.c.member_id == erasure.member_id))

    async def purchase_totals(self, first_id: int, last_id: int, now: datetime,
                              windows: Sequence[int]) -> dict[int, PurchaseTotals]:
        net = purchases.c.amount_cents - purchases.c.refunded_cents
        at = purchases.c.purchased_at
        columns = []
        for w in windows:
            start, before = now - timedelta(days=w), now - timedelta(days=2 * w)
            columns += [
                func.sum(case((at > start, 1), else_=0)).label(f"f{w}"),
                func.sum(case((at > start, net), else_=0)).label(f"m{w}"),
                func.sum(case((and_(at > before, at <= start), net), else_=0)).label(f"p{w}"),
            ]
        rows = await self._conn.execute(
            select(purchases.c.member_id, func.max(at).label("last"), *columns)
            .where(purchases.c.member_id.between(first_id, last_id), at <= now)
            .group_by(purchases.c.member_id)
        )
        return {
            r.member_id: PurchaseTotals(r.last, {
                w: WindowTotals(int(r._mapping[f"f{w}"]), int(r._mapping[f"m{w}"]), int(r._mapping[f"p{w}"]))
                for w in windows
            })
            for r in rows
        }

    async def purchase_items(self, first_id: int, last_id: int, since: datetime,
                             now: datetime) -> list[PurchaseItems]:
        rows = await self._conn.execute(
            select(purchases.c.member_id, purchases.c.purchased_at, purchases.c["items"])
            .where(purchases.c.member_id.between(first_id, last_id), purchases.c.purchased_at > since,
                   purchases.c.purchased_at <= now)
        )
        return [PurchaseItems(r.member_id, r.purchased_at, list(r.items)) for r in rows]

    async def save_rfm(self, first_id: int, last_id: int, window_days: int, rows: list[RfmScore],
                       now: datetime) -> None:
        kept = [r.member_id for r in rows]
        await self._conn.execute(delete(member_rfm).where(
            member_rfm.c.window_days == window_days, member_rfm.c.member_id.between(first_id, last_id),
            member_rfm.c.member_id.not_in(kept),
        ))
        if not rows:
            return
        stmt = self._insert(member_rfm)
        figures = ("last_purchase_at", "recency_days", "frequency", "monetary_cents", "previous_monetary_cents",
                   "trend_bp", "top_categories", "computed_at")
        await self._conn.execute(
            stmt.on_conflict_do_update(index_elements=["member_id", "window_days"],
                                       set_={c: getattr(stmt.excluded, c) for c in figures}),
            [dict(member_id=r.member_id, window_days=window_days, last_purchase_at=r.last_purchase_at,
                  recency_days=r.recency_days, frequency=r.frequency, monetary_cents=r.monetary_cents,
                  previous_monetary_cents=r.previous_monetary_cents, trend_bp=r.trend_bp,
                  top_categories=r.top_categories, computed_at=now) for r in rows],
        )

    async def drop_windows_except(self, windows: Sequence[int]) -> None:
        await self._conn.execute(delete(member_rfm).where(member_rfm.c.window_days.not_in(list(windows))))

    async def rank_window(self, window_days: int) -> int:
        """One UPDATE … FROM over the window: NTILE needs every row of the window at once."""
        in_window = member_rfm.c.window_days == window_days
        ranked = (
            select(
                member_rfm.c.member_id,
                func.ntile(5).over(order_by=(member_rfm.c.last_purchase_at, member_rfm.c.member_id)).label("r"),
                func.ntile(5).over(order_by=(member_rfm.c.frequency, member_rfm.c.member_id)).label("f"),
                func.ntile(5).over(order_by=(member_rfm.c.monetary_cents, member_rfm.c.member_id)).label("m"),
            ).where(in_window).subquery("ranked")
        )
        result = await self._conn.execute(
            update(member_rfm).where(in_window, member_rfm.c.member_id == ranked.c.member_id)
            .values(r_score=ranked.c.r, f_score=ranked.c.f, m_score=ranked.c.m)
        )
        return result.rowcount

    async def lifecycles(self, member_ids: Sequence[int]) -> dict[int, Lifecycle]:
        if not member_ids:
            return {}
        rows = await self._conn.execute(select(member_lifecycle)
                                        .where(member_lifecycle.c.member_id.in_(list(member_ids))))
        return {r.member_id: _lifecycle(r) for r in rows}

    async def save_lifecycles(self, changed: list[Lifecycle], changes: list[StageChange], now: datetime) -> None:
        if changed:
            stmt = self._insert(member_lifecycle)
            await self._conn.execute(
                stmt.on_conflict_do_update(index_elements=["member_id"], set_={
                    c: getattr(stmt.excluded, c) for c in ("stage", "since", "last_purchase_at", "updated_at")
                }),
                [dict(member_id=c.member_id, stage=c.stage.value, since=c.since, last_purchase_at=c.last_purchase_at,
                      updated_at=now) for c in changed],
            )
        if changes:
            await self._conn.execute(insert(lifecycle_changes), [
                dict(member_id=c.member_id, from_stage=c.from_stage.value if c.from_stage else None,
                     to_stage=c.to_stage.value, created_at=c.at) for c in changes
            ])

    async def rfm_of(self, member_ids: Sequence[int]) -> dict[int, list[RfmScore]]:
        if not member_ids:
            return {}
        found: dict[int, list[RfmScore]] = {}
        rows = await self._conn.execute(select(member_rfm).where(member_rfm.c.member_id.in_(list(member_ids)))
                                        .order_by(member_rfm.c.member_id, member_rfm.c.window_days))
        for row in rows:
            found.setdefault(row.member_id, []).append(_rfm(row))
        return found

    async def stage_history(self, member_id: int, limit: int,
                            before: tuple[datetime, int] | None = None) -> list[StageChange]:
        query = select(lifecycle_changes).where(lifecycle_changes.c.member_id == member_id)
        if before is not None:
            query = query.where(tuple_(lifecycle_changes.c.created_at, lifecycle_changes.c.id) < tuple_(*before))
        rows = await self._conn.execute(
            query.order_by(lifecycle_changes.c.created_at.desc(), lifecycle_changes.c.id.desc()).limit(limit))
        return [StageChange(r.member_id, Stage(r.from_stage) if r.from_stage else None, Stage(r.to_stage),
                            r.created_at, r.id) for r in rows]

    async def count_stage_changes(self, member_id: int) -> int:
        return int(await self._conn.scalar(
            select(func.count()).select_from(lifecycle_changes)
            .where(lifecycle_changes.c.member_id == member_id)) or 0)

    @staticmethod
    def _key(query: MemberQuery) -> Column[int]:
        """The member id column the query starts from: the narrowest table a criterion names, so a
        stage or RFM segment never scans every member."""
        if query.rfm is not None:
            return member_rfm.c.member_id
        if query.stages is not None:
            return member_lifecycle.c.member_id
        return members.c.id

    def _matching(self, query: MemberQuery, selected: Select, key: Column[int]) -> Select:
        if key is members.c.id:
            selected = selected.where(self._profiled)  # stage and RFM rows exist for profiled members only
        if query.rfm is not None:
            rfm = query.rfm
            selected = selected.where(member_rfm.c.window_days == rfm.window_days)
            for column, score_range in (("r_score", rfm.recency), ("f_score", rfm.frequency),
                                        ("m_score", rfm.monetary)):
                if score_range is not None:
                    selected = selected.where(member_rfm.c[column].between(score_range.low, score_range.high))
            if rfm.cells:
                selected = selected.where(or_(*(
                    and_(*(member_rfm.c[col] == int(digit) for col, digit in zip(_SCORES, cell, strict=True)))
                    for cell in sorted(set(rfm.cells))
                )))
        if query.stages is not None:
            if key is not member_lifecycle.c.member_id:
                selected = selected.join(member_lifecycle, member_lifecycle.c.member_id == key)
            selected = selected.where(member_lifecycle.c.stage.in_([s.value for s in query.stages]))
        if query.tier_ids is not None:
            selected = selected.outerjoin(member_tiers, member_tiers.c.member_id == key)
            in_tiers = member_tiers.c.tier_id.in_(query.tier_ids)
            selected = selected.where(or_(in_tiers, member_tiers.c.tier_id.is_(None)) if query.include_untiered
                                      else in_tiers)
        if query.tags:
            if key is not members.c.id:
                selected = selected.join(members, members.c.id == key)
            selected = selected.where(self._has_any_tag(query.tags))
        return selected

    def _has_any_tag(self, tags: list[str]) -> ColumnElement[bool]:
        """Tags are a JSON list per member; each database spells "unnest it" its own way."""
        if self._conn.dialect.name == "postgresql":
            elements = func.json_array_elements_text(members.c.tags).table_valued("value").alias("member_tag")
        else:
            elements = func.json_each(members.c.tags).table_valued("value").alias("member_tag")
        return exists(select(literal_column("1")).select_from(elements).where(elements.c.value.in_(tags)))

    async def find(self, query: MemberQuery, after_member_id: int, limit: int) -> list[int]:
        key = self._key(query)
        selected = self._matching(query, select(key).select_from(key.table), key)
        rows = await self._conn.execute(selected.where(key > after_member_id).order_by(key).limit(limit))
        return [r[0] for r in rows]

    def matching_ids(self, query: MemberQuery) -> Select:
        """The member ids a segment selects, as a subquery other statements build on (campaigns)."""
        key = self._key(query)
        return self._matching(query, select(key.label("member_id")).select_from(key.table), key)

    async def count(self, query: MemberQuery) -> int:
        key = self._key(query)
        selected = self._matching(query, select(func.count()).select_from(key.table), key)
        return int(await self._conn.scalar(selected))
