"""The few statements whose spelling differs between SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


def insert_ignoring_conflict(conn: AsyncConnection, table: Table, conflict_columns: list[str] | None):
    """INSERT … ON CONFLICT (cols) DO NOTHING, for claiming a unique key atomically
    (no columns: any unique conflict)."""
    module = postgresql if conn.dialect.name == "postgresql" else sqlite
    return module.insert(table).on_conflict_do_nothing(index_elements=conflict_columns)
