"""The SQL unit of work: one connection, one transaction, events published after commit."""

from __future__ import annotations

import hashlib
import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.events import Event
from domain.ports import Broker
from domain.store.auth_repo import (
    SqlAuditLog,
    SqlLoginCodeRepository,
    SqlRefreshTokenRepository,
    SqlStaffRepository,
)
from domain.store.checkins_repo import SqlCheckInRepository
from domain.store.community_repo import SqlCommunityRepository
from domain.store.coupons_repo import SqlCouponRepository
from domain.store.kpis_repo import SqlKpiRepository
from domain.store.meetups_repo import SqlEventRepository
from domain.store.members_repo import SqlMemberRepository
from domain.store.partners_repo import SqlPartnerRepository
from domain.store.points_repo import SqlPointsRepository
from domain.store.program_repo import SqlIdempotencyRepository, SqlRulesRepository
from domain.store.purchases_repo import SqlPurchaseRepository
from domain.store.rewards_repo import SqlRewardRepository
from domain.store.tiers_repo import SqlTierRepository
from domain.store.webhooks_repo import SqlWebhookRepository

log = logging.getLogger(__name__)


class SqlUnitOfWork:
    """Re-enterable: each `async with` is a fresh transaction, rolled back unless committed."""

    def __init__(self, engine: AsyncEngine, broker: Broker) -> None:
        self._engine = engine
        self._broker = broker
        self._conn: AsyncConnection | None = None
        self._events: list[Event] = []
        self._committed = False

    async def __aenter__(self) -> SqlUnitOfWork:
        if self._conn is not None:
            raise RuntimeError("unit of work is already open")
        conn = await self._engine.connect()
        try:
            await conn.begin()
        except BaseException:
            await conn.close()
            raise
        self._conn = conn
        self._events = []
        self._committed = False
        self.members = SqlMemberRepository(conn)
        self.login_codes = SqlLoginCodeRepository(conn)
        self.refresh_tokens = SqlRefreshTokenRepository(conn)
        self.staff = SqlStaffRepository(conn)
        self.audit = SqlAuditLog(conn)
        self.points = SqlPointsRepository(conn)
        self.purchases = SqlPurchaseRepository(conn)
        self.idempotency = SqlIdempotencyRepository(conn)
        self.rules = SqlRulesRepository(conn)
        self.tiers = SqlTierRepository(conn)
        self.rewards = SqlRewardRepository(conn)
        self.coupons = SqlCouponRepository(conn)
        self.checkins = SqlCheckInRepository(conn)
        self.community = SqlCommunityRepository(conn)
        self.meetups = SqlEventRepository(conn)
        self.partners = SqlPartnerRepository(conn)
        self.webhooks = SqlWebhookRepository(conn)
        self.kpis = SqlKpiRepository(conn)
        return self

    async def __aexit__(self, *exc: object) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            if not self._committed:
                await conn.rollback()
        finally:
            await conn.close()
        # Published once the connection is back in the pool, so a slow broker holds no database resources.
        events, self._events = (self._events if self._committed else []), []
        for evt in events:
            try:
                await self._broker.publish(evt.channel, {"type": type(evt).__name__, **evt.__dict__})
            except Exception:  # the commit stands; subscribers resync from the database
                log.exception("could not publish %s", type(evt).__name__)

    async def commit(self) -> None:
        if self._conn is None:
            raise RuntimeError("commit outside a unit of work")
        await self._conn.commit()
        self._committed = True

    async def lock(self, name: str) -> None:
        if self._conn is None:
            raise RuntimeError("lock outside a unit of work")
        if self._conn.dialect.name == "postgresql":
            key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
            await self._conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
        # SQLite transactions already run one at a time (BEGIN IMMEDIATE).

    def publish_after_commit(self, event: Event) -> None:
        self._events.append(event)
