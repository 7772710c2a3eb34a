"""What a storage exception means for the caller: their input, a conflict, or an outage.

Only this package knows sqlalchemy and the drivers; the API layer asks here how to answer."""

from __future__ import annotations

import asyncio
from enum import Enum

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy import String
from sqlalchemy.exc import DBAPIError, DisconnectionError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from domain.naming import camel_case
from domain.store.tables import metadata


class Failure(Enum):
    BAD_INPUT = "bad_input"  # the value cannot be stored (too long, NUL byte, number out of range)
    DUPLICATE = "duplicate"  # a unique key already taken
    OUTAGE = "outage"  # the database (or Redis) cannot be reached right now
    UNKNOWN = "unknown"


# PostgreSQL SQLSTATE classes: 22 data exception, 23505 unique violation, 08 connection exception,
# 53 insufficient resources, 57P0x operator intervention (shutdown), 40001/40P01 left to the retries.
_OUTAGE_STATES = ("08", "53", "57P01", "57P02", "57P03")


def _sqlstate(exc: BaseException) -> str | None:
    orig = getattr(exc, "orig", None)
    for candidate in (orig, getattr(orig, "__cause__", None), exc):
        state = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if isinstance(state, str):
            return state
    return None


def classify(exc: BaseException) -> Failure:
    if isinstance(exc, RedisConnectionError | RedisTimeoutError | PoolTimeoutError | DisconnectionError):
        return Failure.OUTAGE
    if isinstance(exc, ConnectionError | asyncio.TimeoutError | TimeoutError):
        return Failure.OUTAGE
    if isinstance(exc, OSError) and exc.errno is not None:
        return Failure.OUTAGE
    if not isinstance(exc, DBAPIError):
        return Failure.UNKNOWN
    state = _sqlstate(exc) or ""
    if isinstance(exc, IntegrityError) and (state == "23505" or "UNIQUE constraint failed" in str(exc.orig)):
        return Failure.DUPLICATE
    if state.startswith("22"):
        return Failure.BAD_INPUT
    if exc.connection_invalidated or state.startswith(_OUTAGE_STATES):
        return Failure.OUTAGE
    if isinstance(exc, InterfaceError | OperationalError) and not state:
        # asyncpg reports a dropped or refused connection without a SQLSTATE; SQLite's
        # "database is locked" after its busy timeout is the same kind of wait-and-retry.
        return Failure.OUTAGE
    return Failure.UNKNOWN


def string_limits() -> dict[str, int]:
    """The longest text each column name holds, by its GraphQL spelling (`store_id` -> `storeId`):
    input fields that are stored under that name are refused past it, before any SQL runs.
    Where tables disagree the largest wins; a value longer than a smaller column still ends as
    BAD_INPUT through `classify`."""
    limits: dict[str, int] = {}
    for table in metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, String) and column.type.length:
                name = camel_case(column.name)
                limits[name] = max(limits.get(name, 0), column.type.length)
    return limits
