"""Per-request count of the SQL statements the app sends, for benchmarks (LOYALTY_COUNT_SQL=1).

The listener is installed only when counting is switched on, so a normal server pays nothing.
The count lives in a context variable: DataLoader batches and other tasks a request starts copy
its context, and SQLAlchemy runs each statement in a greenlet that inherits the caller's context,
so every statement lands on the request that caused it.
"""

from __future__ import annotations

from contextvars import ContextVar

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

_tally: ContextVar[list[int] | None] = ContextVar("sql_statements", default=None)


def _record(*_args: object) -> None:
    tally = _tally.get()
    if tally is not None:
        tally[0] += 1


def count_statements(engine: AsyncEngine) -> None:
    if not event.contains(engine.sync_engine, "before_cursor_execute", _record):
        event.listen(engine.sync_engine, "before_cursor_execute", _record)


def start_tally() -> list[int]:
    """A fresh count for the current context (a request); read `[0]` when it is done."""
    tally = [0]
    _tally.set(tally)
    return tally
