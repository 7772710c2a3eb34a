"""Long-lived resources built once per process: engine, Redis, cache, broker, token keys."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.auth import JwtTokens
from api.jobs import job_names, observe_jobs
from api.metrics import (
    CountingCache,
    CountingCodeSender,
    TimedRedis,
    breaker_tripped,
    job_finished,
    watch_pool,
)
from api.settings import Settings
from api.sms import DevCodeSink
from api.sms_proof import SignedDeviceNonce
from api.token_drops import TokenDroppingBroker
from domain.auth.codes import LoginCodePolicy
from domain.auth.sessions import SessionIssuer, SessionPolicy
from domain.auth.staff import PasswordHasher, StaffSignInGuard
from domain.auth.viewer import Viewer
from domain.clock import Clock
from domain.deps import Deps
from domain.ports import Broker, Cache, CodeSender, Presence, ProofVerifier, RateLimiter
from domain.store.answer_versions import AnswerStore, InProcessAnswerStore, RedisAnswerStore, record_written_groups
from domain.store.breaker import CircuitBreaker
from domain.store.broker import InProcessBroker, RedisBroker
from domain.store.cache import InProcessCache, RedisCache
from domain.store.cache_repairs import SqlCacheRepairs
from domain.store.database import create_engine, create_read_engine
from domain.store.presence import InProcessPresence, RedisPresence
from domain.store.program_snapshot import ProgramSnapshot
from domain.store.rate_limit import InProcessRateLimiter, RedisRateLimiter
from domain.store.replica import InProcessPins, RedisPins, ReplicaRouter
from domain.store.unit_of_work import SharedReads, SqlUnitOfWork

log = logging.getLogger(__name__)

REDIS_TIMEOUT_SECONDS = 0.1


@dataclass
class Container:
    settings: Settings
    tokens: JwtTokens
    cache: Cache
    broker: Broker
    code_sender: CodeSender
    login_policy: LoginCodePolicy
    session_policy: SessionPolicy
    limiter: RateLimiter

    def __post_init__(self) -> None:
        bouncer = self.settings.database_pgbouncer
        self.engine = create_engine(self.settings.database_url, self.settings.db_pool_size, bouncer)
        self.read_engine = create_read_engine(self.settings.database_url, self.engine, self.settings.db_pool_size,
                                              bouncer)
        replica_url = self.settings.database_replica_url
        self.replica_engine = (create_read_engine(replica_url, self.engine, self.settings.db_pool_size, bouncer)
                               if replica_url else None)
        self.redis: Redis | None = None
        self.sentinel: Sentinel | None = None
        self.router = ReplicaRouter(self.read_engine, self.replica_engine, InProcessPins(),
                                    self.settings.read_your_writes_seconds)
        self.timezone = ZoneInfo(self.settings.program_timezone)
        self.program = ProgramSnapshot()
        # The response cache's versions (api/response_cache.py): what each write transaction wrote moves them.
        record_written_groups(self.engine)
        self.answers: AnswerStore = InProcessAnswerStore()
        # `now` is looked up per call, so a test that moves the container's clock moves this one too.
        self.clock = Clock(self.timezone, lambda: self.now())
        self.presence: Presence = InProcessPresence()
        self.staff_guard = StaffSignInGuard(
            max_failures_per_user=self.settings.staff_max_failures_per_user,
            max_failures_per_address=self.settings.staff_max_failures_per_address,
            lock_seconds=self.settings.staff_lock_seconds)
        self.password_hasher = PasswordHasher(self.staff_guard)
        self.job_names = job_names()  # runJob accepts these (api/jobs.py)
        self.proof_verifier: ProofVerifier | None = (
            SignedDeviceNonce(self.settings.sms_proof_secret, self.uow) if self.settings.sms_proof_secret else None)

    def uow(self, shared_reads: SharedReads | None = None, subject: str | None = None) -> SqlUnitOfWork:
        """`subject` names the caller ("member:7"): with a read replica, its writes pin its reads."""
        return SqlUnitOfWork(self.engine, self.broker, shared_reads, self.read_engine, self.program,
                             cache=self.cache, clock=self.clock.now, router=self.router, subject=subject,
                             answers=self.answers)

    @property
    def session_issuer(self) -> SessionIssuer:
        return SessionIssuer(self.tokens, self.session_policy)

    def deps(self, viewer: Viewer, shared_reads: SharedReads | None = None) -> Deps:
        return Deps(self.uow(shared_reads), self.cache, self.clock, viewer)

    def shared_reads(self, subject: str | None = None) -> SharedReads | None:
        """A request's one connection for its reads (PostgreSQL; SQLite serialises reads anyway): on
        the replica when there is one, unless this caller's own recent write has not reached it."""
        if self.read_engine is self.engine:
            return None
        if not self.router.enabled:
            return SharedReads(self.read_engine)
        return SharedReads(self.read_engine, connect=lambda: self.router.connect_for(subject))

    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        return self.clock.today()

    def day_bounds(self, day: date | None = None) -> tuple[datetime, datetime]:
        return self.clock.day_bounds(day)

    async def check_ready(self) -> dict[str, str]:
        status: dict[str, str] = {}
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            status["database"] = "ok"
            status["migrations"] = await migrations_state(self.engine)
        except Exception as exc:  # readiness reports, it does not raise
            log.warning("database not ready: %s", exc)
            status["database"] = "unavailable"
        if self.redis is not None:
            try:
                await self.redis.ping()
                status["redis"] = "ok"
            except Exception as exc:
                log.warning("redis not ready: %s", exc)
                status["redis"] = "unavailable"
        return status

    async def close(self) -> None:
        await self.engine.dispose()
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()
        if self.replica_engine is not None:
            await self.replica_engine.dispose()
        await self.broker.close()
        if self.redis is not None:
            await self.redis.aclose()
            self.redis = None
        if self.sentinel is not None:
            for client in self.sentinel.sentinels:
                await client.aclose()
            self.sentinel = None


