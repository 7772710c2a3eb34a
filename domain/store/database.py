"""Engine creation: SQLite (embedded default) or PostgreSQL, chosen by the URL."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import event, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool
from sqlalchemy.util.concurrency import await_


class TimedQueuePool(AsyncAdaptedQueuePool):
    """The default pool for asyncpg, telling `on_wait` how long each checkout took (metrics: a full
    pool shows as waits)."""

    on_wait: Callable[[float], None] | None = None

    def _do_get(self) -> Any:
        started = time.perf_counter()
        try:
            return super()._do_get()
        finally:
            if self.on_wait is not None:
                self.on_wait(time.perf_counter() - started)


# SQLAlchemy names a pool's logger after its class: outside the "sqlalchemy" logger (WARNING by default)
# this one would log every dispose at INFO.
logging.getLogger(f"{TimedQueuePool.__module__}.{TimedQueuePool.__name__}").setLevel(logging.WARNING)


def _pooled(pool_size: int, pre_ping: bool = True) -> dict[str, Any]:
    """PostgreSQL pools: timed checkouts (metrics) and orjson for JSON columns."""
    return dict(pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=pre_ping, poolclass=TimedQueuePool,
                json_deserializer=orjson.loads)


def _ping_in_one_round_trip(engine: AsyncEngine) -> AsyncEngine:
    """The pre-ping of a pool whose connections open transactions, in one round trip instead of three.

    SQLAlchemy's asyncpg ping runs inside BEGIN … ROLLBACK when no transaction is open, so that
    PgBouncer in transaction mode keeps the ping on one server connection; against PostgreSQL
    itself that is two wasted round trips on every write's checkout (bench/profile_writes.py). A
    dropped connection still fails the ping, and the pool swaps it for a fresh one (DisconnectionError
    in a checkout listener), as pool_pre_ping does."""

    @event.listens_for(engine.sync_engine.pool, "checkout")
    def ping(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        try:
            await_(dbapi_connection.driver_connection.fetchrow(";"))
        except Exception as exc:
            raise DisconnectionError(f"pre-ping failed: {exc}") from exc

    return engine


def ensure_sqlite_dir(url: str) -> None:
    """SQLite creates the file but not its folder (the default lives in var/)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


def _pgbouncer_args() -> dict[str, object]:
    """PgBouncer in transaction mode (before 1.21) hands each transaction whichever server connection
    is free: a statement prepared on one is unknown on the next, and two clients' statements of the
    same cached name collide. No statement cache, and a unique name per prepared statement."""
    return {"statement_cache_size": 0, "prepared_statement_name_func": lambda: f"__asyncpg_{uuid.uuid4().hex}__"}


def _bounced(url: str) -> str:
    """SQLAlchemy's own prepared-statement cache is a URL option of its asyncpg dialect."""
    return make_url(url).update_query_dict({"prepared_statement_cache_size": "0"}).render_as_string(
        hide_password=False)


def create_engine(url: str, pool_size: int = 10, pgbouncer: bool = False) -> AsyncEngine:
    if url.startswith("sqlite"):
        ensure_sqlite_dir(url)
        engine = create_async_engine(url, connect_args={"timeout": 30})
        _make_sqlite_transactions_serial(engine)
        return engine
    if pgbouncer:
        return create_async_engine(_bounced(url), **_pooled(pool_size), connect_args=_pgbouncer_args())
    return _ping_in_one_round_trip(create_async_engine(url, **_pooled(pool_size, pre_ping=False)))


def create_read_engine(url: str, write_engine: AsyncEngine, pool_size: int = 10,
                       pgbouncer: bool = False) -> AsyncEngine:
    """PostgreSQL: a second pool whose connections stay in autocommit, for read-only units of work.
    Its pre-ping is one round trip; on a pool whose connections open transactions it is three
    (asyncpg pings inside BEGIN … ROLLBACK), and it happens on every checkout. SQLite reads share
    the one engine (they run one at a time anyway)."""
    if url.startswith("sqlite"):
        return write_engine
    if pgbouncer:
        # Not autocommit behind PgBouncer: asyncpg prepares and then executes in two exchanges, and
        # only an open transaction keeps both on the same server connection.
        return create_async_engine(_bounced(url), **_pooled(pool_size), connect_args=_pgbouncer_args())
    return create_async_engine(url, **_pooled(pool_size), isolation_level="AUTOCOMMIT")


def _make_sqlite_transactions_serial(engine: AsyncEngine) -> None:
    # pysqlite's implicit BEGIN is DEFERRED: two transactions that read and then write
    # fail with "database is locked" instead of waiting. BEGIN IMMEDIATE takes the write
    # lock up front so concurrent use cases queue behind busy_timeout and stay correct.
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
