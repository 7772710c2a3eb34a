"""Prometheus metrics (prometheus-client) and the `/metrics` endpoint.

Several uvicorn workers: set PROMETHEUS_MULTIPROC_DIR (`serve --workers N` makes a temporary one
when it is unset); every process then writes its samples there and `/metrics`, answered by any of
them, reports the sum over all (gauges: live processes' sum, or the maximum where noted).

Not public: `/metrics` answers only with `Authorization: Bearer $METRICS_TOKEN`, or, when no token
is set, only to loopback callers (a scraper on the same host or a sidecar).
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import re
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from redis.asyncio import Redis
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

if TYPE_CHECKING:
    from api.container import Container

MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))

REQUEST_SECONDS = Histogram(
    "loyalty_graphql_request_seconds", "GraphQL requests over HTTP by operation name and type.",
    ["operation", "type"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
ERRORS = Counter("loyalty_graphql_errors_total", "GraphQL responses carrying an error, by extensions.code.", ["code"])
DB_POOL_IN_USE = Gauge("loyalty_db_pool_connections_in_use", "Database connections checked out of the pool.",
                       ["pool"], multiprocess_mode="livesum")
DB_POOL_WAIT = Histogram("loyalty_db_pool_wait_seconds", "Time to get a connection from the pool (waits show "
                         "in the upper buckets).", ["pool"],
                         buckets=(0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30))
REDIS_SECONDS = Histogram("loyalty_redis_command_seconds", "Redis command latency.", ["command"],
                          buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25))
REDIS_ERRORS = Counter("loyalty_redis_errors_total", "Redis commands that failed or timed out.", ["command"])
# A wall-clock deadline rather than a 0/1 flag: the breaker closes by itself when its time is up, with no
# code running to reset a flag. Open now: loyalty_redis_breaker_open_until_timestamp_seconds > time().
BREAKER_OPEN_UNTIL = Gauge("loyalty_redis_breaker_open_until_timestamp_seconds", "Until when the Redis circuit "
                           "breaker keeps cache and pub/sub off Redis (latest of all processes; in the past: closed).",
                           multiprocess_mode="max")
BREAKER_TRIPS = Counter("loyalty_redis_breaker_trips_total", "Times the Redis circuit breaker opened.")
SOCKETS = Gauge("loyalty_websockets_open", "Open, acknowledged websockets.", multiprocess_mode="livesum")
SUBSCRIPTIONS = Gauge("loyalty_subscriptions_active", "Running subscription operations.", multiprocess_mode="livesum")
CACHE_READS = Counter("loyalty_cache_reads_total", "Cached read-model lookups by result (hit ratio = "
                      "hit / (hit + miss)).", ["result"])
OUTBOX_LAG = Gauge("loyalty_outbox_lag_seconds", "Age of the oldest webhook delivery that is due and not sent "
                   "(0: none).", multiprocess_mode="mostrecent")
OUTBOX_PENDING = Gauge("loyalty_outbox_pending_deliveries", "Webhook deliveries not yet delivered.",
                       multiprocess_mode="mostrecent")
OUTBOX_FAILED = Gauge("loyalty_outbox_failed_deliveries", "Webhook deliveries that gave up (redeliverWebhook).",
                      multiprocess_mode="mostrecent")
DELIVERY_FAILURES = Counter("loyalty_webhook_delivery_failures_total", "Webhook delivery attempts that failed.")
JOB_SECONDS = Histogram("loyalty_job_seconds", "Background job run durations.", ["job"],
                        buckets=(0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600))
JOB_FAILURES = Counter("loyalty_job_failures_total", "Background job runs that failed.", ["job"])
LOGIN_CODES = Counter("loyalty_login_codes_sent_total", "Login codes handed to the SMS sender.")

_SAFE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
MAX_OPERATION_NAMES = 300  # operation names come from clients: cap the label values per process
_seen_operations: set[str] = set()


def operation_label(name: object) -> str:
    if not isinstance(name, str) or not name:
        return "anonymous"
    if not _SAFE_NAME.fullmatch(name):
        return "other"
    if name not in _seen_operations:
        if len(_seen_operations) >= MAX_OPERATION_NAMES:
            return "other"
        _seen_operations.add(name)
    return name


def observe_request(fields: dict[str, Any], seconds: float) -> None:
    REQUEST_SECONDS.labels(operation_label(fields.get("operation")),
                           str(fields.get("operationType") or "unknown")).observe(seconds)
    result = str(fields.get("result") or "OK")
    if result != "OK":
        for code in result.split(","):
            ERRORS.labels(code).inc()


class MetricsMiddleware:
    """Times each GraphQL request over HTTP; operation and result come from the access-log fields."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") != "/graphql":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send)
        finally:
            fields = scope.get("state", {}).get("log_fields")
            if fields:
                observe_request(fields, time.perf_counter() - started)