def _redis_clients(settings: Settings) -> tuple[Redis, Redis, Sentinel | None]:
    """The command client and the pub/sub listener. One quick retry on a dropped connection: after
    a Redis restart every pooled socket is stale. Redis answers in well under a millisecond; a reply
    later than REDIS_TIMEOUT_SECONDS means it is stalled, and the shared breaker then keeps cache and
    publish off it for a while. With Sentinel, each (re)connection asks the sentinels for the current
    primary, and a reply from a demoted one (READONLY) drops the connection, so a failover needs no
    restart."""
    assert settings.redis_url is not None
    fast: dict[str, Any] = dict(socket_connect_timeout=REDIS_TIMEOUT_SECONDS, socket_timeout=REDIS_TIMEOUT_SECONDS,
                retry=Retry(NoBackoff(), 1), retry_on_error=[RedisConnectionError])
    if not settings.redis_sentinels:
        return (TimedRedis.from_url(settings.redis_url, **fast),
                Redis.from_url(settings.redis_url, socket_connect_timeout=0.5), None)
    url = urlparse(settings.redis_url)
    extra: dict[str, Any] = {k: v for k, v in (("db", int(url.path.lstrip("/") or 0)),
                                                   ("password", url.password)) if v}
    sentinels = [(host, int(port)) for host, _, port in (a.rpartition(":") for a in settings.redis_sentinels)]
    sentinel = Sentinel(sentinels, socket_timeout=0.5, socket_connect_timeout=0.5)
    command = sentinel.master_for(settings.redis_sentinel_master, redis_class=TimedRedis, **fast, **extra)
    listener = sentinel.master_for(settings.redis_sentinel_master, socket_connect_timeout=0.5, **extra)
    return command, listener, sentinel


