"""Migrations build the whole schema from empty and take it down again, on both databases."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

from api.migrate import downgrade, upgrade
from domain.store.tables import metadata
from tests.conftest import create_database, in_thread


async def _tables_and_diff(url: str) -> tuple[set[str], list]:
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        # procrastinate's tables (migration 0023) belong to the job engine, not to tables.py.
        tables = {t for t in await conn.run_sync(lambda c: inspect(c).get_table_names())
                  if not t.startswith("procrastinate_")}
        diff = await conn.run_sync(lambda c: compare_metadata(MigrationContext.configure(c, opts={
            "compare_type": True, "include_name": lambda name, kind, _parent: not (
                kind == "table" and str(name).startswith("procrastinate_"))}), metadata))
    await engine.dispose()
    return tables - {"alembic_version"}, diff


async def _roundtrip(url: str) -> None:
    await asyncio.to_thread(upgrade, url)
    tables, diff = await _tables_and_diff(url)
    assert tables == {t.name for t in metadata.sorted_tables}
    assert diff == [], "migrations and domain/store/tables.py disagree"
    await asyncio.to_thread(downgrade, url)
    tables, _ = await _tables_and_diff(url)
    assert tables == set()
    await asyncio.to_thread(upgrade, url)  # and up again, from a downgraded database


async def test_sqlite_upgrades_from_empty_and_downgrades_cleanly(tmp_path: Path) -> None:
    await _roundtrip(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")


@pytest.mark.postgres
async def test_postgres_upgrades_from_empty_and_downgrades_cleanly(pg_server_url: str) -> None:
    url = await create_database(pg_server_url, "migration_roundtrip")
    await _roundtrip(url)


def test_in_thread_helper_reports_errors() -> None:
    with pytest.raises(ZeroDivisionError):
        in_thread(lambda: 1 / 0)
