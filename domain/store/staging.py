"""Filling an import's session-private staging table, the first half of every set-based import
(domain/imports/staging.py runs the batches): COPY on PostgreSQL (binary, no statement per row),
one executemany INSERT on SQLite. The SQL that applies the staged rows is each import's own."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Table, insert, text
from sqlalchemy.ext.asyncio import AsyncConnection


async def copy_into(conn: AsyncConnection, table: Table, records: Sequence[tuple], columns: Sequence[str] | None = None,
                    analyze: bool = False) -> None:
    """`records` in the order of `columns` (default: the table's). The temporary table must exist in
    the connection's open transaction. `analyze`: temp tables get no statistics from autovacuum, and
    a planner that guesses joins them badly."""
    if not records:
        return
    names = list(columns or [c.name for c in table.columns])
    if conn.dialect.name == "postgresql":
        raw = await conn.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None
        await driver.copy_records_to_table(table.name, records=list(records), columns=names)
        if analyze:
            await conn.execute(text(f"ANALYZE {table.name}"))
    else:
        await conn.execute(insert(table), [dict(zip(names, r, strict=True)) for r in records])
