"""Engine creation: SQLite (embedded default) or PostgreSQL, chosen by the URL."""

from __future__ import annotations

from pathlib import Path

import orjson
from sqlalchemy import event, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


def ensure_sqlite_dir(url: str) -> None:
    """SQLite creates the file but not its folder (the default lives in var/)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


def create_engine(url: str, pool_size: int = 10) -> AsyncEngine:
    if url.startswith("sqlite"):
        ensure_sqlite_dir(url)
        engine = create_async_engine(url, connect_args={"timeout": 30})
        _make_sqlite_transactions_serial(engine)
        return engine
    return create_async_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True,
                               json_deserializer=orjson.loads)


def create_read_engine(url: str, write_engine: AsyncEngine, pool_size: int = 10) -> AsyncEngine:
    """PostgreSQL: a second pool whose connections stay in autocommit, for read-only units of work.
    Its pre-ping is one round trip; on a pool whose connections open transactions it is three
    (asyncpg pings inside BEGIN … ROLLBACK), and it happens on every checkout. SQLite reads share
    the one engine (they run one at a time anyway)."""
    if url.startswith("sqlite"):
        return write_engine
    # JSON columns (rules, settings, details) are read on every request: orjson parses them.
    return create_async_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True,
                               isolation_level="AUTOCOMMIT", json_deserializer=orjson.loads)


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
