"""Configuration from environment variables, with defaults that run on a laptop."""

from __future__ import annotations

import os
import re
import secrets
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from domain.messages import LANGUAGES

DEFAULT_DB_PATH = Path("var/loyalty.db")
_QUIET_HOURS = re.compile(r"([01]\d|2[0-3]):[0-5]\d\s*-\s*([01]\d|2[0-3]):[0-5]\d")


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default


@dataclass(frozen=True)
class Settings:
    # "production" (anything but development/test) refuses dev keys and dev login codes.
    env: str = "development"
    database_url: str = f"sqlite+aiosqlite:///{DEFAULT_DB_PATH}"  # or postgresql+asyncpg://user@host/db
    # Unset: the in-process cache and pub/sub of the embedded default (one process).
    redis_url: str | None = None
    redis_prefix: str = "loyalty:"  # every key and channel this deployment uses starts with it
    # Redis high availability: Sentinel addresses ("host:port", ...) and the name of the monitored
    # primary; when set they replace REDIS_URL's host (its database number and password still apply).
    redis_sentinels: tuple[str, ...] = ()
    redis_sentinel_master: str = "loyalty"
    # Behind PgBouncer in transaction mode a server connection serves many clients, so statements
    # cannot stay prepared on it under fixed names: DATABASE_PGBOUNCER=1 turns asyncpg's statement
    # cache off and names each prepared statement uniquely.
    database_pgbouncer: bool = False
    # A streaming replica for the reads of HTTP requests; a caller who wrote reads the primary until
    # the replica has replayed that write, or at most this long (then the replica again).
    database_replica_url: str | None = None
    read_your_writes_seconds: int = 30
    # kid -> HMAC secret; the active kid signs, every listed kid verifies (so keys can rotate).
    jwt_keys: dict[str, str] = field(default_factory=dict)
    jwt_active_kid: str = ""
    jwt_issuer: str = "loyalty"
    jwt_audience: str = "loyalty-api"
    access_ttl_seconds: int = 900
    refresh_ttl_seconds: int = 30 * 24 * 3600
    login_code_ttl_seconds: int = 300
    login_code_max_attempts: int = 5
    login_code_resend_seconds: int = 60
    login_codes_per_hour: int = 5
    sms_country_codes: tuple[str, ...] = ("86", "852", "853", "886")
    graphiql: bool = True
    # Schema discovery for clients without the SDL: on in development, off by default in production
    # (INTROSPECTION=1 / FIELD_SUGGESTIONS=1 turn them back on).
    introspection: bool = True
    field_suggestions: bool = True
    partner_requests_per_minute: int = 600
    # Each giftPoints names a recipient by phone or code; a budget per sender keeps it from
    # being a way to test which phones are members.
    gift_recipient_lookups_per_hour: int = 60
    dev_login_code: str | None = None
    sms_sink_path: str | None = None
    program_timezone: str = "Asia/Shanghai"
    max_body_bytes: int = 100_000
    max_query_depth: int = 12
    max_query_tokens: int = 2_000
    max_aliases: int = 20
    db_pool_size: int = 10
    # Websockets: open sockets per signed-in subject (per worker) and subscriptions per socket; how
    # often an open socket re-checks its member's erasure in case a pub/sub message was lost.
    ws_max_sockets_per_subject: int = 3
    ws_max_subscriptions_per_socket: int = 10
    ws_recheck_seconds: int = 60
    sms_per_address_per_hour: int = 10
    sms_global_per_hour: int = 1000
    sms_proof_after_per_address: int = 3
    sms_proof_above_global_percent: int = 50
    sms_proof_secret: str | None = None
    staff_max_failures_per_user: int = 5
    staff_max_failures_per_address: int = 20
    staff_lock_seconds: int = 60
    # Subscriptions resumed with `after` replay at most this many missed items; further behind, one resync.
    live_replay_limit: int = 100
    count_sql: bool = False  # bench mode: x-sql-statements header per request (LOYALTY_COUNT_SQL=1)
    generated_dev_key: bool = False
    # Language of member-facing messages when the caller sends no usable Accept-Language.
    default_language: str = "zh-CN"
    # Browser origins (H5 pages, web consoles) allowed to call /graphql cross-origin; empty: none.
    cors_origins: tuple[str, ...] = ()
    # Automatic persisted queries: how long a registered document stays in the (shared) cache.
    apq_ttl_seconds: int = 7 * 24 * 3600
    # A persisted-query manifest; when set, only its documents run (production for fixed app bundles).
    trusted_documents_path: str | None = None
    # Per-member response cache of persisted (APQ or trusted) queries whose every field is declared in
    # domain/response_cache/dependencies.py; RESPONSE_CACHE=0 switches it off.
    response_cache: bool = True
    # How long a cached response is kept at most (writes and the clock end it sooner).
    response_cache_ttl_seconds: int = 300
    # Background jobs (api/jobs.py): schedule overrides, JOB_SCHEDULES="expire-points=daily 01:30;deliver-webhooks=every
    # 30s"; the worker's parallel jobs; how often it proves it is alive, and after how long without that
    # another worker takes its jobs over (a killed worker's job is run again).
    job_schedules: dict[str, str] = field(default_factory=dict)
    worker_concurrency: int = 4
    worker_heartbeat_seconds: float = 10.0
    worker_stalled_seconds: float = 30.0
    # Fallback poll of the queue; new jobs normally arrive by NOTIFY at once.
    worker_poll_seconds: float = 5.0
    # SIGTERM: how long in-flight requests and jobs get to finish before the process stops anyway.
    shutdown_grace_seconds: float = 25.0
    # On SQLite, the app runs the jobs in-process (api/job_runner.py) so the embedded default behaves like
    # production. On by default from the environment (`serve`); off for apps built by hand (tests).
    run_jobs_in_process: bool = False
    # /metrics answers only with `Authorization: Bearer <this>`; unset: only to loopback callers.
    metrics_token: str | None = None
    # The worker's /readyz and /metrics (api/worker.py); 0: none.
    worker_http_host: str = "127.0.0.1"
    worker_http_port: int = 0
    # Member messages (domain/messaging). Without a provider URL a channel writes to the development
    # sink (a JSON-lines file) outside production, and is not configured (messages skipped) in production.
    message_sink_path: str = "var/messages.jsonl"
    push_provider_url: str | None = None
    push_provider_token: str | None = None
    mini_program_url: str | None = None
    mini_program_token: str | None = None
    # Mini-program subscribe-message template ids per message kind: "POINTS_EXPIRING=tmpl1,BIRTHDAY=tmpl2".
    mini_program_templates: dict[str, str] = field(default_factory=dict)
    sms_gateway_url: str | None = None
    sms_gateway_token: str | None = None
    # Program-local "HH:MM-HH:MM" during which marketing pushes, SMS and mini-program messages wait; "" none.
    quiet_hours: str = "21:00-09:00"
    marketing_daily_cap: int = 2
    marketing_weekly_cap: int = 5
    points_expiring_days: int = 7

    @property
    def is_production(self) -> bool:
        # Fail closed: anything but an explicit development or test environment is production.
        return self.env not in ("development", "test")

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        env = os.environ.get("LOYALTY_ENV", "development")
        keys = _parse_keys(os.environ.get("JWT_KEYS", ""))
        if not keys and os.environ.get("JWT_SECRET"):
            keys = {"k1": os.environ["JWT_SECRET"]}
        values: dict[str, object] = dict(
            env=env,
            database_url=os.environ.get("DATABASE_URL", cls.database_url),
            redis_url=os.environ.get("REDIS_URL") or None,
            redis_prefix=os.environ.get("REDIS_PREFIX", cls.redis_prefix),
            redis_sentinels=tuple(a.strip() for a in os.environ.get("REDIS_SENTINELS", "").split(",") if a.strip()),
            redis_sentinel_master=os.environ.get("REDIS_SENTINEL_MASTER", cls.redis_sentinel_master),
            database_replica_url=os.environ.get("DATABASE_REPLICA_URL") or None,
            database_pgbouncer=os.environ.get("DATABASE_PGBOUNCER", "") == "1",
            read_your_writes_seconds=_int("READ_YOUR_WRITES_SECONDS", cls.read_your_writes_seconds),
            jwt_keys=keys,
            jwt_active_kid=os.environ.get("JWT_ACTIVE_KID", next(iter(keys), "")),
            jwt_issuer=os.environ.get("JWT_ISSUER", cls.jwt_issuer),
            jwt_audience=os.environ.get("JWT_AUDIENCE", cls.jwt_audience),
            access_ttl_seconds=_int("ACCESS_TOKEN_TTL_SECONDS", cls.access_ttl_seconds),
            refresh_ttl_seconds=_int("REFRESH_TOKEN_TTL_SECONDS", cls.refresh_ttl_seconds),
            dev_login_code=os.environ.get("DEV_LOGIN_CODE") or None,
            sms_country_codes=tuple(c.strip().lstrip("+") for c in os.environ.get(
                "SMS_COUNTRY_CODES", ",".join(cls.sms_country_codes)).split(",") if c.strip()),
            graphiql=os.environ.get("GRAPHIQL", "" if env == "production" else "1") == "1",
            introspection=os.environ.get("INTROSPECTION", "" if env == "production" else "1") == "1",
            field_suggestions=os.environ.get("FIELD_SUGGESTIONS", "" if env == "production" else "1") == "1",
            sms_sink_path=os.environ.get("SMS_SINK_PATH") or None,
            program_timezone=os.environ.get("PROGRAM_TIMEZONE", cls.program_timezone),
            db_pool_size=_int("DB_POOL_SIZE", cls.db_pool_size),
            live_replay_limit=_int("LIVE_REPLAY_LIMIT", cls.live_replay_limit),
            partner_requests_per_minute=_int("PARTNER_REQUESTS_PER_MINUTE", cls.partner_requests_per_minute),
            gift_recipient_lookups_per_hour=_int("GIFT_RECIPIENT_LOOKUPS_PER_HOUR",
                                                 cls.gift_recipient_lookups_per_hour),
            count_sql=os.environ.get("LOYALTY_COUNT_SQL", "") == "1",
            ws_max_sockets_per_subject=_int("WS_MAX_SOCKETS_PER_SUBJECT", cls.ws_max_sockets_per_subject),
            ws_max_subscriptions_per_socket=_int("WS_MAX_SUBSCRIPTIONS_PER_SOCKET",
                                                 cls.ws_max_subscriptions_per_socket),
            ws_recheck_seconds=_int("WS_RECHECK_SECONDS", cls.ws_recheck_seconds),
            staff_max_failures_per_user=_int("STAFF_MAX_FAILURES_PER_USER", cls.staff_max_failures_per_user),
            staff_max_failures_per_address=_int("STAFF_MAX_FAILURES_PER_ADDRESS", cls.staff_max_failures_per_address),
            staff_lock_seconds=_int("STAFF_LOCK_SECONDS", cls.staff_lock_seconds),
            sms_per_address_per_hour=_int("SMS_PER_ADDRESS_PER_HOUR", cls.sms_per_address_per_hour),
            sms_global_per_hour=_int("SMS_GLOBAL_PER_HOUR", cls.sms_global_per_hour),
            sms_proof_after_per_address=_int("SMS_PROOF_AFTER_PER_ADDRESS", cls.sms_proof_after_per_address),
            sms_proof_above_global_percent=_int("SMS_PROOF_ABOVE_GLOBAL_PERCENT", cls.sms_proof_above_global_percent),
            sms_proof_secret=os.environ.get("SMS_PROOF_SECRET") or None,
            default_language=os.environ.get("DEFAULT_LANGUAGE", cls.default_language),
            apq_ttl_seconds=_int("APQ_TTL_SECONDS", cls.apq_ttl_seconds),
            trusted_documents_path=os.environ.get("TRUSTED_DOCUMENTS") or None,
            response_cache=os.environ.get("RESPONSE_CACHE", "1") != "0",
            response_cache_ttl_seconds=_int("RESPONSE_CACHE_TTL_SECONDS", cls.response_cache_ttl_seconds),
            job_schedules=_parse_schedules(os.environ.get("JOB_SCHEDULES", "")),
            worker_concurrency=_int("WORKER_CONCURRENCY", cls.worker_concurrency),
            worker_heartbeat_seconds=float(os.environ.get("WORKER_HEARTBEAT_SECONDS") or cls.worker_heartbeat_seconds),
            worker_stalled_seconds=float(os.environ.get("WORKER_STALLED_SECONDS") or cls.worker_stalled_seconds),
            worker_poll_seconds=float(os.environ.get("WORKER_POLL_SECONDS") or cls.worker_poll_seconds),
            shutdown_grace_seconds=float(os.environ.get("SHUTDOWN_GRACE_SECONDS") or cls.shutdown_grace_seconds),
            run_jobs_in_process=os.environ.get("RUN_JOBS_IN_PROCESS", "1") == "1",
            metrics_token=os.environ.get("METRICS_TOKEN") or None,
            worker_http_host=os.environ.get("WORKER_HTTP_HOST", cls.worker_http_host),
            worker_http_port=_int("WORKER_HTTP_PORT", cls.worker_http_port),
            message_sink_path=os.environ.get("MESSAGE_SINK_PATH", cls.message_sink_path),
            push_provider_url=os.environ.get("PUSH_PROVIDER_URL") or None,
            push_provider_token=os.environ.get("PUSH_PROVIDER_TOKEN") or None,
            mini_program_url=os.environ.get("MINI_PROGRAM_URL") or None,
            mini_program_token=os.environ.get("MINI_PROGRAM_TOKEN") or None,
            mini_program_templates=dict(part.strip().split("=", 1) for part in os.environ.get(
                "MINI_PROGRAM_TEMPLATES", "").split(",") if "=" in part),
            sms_gateway_url=os.environ.get("SMS_GATEWAY_URL") or None,
            sms_gateway_token=os.environ.get("SMS_GATEWAY_TOKEN") or None,
            quiet_hours=os.environ.get("QUIET_HOURS", cls.quiet_hours),
            marketing_daily_cap=_int("MARKETING_DAILY_CAP", cls.marketing_daily_cap),
            marketing_weekly_cap=_int("MARKETING_WEEKLY_CAP", cls.marketing_weekly_cap),
            points_expiring_days=_int("POINTS_EXPIRING_DAYS", cls.points_expiring_days),
            cors_origins=tuple(o.strip().rstrip("/") for o in os.environ.get("CORS_ORIGINS", "").split(",")
                               if o.strip()),
        )
        values.update(overrides)
        return cls(**values).validated()  # type: ignore[arg-type]

    def validated(self) -> Settings:
        if self.is_production:
            if not self.jwt_keys:
                raise ValueError("JWT_KEYS (or JWT_SECRET) must be set in production")
            if self.dev_login_code:
                raise ValueError("DEV_LOGIN_CODE is refused in production")
            if self.generated_dev_key or "dev" in self.jwt_keys or _is_dev_key_file(self.jwt_keys.values()):
                raise ValueError("the generated development signing key is refused in production")
            if self.sms_sink_path:
                raise ValueError("SMS_SINK_PATH (login codes written to a file) is refused in production")
        if self.is_production and "*" in self.cors_origins:
            raise ValueError("CORS_ORIGINS=* is refused in production; list the front ends' origins")
        if self.default_language not in LANGUAGES:
            raise ValueError(f"DEFAULT_LANGUAGE must be one of {', '.join(LANGUAGES)}")
        if self.jwt_keys and self.jwt_active_kid not in self.jwt_keys:
            raise ValueError(f"JWT_ACTIVE_KID {self.jwt_active_kid!r} is not among JWT_KEYS")
        if not 1 <= self.live_replay_limit <= 1_000:
            raise ValueError("LIVE_REPLAY_LIMIT must be between 1 and 1000")
        if self.quiet_hours.strip() and not _QUIET_HOURS.fullmatch(self.quiet_hours.strip()):
            raise ValueError("QUIET_HOURS looks like 21:00-09:00 (or is empty for none)")
        if any(len(secret) < 32 for secret in self.jwt_keys.values()):
            raise ValueError("every JWT key must be at least 32 characters")
        return self

    def with_dev_key(self, key_file: Path = Path("var/dev-jwt.key")) -> Settings:
        """Settings with a development signing key, kept on disk so restarts and workers share it."""
        if self.jwt_keys:
            return self
        if self.is_production:
            raise ValueError("refusing a generated signing key outside development")
        key_file.parent.mkdir(parents=True, exist_ok=True)
        try:
            # O_EXCL: when several workers start at once, exactly one writes the key.
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(48))
        for _ in range(50):
            if key_file.read_text().strip():
                break
            time.sleep(0.01)
        return replace(self, jwt_keys={"dev": key_file.read_text().strip()}, jwt_active_kid="dev",
                        generated_dev_key=True)


def _is_dev_key_file(secrets_: object, key_file: Path = Path("var/dev-jwt.key")) -> bool:
    """A secret copied from the development key file (it sits unprotected in the working tree)."""
    try:
        dev = key_file.read_text().strip()
    except OSError:
        return False
    return bool(dev) and dev in secrets_  # type: ignore[operator]


def _parse_schedules(raw: str) -> dict[str, str]:
    """JOB_SCHEDULES="expire-points=daily 01:30;deliver-webhooks=every 30s" (see api/jobs.py)."""
    found: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in raw.split(";"))):
        name, _, schedule = part.partition("=")
        if not name.strip() or not schedule.strip():
            raise ValueError("JOB_SCHEDULES entries look like job-name=daily HH:MM")
        found[name.strip()] = schedule.strip()
    return found


def _parse_keys(raw: str) -> dict[str, str]:
    """JWT_KEYS="kid1:secret1,kid2:secret2"."""
    keys: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in raw.split(","))):
        kid, _, secret = part.partition(":")
        if not kid or not secret:
            raise ValueError("JWT_KEYS entries look like kid:secret")
        keys[kid] = secret
    return keys
