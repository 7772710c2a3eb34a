"""Rewards (with atomic stock) and redemptions."""

from __future__ import annotations

import functools
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import Row, Select, and_, bindparam, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.benefits.model import LimitPeriod, Redemption, RedemptionStatus, Reward, RewardKind
from domain.benefits.ports import RewardFilter, RewardSort
from domain.response_cache.dependencies import Group
from domain.store.answer_versions import NARROW
from domain.store.tables import redemptions, rewards

# Stock moves on every redemption and no cached field shows it: it moves its own group, not the catalog's.
STOCK_ONLY = {NARROW: (Group.CATALOG_STOCK,)}


@functools.cache
def _browse_statement(category: bool, max_price: bool, max_tier_rank: bool, on_offer: bool, sort: RewardSort,
                      after: bool) -> Select:
    """The catalog query for one combination of filters, built once with bound parameters (the
    affordable-rewards list is on every home screen; see points_repo)."""
    query = select(rewards).where(rewards.c.active.is_(True))
    if category:
        query = query.where(rewards.c.category == bindparam("category", type_=rewards.c.category.type))
    if max_price:
        query = query.where(rewards.c.points_price <= bindparam("max_price", type_=rewards.c.points_price.type))
    if max_tier_rank:
        query = query.where(rewards.c.min_tier_rank <= bindparam("max_tier_rank", type_=rewards.c.min_tier_rank.type))
    if on_offer:
        moment = bindparam("moment", type_=rewards.c.valid_from.type)
        query = query.where(or_(rewards.c.valid_from.is_(None), rewards.c.valid_from <= moment),
                            or_(rewards.c.valid_until.is_(None), rewards.c.valid_until > moment))
    key = rewards.c.points_price if sort is not RewardSort.NEWEST else rewards.c.id
    descending = sort is not RewardSort.PRICE_ASC
    if after:
        value = bindparam("after_value", type_=key.type)
        last_id = bindparam("after_id", type_=rewards.c.id.type)
        if descending:
            query = query.where(or_(key < value, and_(key == value, rewards.c.id < last_id)))
        else:
            query = query.where(or_(key > value, and_(key == value, rewards.c.id > last_id)))
    order = (key.desc(), rewards.c.id.desc()) if descending else (key.asc(), rewards.c.id.asc())
    return query.order_by(*order).limit(bindparam("limit"))


def _reward(row: Row) -> Reward:
    return Reward(
        id=row.id, name=row.name, category=row.category, kind=RewardKind(row.kind), points_price=row.points_price,
        stock=row.stock, per_member_limit=row.per_member_limit, limit_period=LimitPeriod(row.limit_period),
        min_tier_rank=row.min_tier_rank, valid_from=row.valid_from, valid_until=row.valid_until,
        voucher_valid_days=row.voucher_valid_days, description=row.description, image_urls=list(row.image_urls),
        active=row.active, created_at=row.created_at, cash_price_cents=row.cash_price_cents,
    )


def _redemption(row: Row) -> Redemption:
    return Redemption(row.id, row.member_id, row.reward_id, row.quantity, row.points_spent, row.voucher_code,
                      RedemptionStatus(row.status), row.entry_id, row.created_at, row.expires_at, row.used_at,
                      row.cancelled_at, row.cash_paid_cents, row.payment_reference, row.used_store_id)


class SqlRewardRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def save(self, reward: Reward, now: datetime) -> Reward:
        values = dict(
            name=reward.name, description=reward.description, category=reward.category, kind=reward.kind.value,
            points_price=reward.points_price, stock=reward.stock, per_member_limit=reward.per_member_limit,
            limit_period=reward.limit_period.value, min_tier_rank=reward.min_tier_rank, valid_from=reward.valid_from,
            valid_until=reward.valid_until, voucher_valid_days=reward.voucher_valid_days,
            image_urls=list(reward.image_urls), active=reward.active, cash_price_cents=reward.cash_price_cents,
        )
        if reward.id:
            statement = update(rewards).where(rewards.c.id == reward.id).values(**values)
        else:
            statement = insert(rewards).values(**values, created_at=now)
        return _reward((await self._conn.execute(statement.returning(*rewards.c))).one())

    async def get(self, reward_id: int) -> Reward | None:
        row = (await self._conn.execute(select(rewards).where(rewards.c.id == reward_id))).first()
        return _reward(row) if row else None

    async def get_many(self, reward_ids: list[int]) -> dict[int, Reward]:
        if not reward_ids:
            return {}
        rows = await self._conn.execute(select(rewards).where(rewards.c.id.in_(reward_ids)))
        return {r.id: _reward(r) for r in rows}

    async def take_stock(self, reward_id: int, quantity: int) -> bool:
        # The WHERE clause is the guard: concurrent redeemers queue on the row lock and the
        # ones arriving after stock ran out update nothing.
        result = await self._conn.execute(
            update(rewards)
            .where(rewards.c.id == reward_id, or_(rewards.c.stock.is_(None), rewards.c.stock >= quantity))
            .values(stock=rewards.c.stock - quantity)
            .execution_options(**STOCK_ONLY)
        )
        return result.rowcount == 1

    async def return_stock(self, reward_id: int, quantity: int) -> None:
        await self._conn.execute(
            update(rewards).where(rewards.c.id == reward_id, rewards.c.stock.is_not(None))
            .values(stock=rewards.c.stock + quantity)
            .execution_options(**STOCK_ONLY)
        )

    async def browse(self, flt: RewardFilter, sort: RewardSort, after: tuple[int, int] | None,
                     limit: int) -> list[Reward]:
        shape = (flt.category is not None, flt.max_price is not None, flt.max_tier_rank is not None,
                 flt.on_offer_at is not None, sort, after is not None)
        params: dict[str, object] = {"limit": limit, "category": flt.category, "max_price": flt.max_price,
                                     "max_tier_rank": flt.max_tier_rank, "moment": flt.on_offer_at}
        if after is not None:
            params["after_value"], params["after_id"] = after
        rows = await self._conn.execute(_browse_statement(*shape), params)
        return [_reward(r) for r in rows]

    async def redeemed_since(self, member_id: int, reward_id: int, since: datetime) -> int:
        return int(await self._conn.scalar(
            select(func.coalesce(func.sum(redemptions.c.quantity), 0)).where(
                redemptions.c.member_id == member_id, redemptions.c.reward_id == reward_id,
                redemptions.c.created_at >= since, redemptions.c.status != RedemptionStatus.CANCELLED.value,
            )
        ))

    async def redeemed_quantities(self, member_id: int, reward_ids: list[int],
                                  since: datetime) -> list[tuple[int, datetime, int]]:
        """(reward id, when, quantity) of the member's live redemptions of these rewards since `since`."""
        if not reward_ids:
            return []
        rows = await self._conn.execute(
            select(redemptions.c.reward_id, redemptions.c.created_at, redemptions.c.quantity).where(
                redemptions.c.member_id == member_id, redemptions.c.reward_id.in_(reward_ids),
                redemptions.c.created_at >= since, redemptions.c.status != RedemptionStatus.CANCELLED.value,
            ))
        return [(r.reward_id, r.created_at, r.quantity) for r in rows]

    async def add_redemption(self, member_id: int, reward_id: int, quantity: int, points: int, code: str,
                             entry_id: int, now: datetime, expires_at: datetime, cash_cents: int = 0,
                             payment_reference: str | None = None) -> Redemption:
        row = (await self._conn.execute(
            insert(redemptions).values(
                member_id=member_id, reward_id=reward_id, quantity=quantity, points_spent=points, voucher_code=code,
                status=RedemptionStatus.ISSUED.value, entry_id=entry_id, created_at=now, expires_at=expires_at,
                cash_paid_cents=cash_cents, payment_reference=payment_reference,
            ).returning(*redemptions.c)
        )).one()
        return _redemption(row)

    async def redemption(self, redemption_id: int, for_update: bool = False) -> Redemption | None:
        query = select(redemptions).where(redemptions.c.id == redemption_id)
        row = (await self._conn.execute(query.with_for_update() if for_update else query)).first()
        return _redemption(row) if row else None

    async def redemptions_by_ids(self, redemption_ids: list[int]) -> dict[int, Redemption]:
        if not redemption_ids:
            return {}
        rows = await self._conn.execute(select(redemptions).where(redemptions.c.id.in_(redemption_ids)))
        return {r.id: _redemption(r) for r in rows}

    async def redemption_by_code(self, code: str, for_update: bool = False) -> Redemption | None:
        query = select(redemptions).where(redemptions.c.voucher_code == code)
        row = (await self._conn.execute(query.with_for_update() if for_update else query)).first()
        return _redemption(row) if row else None

    async def set_status(self, redemption_id: int, expected: RedemptionStatus, new: RedemptionStatus,
                         now: datetime, store_id: str | None = None) -> bool:
        stamp: dict[str, object] = ({"used_at": now, "used_store_id": store_id} if new is RedemptionStatus.USED
                                    else {"cancelled_at": now})
        result = await self._conn.execute(
            update(redemptions)
            .where(redemptions.c.id == redemption_id, redemptions.c.status == expected.value)
            .values(status=new.value, **stamp)
        )
        return result.rowcount == 1

    async def count_member_redemptions(self, member_id: int, stores: Collection[str] | None = None) -> int:
        query = select(func.count()).select_from(redemptions).where(redemptions.c.member_id == member_id)
        if stores is not None:
            query = query.where(redemptions.c.used_store_id.in_(list(stores)))
        return int(await self._conn.scalar(query) or 0)

    async def member_redemptions(self, member_id: int, before: int | None, limit: int,
                                 stores: Collection[str] | None = None) -> list[Redemption]:
        query = select(redemptions).where(redemptions.c.member_id == member_id)
        if stores is not None:
            query = query.where(redemptions.c.used_store_id.in_(list(stores)))
        if before is not None:
            query = query.where(redemptions.c.id < before)
        rows = await self._conn.execute(query.order_by(redemptions.c.id.desc()).limit(limit))
        return [_redemption(r) for r in rows]

    async def redemption_by_payment(self, payment_reference: str) -> Redemption | None:
        row = (await self._conn.execute(
            select(redemptions).where(redemptions.c.payment_reference == payment_reference))).first()
        return _redemption(row) if row else None
