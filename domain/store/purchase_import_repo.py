"""Set-based purchase import: a batch goes into a temporary staging table (COPY on PostgreSQL,
one multi-row INSERT on SQLite), then a few statements resolve members, sort out rows already
imported, and insert the rest, all in the caller's transaction, so a batch lands whole or not at all."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import BigInteger, Column, MetaData, String, Table, Text, bindparam, delete, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.imports.purchase_import import LoadOutcome
from domain.imports.purchase_rows import ImportedPurchase
from domain.store.columns import UtcDateTime
from domain.store.staging import copy_into
from domain.store.tables import purchase_import_checkpoints

# Its own metadata: a per-connection temporary table, not part of the migrated schema.
_staging_metadata = MetaData()
staging = Table(
    "purchase_import_staging", _staging_metadata,
    Column("line", BigInteger, primary_key=True),
    Column("source", String(80), nullable=False),
    Column("order_id", String(64), nullable=False),
    Column("store_id", String(64), nullable=False),
    Column("phone", String(20), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("item_quantity", BigInteger, nullable=False),
    Column("items", Text, nullable=False),
    Column("purchased_at", UtcDateTime, nullable=False),
    Column("member_id", BigInteger),
    prefixes=["TEMPORARY"],
)
COLUMNS = ["line", "source", "order_id", "store_id", "phone", "channel", "amount_cents", "item_quantity", "items",
           "purchased_at"]


def source_of(store_id: str) -> str:
    """The key recordPurchase gives the store's orders (domain/auth/sources.py), so an order the POS
    already recorded is recognised as imported, and the other way round."""
    return f"store:{store_id}"


class SqlPurchaseImportRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def resume_line(self, key: str) -> int:
        c = purchase_import_checkpoints.c
        return int(await self._conn.scalar(select(c.done_through_line).where(c.key == key)) or 0)

    async def save_checkpoint(self, key: str, line: int, now: datetime) -> None:
        c = purchase_import_checkpoints.c
        await self._conn.execute(delete(purchase_import_checkpoints).where(c.key == key))
        await self._conn.execute(insert(purchase_import_checkpoints).values(key=key, done_through_line=line,
                                                                             updated_at=now))

    async def load(self, batch: Sequence[ImportedPurchase], now: datetime) -> LoadOutcome:
        conn = self._conn
        postgres = conn.dialect.name == "postgresql"
        # Through SQLAlchemy first: it opens the transaction the COPY below then runs in.
        await conn.execute(text(
            "CREATE TEMPORARY TABLE IF NOT EXISTS purchase_import_staging (line BIGINT PRIMARY KEY, "
            "source VARCHAR(80) NOT NULL, order_id VARCHAR(64) NOT NULL, store_id VARCHAR(64) NOT NULL, "
            "phone VARCHAR(20) NOT NULL, channel VARCHAR(16) NOT NULL, amount_cents BIGINT NOT NULL, "
            "item_quantity BIGINT NOT NULL, items TEXT NOT NULL, purchased_at "
            + ("TIMESTAMPTZ" if postgres else "DATETIME") + " NOT NULL, member_id BIGINT)"))
        await conn.execute(delete(staging))
        records = [(p.line, source_of(p.store_id), p.order_id, p.store_id, p.phone, p.channel.value, p.amount_cents,
                    p.units, json.dumps(p.items, ensure_ascii=False), p.purchased_at) for p in batch]
        await copy_into(conn, staging, records, COLUMNS)
        await conn.execute(text(
            "UPDATE purchase_import_staging SET member_id = "
            "(SELECT id FROM members WHERE members.phone = purchase_import_staging.phone)"))
        unknown = [int(line) for (line,) in await conn.execute(text(
            "SELECT line FROM purchase_import_staging WHERE member_id IS NULL"))]
        seen = await conn.execute(text(
            "SELECT s.line, (p.member_id = s.member_id AND p.amount_cents = s.amount_cents "
            "AND p.purchased_at = s.purchased_at) AS same "
            "FROM purchase_import_staging s JOIN purchases p ON p.source = s.source AND p.order_id = s.order_id"))
        duplicates: list[int] = []
        conflicts: list[int] = []
        for line, same in seen:
            (duplicates if same else conflicts).append(int(line))
        items = "CAST(s.items AS json)" if postgres else "s.items"
        inserted = await conn.execute(text(
            "INSERT INTO purchases (member_id, source, order_id, store_id, channel, item_quantity, amount_cents, "
            "refunded_cents, points_awarded, points_reversed, shortfall_points, items, purchased_at, created_at) "
            f"SELECT s.member_id, s.source, s.order_id, s.store_id, s.channel, s.item_quantity, s.amount_cents, "
            f"0, 0, 0, 0, {items}, s.purchased_at, :now FROM purchase_import_staging s "
            "WHERE s.member_id IS NOT NULL AND NOT EXISTS "
            "(SELECT 1 FROM purchases p WHERE p.source = s.source AND p.order_id = s.order_id)")
            .bindparams(bindparam("now", type_=UtcDateTime())), {"now": now})
        await conn.execute(delete(staging))
        return LoadOutcome(imported=inserted.rowcount or 0, duplicates=duplicates,
                           unknown_members=unknown, conflicts=conflicts)

