"""Batches of single-use coupon codes: set-based generation (COPY on PostgreSQL) and the
conditional updates that let one use of a code win."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Row, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.offers.model import CodeBatch, CodeStatus, CouponCode
from domain.store.dialect import insert_ignoring_conflict
from domain.store.tables import coupon_code_batches, coupon_codes

_SQLITE_CHUNK = 5_000  # rows per executemany: SQLite has no COPY; this is its batched fallback


def _batch(row: Row) -> CodeBatch:
    return CodeBatch(row.id, row.template_id, row.label, row.quantity, row.created_at, row.valid_until)


def _code(row: Row) -> CouponCode:
    return CouponCode(row.id, row.batch_id, row.code, CodeStatus(row.status), row.member_id, row.coupon_id,
                      row.order_ref, row.discount_cents, row.used_at)


class SqlCouponCodeRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add_batch(self, template_id: int, label: str, quantity: int, now: datetime,
                        valid_until: datetime) -> CodeBatch:
        row = (await self._conn.execute(insert(coupon_code_batches).values(
            template_id=template_id, label=label, quantity=quantity, created_at=now, valid_until=valid_until,
        ).returning(*coupon_code_batches.c))).one()
        return _batch(row)

    async def batch(self, batch_id: int) -> CodeBatch | None:
        row = (await self._conn.execute(
            select(coupon_code_batches).where(coupon_code_batches.c.id == batch_id))).first()
        return _batch(row) if row else None

    async def insert_codes(self, batch_id: int, codes: list[str]) -> int:
        if self._conn.dialect.name == "postgresql":
            return await self._copy_codes(batch_id, codes)
        inserted = 0
        statement = insert_ignoring_conflict(self._conn, coupon_codes, None)
        for start in range(0, len(codes), _SQLITE_CHUNK):
            chunk = codes[start:start + _SQLITE_CHUNK]
            before = await self.count_codes(batch_id)
            await self._conn.execute(statement, [
                {"batch_id": batch_id, "code": c, "status": CodeStatus.AVAILABLE.value} for c in chunk])
            inserted += await self.count_codes(batch_id) - before
        return inserted

    async def _copy_codes(self, batch_id: int, codes: list[str]) -> int:
        """COPY into a session-private staging table, then one INSERT … SELECT that skips codes
        already taken (ON CONFLICT DO NOTHING), all inside the caller's transaction."""
        await self._conn.execute(text(
            "CREATE TEMP TABLE IF NOT EXISTS coupon_code_staging (code varchar(16) NOT NULL) ON COMMIT DROP"))
        await self._conn.execute(text("TRUNCATE coupon_code_staging"))
        raw = await self._conn.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None
        await driver.copy_records_to_table("coupon_code_staging", records=[(c,) for c in codes], columns=["code"])
        result = await self._conn.execute(text(
            "INSERT INTO coupon_codes (batch_id, code, status) SELECT :batch, code, :status "
            "FROM coupon_code_staging ON CONFLICT DO NOTHING"),
            {"batch": batch_id, "status": CodeStatus.AVAILABLE.value})
        return int(result.rowcount)

    async def count_codes(self, batch_id: int) -> int:
        return int(await self._conn.scalar(
            select(func.count()).select_from(coupon_codes).where(coupon_codes.c.batch_id == batch_id)) or 0)

    async def codes_after(self, batch_id: int, after_id: int, limit: int) -> list[CouponCode]:
        rows = await self._conn.execute(
            select(coupon_codes).where(coupon_codes.c.batch_id == batch_id, coupon_codes.c.id > after_id)
            .order_by(coupon_codes.c.id).limit(limit))
        return [_code(r) for r in rows]

    async def by_code(self, code: str) -> CouponCode | None:
        row = (await self._conn.execute(select(coupon_codes).where(coupon_codes.c.code == code))).first()
        return _code(row) if row else None

    async def by_order(self, order_ref: str) -> CouponCode | None:
        row = (await self._conn.execute(select(coupon_codes).where(coupon_codes.c.order_ref == order_ref))).first()
        return _code(row) if row else None

    async def mark_claimed(self, code_id: int, member_id: int, now: datetime) -> bool:
        # On PostgreSQL a concurrent update of the same row waits for the first transaction and
        # then re-checks status: exactly one claim or redemption wins.
        result = await self._conn.execute(
            update(coupon_codes)
            .where(coupon_codes.c.id == code_id, coupon_codes.c.status == CodeStatus.AVAILABLE.value)
            .values(status=CodeStatus.CLAIMED.value, member_id=member_id, used_at=now))
        return result.rowcount == 1

    async def link_coupon(self, code_id: int, coupon_id: int) -> None:
        await self._conn.execute(update(coupon_codes).where(coupon_codes.c.id == code_id).values(coupon_id=coupon_id))

    async def mark_redeemed(self, code_id: int, order_ref: str, discount_cents: int, now: datetime) -> bool:
        result = await self._conn.execute(
            update(coupon_codes)
            .where(coupon_codes.c.id == code_id, coupon_codes.c.status == CodeStatus.AVAILABLE.value)
            .values(status=CodeStatus.REDEEMED.value, order_ref=order_ref, discount_cents=discount_cents,
                    used_at=now))
        return result.rowcount == 1