def watch_pool(engine: AsyncEngine, name: str) -> None:
    in_use = DB_POOL_IN_USE.labels(name)
    wait = DB_POOL_WAIT.labels(name)
    event.listen(engine.sync_engine, "checkout", lambda *_: in_use.inc())
    event.listen(engine.sync_engine, "checkin", lambda *_: in_use.dec())
    pool = engine.pool
    if hasattr(pool, "on_wait"):
        pool.on_wait = wait.observe


class TimedRedis(Redis):
    """Every command (Lua scripts included) timed; pipelines are not used on the request path."""

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        command = str(args[0]).split(" ")[0].upper() if args else "?"
        started = time.perf_counter()
        try:
            return await super().execute_command(*args, **options)
        except Exception:
            REDIS_ERRORS.labels(command).inc()
            raise
        finally:
            REDIS_SECONDS.labels(command).observe(time.perf_counter() - started)


def breaker_tripped(open_seconds: float) -> None:
    BREAKER_TRIPS.inc()
    BREAKER_OPEN_UNTIL.set(time.time() + open_seconds)


class CountingCache:
    """The cache port with hit/miss counting around its reads; everything else passes through."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def get(self, key: str) -> dict[str, object] | None:
        found = await self._inner.get(key)
        CACHE_READS.labels("hit" if found is not None else "miss").inc()
        return found

    async def get_content(self, key: str) -> dict[str, object] | None:
        found = await self._inner.get_content(key)
        CACHE_READS.labels("hit" if found is not None else "miss").inc()
        return found

    async def get_many(self, keys: list[str]) -> list[dict[str, object] | None]:
        found = await self._inner.get_many(keys)
        hits = sum(1 for f in found if f is not None)
        if hits:
            CACHE_READS.labels("hit").inc(hits)
        if len(found) - hits:
            CACHE_READS.labels("miss").inc(len(found) - hits)
        return found


class CountingCodeSender:
    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def send_login_code(self, phone: str, code: str) -> None:
        await self._inner.send_login_code(phone, code)
        LOGIN_CODES.inc()


def job_finished(job: str, seconds: float, counts: dict[str, int] | None) -> None:
    JOB_SECONDS.labels(job).observe(seconds)
    if counts is None:
        JOB_FAILURES.labels(job).inc()
    elif job == "deliver-webhooks":
        failures = counts.get("retrying", 0) + counts.get("failed", 0)
        if failures:
            DELIVERY_FAILURES.inc(failures)


def metrics_allowed(authorization: str, peer: str, token: str | None) -> bool:
    if token:
        return hmac.compare_digest(authorization.encode(), f"Bearer {token}".encode())
    try:
        return ipaddress.ip_address(peer).is_loopback
    except ValueError:
        return False


def render() -> bytes:
    if MULTIPROCESS:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest()


def metrics_endpoint(container: Container,
                     refresh: Callable[[], Awaitable[None]] | None = None) -> Callable[[Request], Awaitable[Response]]:
    async def metrics(request: Request) -> Response:
        if not metrics_allowed(request.headers.get("authorization", ""),
                               request.client.host if request.client else "", container.settings.metrics_token):
            return Response("not found", 404)  # do not advertise the endpoint
        if refresh is not None:
            await refresh()
        return Response(render(), media_type=CONTENT_TYPE_LATEST)

    return metrics


async def refresh_from_database(container: Container) -> None:
    """Figures read from the database at scrape time: outbox lag and backlog."""
    from domain.store.outbox_stats import outbox_stats

    try:
        stats = await outbox_stats(container.engine, container.now())
    except Exception:  # a scrape never fails for a figure it cannot read
        return
    OUTBOX_LAG.set(stats.lag_seconds)
    OUTBOX_PENDING.set(stats.pending)
    OUTBOX_FAILED.set(stats.failed)


def process_exited(pid: int) -> None:
    if MULTIPROCESS:
        multiprocess.mark_process_dead(pid)