async def migrations_state(engine: AsyncEngine) -> str:
    """"ok" when the database is at the migrations' head: an app (or worker) started against a
    database nobody migrated yet must not take traffic (or jobs)."""
    from api.migrate import heads

    async with engine.connect() as conn:
        try:
            current = set((await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars())
        except Exception:
            return "not migrated"
    return "ok" if current == heads() else "behind"


def build_container(settings: Settings, code_sender: CodeSender | None = None) -> Container:
    settings = settings.validated()  # also for settings built by hand, not only from the environment
    if not settings.jwt_keys:
        settings = settings.with_dev_key()
        log.warning(
            "!!! No JWT_KEYS set: using a generated development signing key (var/dev-jwt.key). "
            "Never run production like this. !!!"
        )
    if code_sender is None:
        if settings.is_production:
            raise ValueError("production needs an SMS sender: pass code_sender to create_app")
        code_sender = DevCodeSink(settings.sms_sink_path)
    code_sender = CountingCodeSender(code_sender)
    redis = None
    cache: Cache
    broker: Broker
    if settings.redis_url:
        # One quick retry on a dropped connection: after a Redis restart every pooled socket is stale.
        # Redis answers in well under a millisecond; a reply later than REDIS_TIMEOUT_SECONDS means
        # it is stalled, and the shared breaker then keeps cache and publish off it for a while.
        redis, listener, sentinel = _redis_clients(settings)
        breaker = CircuitBreaker()
        breaker.on_trip = breaker_tripped
        cache = RedisCache(redis, settings.redis_prefix, breaker,
                           replicas_to_ack=1 if settings.redis_sentinels else 0)
        broker = RedisBroker(redis, listener, settings.redis_prefix, breaker=breaker)
        limiter: RateLimiter = RedisRateLimiter(redis, settings.redis_prefix)
        presence: Presence = RedisPresence(redis, settings.redis_prefix)
    else:
        cache = InProcessCache()
        broker = InProcessBroker()
        limiter = InProcessRateLimiter()
        presence = InProcessPresence()
    tokens = JwtTokens(settings)
    container = Container(
        settings=settings,
        tokens=tokens,
        cache=cache,
        broker=TokenDroppingBroker(broker, tokens),
        code_sender=code_sender,
        login_policy=LoginCodePolicy(
            ttl_seconds=settings.login_code_ttl_seconds,
            max_attempts=settings.login_code_max_attempts,
            resend_interval_seconds=settings.login_code_resend_seconds,
            max_per_hour=settings.login_codes_per_hour,
            country_codes=settings.sms_country_codes,
            per_address_per_hour=settings.sms_per_address_per_hour,
            global_per_hour=settings.sms_global_per_hour,
            proof_after_per_address=settings.sms_proof_after_per_address,
            proof_above_global_percent=settings.sms_proof_above_global_percent,
        ),
        session_policy=SessionPolicy(refresh_ttl_seconds=settings.refresh_ttl_seconds),
        limiter=limiter,
    )
    container.redis = redis
    container.sentinel = sentinel if settings.redis_url else None
    if redis is not None:
        container.router = ReplicaRouter(container.read_engine, container.replica_engine,
                                         RedisPins(redis, settings.redis_prefix, breaker),
                                         settings.read_your_writes_seconds)
    if isinstance(cache, RedisCache) and redis is not None:
        # In the database, shared by every worker: see RedisCache.
        cache.use_repairs(SqlCacheRepairs(container.engine, container.read_engine))
        # Shared by every worker and instance; a lost version bump goes on the same repair list.
        container.answers = RedisAnswerStore(redis, settings.redis_prefix, cache,
                                             versions_ttl_seconds=2 * settings.response_cache_ttl_seconds)
    container.presence = presence
    container.cache = CountingCache(container.cache)  # after use_repairs: it looks for the RedisCache
    watch_pool(container.engine, "write")
    if container.read_engine is not container.engine:
        watch_pool(container.read_engine, "read")
    observe_jobs(job_finished)
    return container
