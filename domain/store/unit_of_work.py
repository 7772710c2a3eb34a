"""The SQL unit of work: one connection, one transaction, events published after commit."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Generic, TypeVar, overload

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.errors import Unauthenticated
from domain.events import Event
from domain.members.model import ERASED_PHONE_PREFIX
from domain.members.services import profile_entries
from domain.points.balance import balance_fences
from domain.ports import Broker, Cache
from domain.response_cache.dependencies import Group
from domain.store.answer_validity_repo import SqlAnswerValidityRepository
from domain.store.answer_versions import WRITTEN, AnswerStore, Bumps, bumps_for
from domain.store.auth_repo import (
    SqlAuditLog,
    SqlLoginCodeRepository,
    SqlRefreshTokenRepository,
    SqlStaffRepository,
)
from domain.store.automation_repo import SqlAutomationRepository
from domain.store.checkins_repo import SqlCheckInRepository
from domain.store.community_repo import SqlCommunityRepository
from domain.store.coupon_codes_repo import SqlCouponCodeRepository
from domain.store.coupon_shares_repo import SqlCouponShareRepository
from domain.store.coupons_repo import SqlCouponRepository
from domain.store.entitlements_repo import SqlEntitlementRepository
from domain.store.exports_repo import SqlExportRepository
from domain.store.gamification_repo import SqlGamificationRepository
from domain.store.holds_repo import SqlHoldRepository
from domain.store.idempotency_repo import SqlIdempotencyRepository
from domain.store.jobs_repo import SqlJobRunRepository
from domain.store.kpi_rollups_repo import SqlKpiRollupRepository
from domain.store.kpis_repo import SqlKpiRepository
from domain.store.meetups_repo import SqlMeetupRepository
from domain.store.member_import_repo import SqlMemberImportRepository
from domain.store.member_merge_repo import SqlMemberMergeRepository
from domain.store.members_repo import SqlMemberRepository
from domain.store.messaging_repo import SqlMessagingRepository
from domain.store.partners_repo import SqlPartnerRepository
from domain.store.points_repo import SqlPointsRepository
from domain.store.privacy_repo import SqlPrivacyRepository
from domain.store.program_repo import SqlRulesRepository
from domain.store.program_snapshot import ProgramSnapshot
from domain.store.purchase_import_repo import SqlPurchaseImportRepository
from domain.store.purchases_repo import SqlPurchaseRepository
from domain.store.replica import ReplicaRouter
from domain.store.rewards_repo import SqlRewardRepository
from domain.store.segments_repo import SqlSegmentRepository
from domain.store.service_cases_repo import SqlServiceCaseRepository
from domain.store.store_reports_repo import SqlStoreReportRepository
from domain.store.surveys_repo import SqlSurveyRepository
from domain.store.tables import members
from domain.store.throttle_repo import SqlThrottleRepository
from domain.store.tiers_repo import SqlTierRepository
from domain.store.webhooks_repo import SqlWebhookRepository
from domain.webhooks.catalogue import enqueue_events

log = logging.getLogger(__name__)


_R = TypeVar("_R")


class _Repository(Generic[_R]):
    """A repository of a unit of work, built on first use in each block on the block's connection.
    A unit of work offers ~38 repositories and a member read uses two or three: building all of
    them at every `async with` was the largest own-time item of the app in the home-query profile
    (six blocks per query)."""

    def __init__(self, kind: type[_R], build: Callable[[SqlUnitOfWork, AsyncConnection], _R] | None = None) -> None:
        self._build = build or (lambda _uow, conn: kind(conn))  # type: ignore[call-arg]
        self._name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, uow: None, owner: type | None = None) -> _Repository[_R]: ...
    @overload
    def __get__(self, uow: SqlUnitOfWork, owner: type | None = None) -> _R: ...
    def __get__(self, uow: SqlUnitOfWork | None, owner: type | None = None) -> _R | _Repository[_R]:
        if uow is None:
            return self
        if uow._repository_conn is None:
            raise RuntimeError("unit of work is not open")
        repository = self._build(uow, uow._repository_conn)
        # In the instance's __dict__, later reads in this block skip the descriptor; _open drops it.
        uow.__dict__[self._name] = repository
        uow._built.append(self._name)
        return repository


def _program_aware(kind: Callable[..., _R]) -> Callable[[SqlUnitOfWork, AsyncConnection], _R]:
    # Writes use the program snapshot too: see program_snapshot for why that is safe.
    return lambda uow, conn: kind(conn, uow._program, uow._note_program_saved)


class SharedReads:
    """One pooled PostgreSQL connection for all the read-only units of work of one request, used
    one block at a time. A request's resolvers run concurrently, and each would otherwise check out
    (and pre-ping) a connection of its own: four for the member home screen, so a handful of
    concurrent requests exhaust a worker's pool. `engine` is the autocommit read engine (see
    `SqlUnitOfWork.read_only`); `close()` returns the connection to the pool when the request is done."""

    def __init__(self, engine: AsyncEngine,
                 connect: Callable[[], Awaitable[AsyncConnection]] | None = None) -> None:
        self._engine = engine
        # With a read replica, the router picks the connection (replica, or primary for a recent writer).
        self._connect = connect or engine.connect
        self._conn: AsyncConnection | None = None
        self._lock = asyncio.Lock()
        self._closed = False

    async def acquire(self) -> AsyncConnection | None:
        """The shared connection, held until `release()`; None once the request is done (work still
        running then, such as an abandoned loader batch, must use a connection it closes itself)."""
        await self._lock.acquire()
        if self._closed:
            self._lock.release()
            return None
        try:
            if self._conn is None:
                self._conn = await self._connect()
            return self._conn
        except BaseException:
            self._lock.release()
            raise

    async def release(self) -> None:
        try:
            if self._conn is not None:
                # Ends SQLAlchemy's bookkeeping transaction; in autocommit nothing goes to the server.
                await self._conn.rollback()
        except BaseException:
            conn, self._conn = self._conn, None
            if conn is not None:
                await conn.close()
            raise
        finally:
            self._lock.release()

    async def close(self) -> None:
        async with self._lock:
            self._closed = True
            conn, self._conn = self._conn, None
            if conn is not None:
                await conn.close()


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SqlUnitOfWork:
    """Re-enterable: each `async with` is a fresh transaction, rolled back unless committed.

    It owns the duties around a commit, so a use case cannot forget one: the results owed to
    claimed idempotency keys are stored (a commit without one is refused); the cached balance of
    every account, and the cached profile of every member, whose version the transaction moved
    is written through (computed inside the transaction, so it is exactly what committed); then
    the collected events are published."""

    _program: ProgramSnapshot | None
    members = _Repository(SqlMemberRepository)
    login_codes = _Repository(SqlLoginCodeRepository)
    refresh_tokens = _Repository(SqlRefreshTokenRepository)
    staff = _Repository(SqlStaffRepository)
    audit = _Repository(SqlAuditLog)
    points = _Repository(SqlPointsRepository)
    purchases = _Repository(SqlPurchaseRepository)
    holds = _Repository(SqlHoldRepository)
    idempotency = _Repository(SqlIdempotencyRepository)
    rules = _Repository(SqlRulesRepository, _program_aware(SqlRulesRepository))
    tiers = _Repository(SqlTierRepository, _program_aware(SqlTierRepository))
    rewards = _Repository(SqlRewardRepository)
    coupons = _Repository(SqlCouponRepository)
    coupon_codes = _Repository(SqlCouponCodeRepository)
    coupon_shares = _Repository(SqlCouponShareRepository)
    member_imports = _Repository(SqlMemberImportRepository)
    exports = _Repository(SqlExportRepository)
    member_merges = _Repository(SqlMemberMergeRepository)
    checkins = _Repository(SqlCheckInRepository)
    community = _Repository(SqlCommunityRepository)
    meetups = _Repository(SqlMeetupRepository)
    partners = _Repository(SqlPartnerRepository)
    webhooks = _Repository(SqlWebhookRepository, _program_aware(SqlWebhookRepository))
    surveys = _Repository(SqlSurveyRepository)
    privacy = _Repository(SqlPrivacyRepository)
    segments = _Repository(SqlSegmentRepository)
    kpis = _Repository(SqlKpiRepository)
    kpi_rollups = _Repository(SqlKpiRollupRepository)
    purchase_import = _Repository(SqlPurchaseImportRepository)
    throttles = _Repository(SqlThrottleRepository)
    job_runs = _Repository(SqlJobRunRepository)
    games = _Repository(SqlGamificationRepository)
    entitlements = _Repository(SqlEntitlementRepository)
    messaging = _Repository(SqlMessagingRepository)
    automation = _Repository(SqlAutomationRepository)
    store_reports = _Repository(SqlStoreReportRepository)
    service_cases = _Repository(SqlServiceCaseRepository)
    answer_validity = _Repository(SqlAnswerValidityRepository)

    def __init__(self, engine: AsyncEngine, broker: Broker, shared_reads: SharedReads | None = None,
                 read_engine: AsyncEngine | None = None, program: ProgramSnapshot | None = None,
                 cache: Cache | None = None, clock: Callable[[], datetime] = _utc_now,
                 router: ReplicaRouter | None = None, subject: str | None = None,
                 answers: AnswerStore | None = None) -> None:
        self._engine = engine
        # The response cache's versions: moved after each commit for the groups it wrote (see answer_versions).
        self._answers = answers
        self._bumps: Bumps | None = None
        # Read replicas: after a commit, `subject` (the caller) is pinned to the primary until the
        # replica has replayed this commit, so the caller's next read shows what it just wrote.
        self._router = router if router is not None and router.enabled else None
        self._subject = subject
        self._commit_lsn: str | None = None
        self._cache = cache
        self._clock = clock
        self._write_through: list[tuple[str, int, dict[str, object] | None, int]] = []
        self._program = program
        self._program_saved = False
        self._read_engine = read_engine or engine
        self._broker = broker
        self._shared_reads = shared_reads
        self._on_shared = False
        self._conn: AsyncConnection | None = None
        # The connection repositories are built on: kept after the block ends, as the built ones keep it.
        self._repository_conn: AsyncConnection | None = None
        self._built: list[str] = []
        self._events: list[Event] = []
        self._committed = False
        self._read_only = False
        self._guarded_member: int | None = None

    def read_only(self) -> SqlUnitOfWork:
        """For the next `async with` block only."""
        self._read_only = True
        return self

    async def __aenter__(self) -> SqlUnitOfWork:
        if self._conn is not None:
            raise RuntimeError("unit of work is already open")
        try:
            return await self._enter()
        except BaseException:
            self._read_only = False  # a failed enter must not turn this object's next transaction read-only
            raise

    async def _enter(self) -> SqlUnitOfWork:
        if self._read_only and self._shared_reads is not None:
            shared = await self._shared_reads.acquire()
            if shared is not None:
                self._on_shared = True
                return self._open(shared)
        if self._read_only and self._read_engine is not self._engine:
            # The autocommit read engine (PostgreSQL): no BEGIN and no ROLLBACK, two of the round trips
            # a short read would make. At READ COMMITTED each statement takes its own snapshot inside
            # a transaction as well, so a read sees the same data either way.
            return self._open(await self._read_engine.connect())
        conn = await self._engine.connect()
        try:
            await conn.begin()
        except BaseException:
            await conn.close()
            raise
        # What this transaction writes, table by table, seen by the engine's listener (answer_versions).
        if self._read_only:
            conn.sync_connection.info.pop(WRITTEN, None)  # type: ignore[union-attr]
        else:
            conn.sync_connection.info[WRITTEN] = set()  # type: ignore[union-attr]
        return self._open(conn)

    def _open(self, conn: AsyncConnection) -> SqlUnitOfWork:
        self._conn = conn
        self._repository_conn = conn
        self._events = []
        self._write_through = []
        self._bumps = None
        self._committed = False
        self._program_saved = False
        # Repositories are built on first use (see _Repository): a read uses two or three of them.
        for name in self._built:
            del self.__dict__[name]
        self._built.clear()
        return self

    async def __aexit__(self, *exc: object) -> None:
        conn, self._conn = self._conn, None
        self._read_only = False  # for this block only: the next `async with` is a transaction again
        if conn is None:
            return
        if self._on_shared:
            self._on_shared = False
            await self._shared_reads.release()  # type: ignore[union-attr]
            return
        try:
            if not self._committed:
                await conn.rollback()
        finally:
            conn.sync_connection.info.pop(WRITTEN, None)  # type: ignore[union-attr]
            await conn.close()
        # Written and published once the connection is back in the pool, so a slow Redis holds no
        # database resources. Write-through first: a subscriber told of a change reads the new balance.
        events, self._events = (self._events if self._committed else []), []
        entries, self._write_through = (self._write_through if self._committed else []), []
        lsn, self._commit_lsn = self._commit_lsn, None
        if lsn is not None and self._router is not None and self._subject is not None:
            await self._router.pin(self._subject, lsn)
        bumps, self._bumps = (self._bumps if self._committed else None), None
        answers = self._answers if bumps else None
        # Redis known down: the versions are listed for repair before the write-through, whose own
        # listing then waits out the older leases for both (one wait per write, not two).
        listed_early = answers is not None and answers.unreachable()
        if answers is not None and bumps and listed_early:
            await answers.list_lost(bumps, wait=not (entries and self._cache is not None))
        if entries and self._cache is not None:
            try:
                await self._cache.write_through(entries)
            except Exception:  # the commit stands; readers fall back to the database
                log.exception("could not write cached balances through")
        # After the write-through: a reader that sees the new versions also reads the new balance.
        if answers is not None and bumps and not listed_early:
            await answers.bump(bumps)
        for evt in events:
            if not getattr(evt, "broadcast", True):
                continue  # read by the outbox only
            try:
                await self._broker.publish(evt.channel, {"type": type(evt).__name__, **evt.__dict__})
            except Exception:  # the commit stands; subscribers resync from the database
                log.exception("could not publish %s", type(evt).__name__)

    async def commit(self) -> None:
        if self._conn is None:
            raise RuntimeError("commit outside a unit of work")
        if self._read_only:
            raise RuntimeError("commit in a read-only unit of work")
        if self._guarded_member is not None:
            await self._check_member_not_erased(self._guarded_member)
        await self.idempotency.flush()
        # Webhooks: the outbox rows for this transaction's events commit with it (never by hand).
        await enqueue_events(self, self._events, self._clock())
        if self._cache is not None:
            self._write_through = [*await balance_fences(self, self.points.moved),
                                   *await profile_entries(self, self.members.moved)]
        written = self._conn.sync_connection.info.get(WRITTEN)  # type: ignore[union-attr]
        if written:
            merged = self._moved("member_merges")  # rows of every kind changed hands
            self._bumps = bumps_for(written, {
                Group.MEMBER_ACCOUNT: self._moved("points") | merged,
                Group.MEMBER_PROFILE: self._moved("members") | merged,
                Group.MEMBER_COUPONS: self._moved("coupons") | self._moved("coupon_shares") | merged,
                Group.MEMBER_TIER: self._moved("tiers") | self._moved("purchases") | merged})
        await self._conn.commit()
        self._committed = True
        if self._router is not None and self._subject is not None:
            self._commit_lsn = await self._router.commit_position(self._conn)
        if self._program_saved and self._program is not None:
            self._program.invalidate()

    def _moved(self, repository: str) -> set[int]:
        """The members a repository of this block reports it changed; one never used changed none
        (and is not built just to be asked)."""
        if repository not in self._built:
            return set()
        return set(getattr(self, repository).moved)

    def guard_member(self, member_id: int | None) -> None:
        self._guarded_member = member_id

    async def _check_member_not_erased(self, member_id: int) -> None:
        """Inside the transaction, just before commit: an erasure that committed meanwhile (whatever the
        cache said when the request was let in) refuses the write. FOR KEY SHARE waits for an erasure in
        progress (it holds the row FOR UPDATE) and makes one that starts now wait for this commit, so the
        erasure also scrubs what this transaction wrote; it does not block ordinary row updates."""
        assert self._conn is not None
        query = select(members.c.phone).where(members.c.id == member_id)
        if self._conn.dialect.name == "postgresql":
            query = query.with_for_update(key_share=True)
        phone = await self._conn.scalar(query)
        if phone is None or phone.startswith(ERASED_PHONE_PREFIX):
            raise Unauthenticated("This account was erased.", reason="ACCOUNT_ERASED")

    def _note_program_saved(self) -> None:
        self._program_saved = True

    async def lock(self, name: str) -> None:
        if self._conn is None:
            raise RuntimeError("lock outside a unit of work")
        if self._conn.dialect.name == "postgresql":
            key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
            await self._conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
        # SQLite transactions already run one at a time (BEGIN IMMEDIATE).

    def publish_after_commit(self, event: Event) -> None:
        self._events.append(event)
