"""Bulk member import, set-based: a batch goes into session-private staging tables (COPY on
PostgreSQL, batched inserts on SQLite), then a handful of INSERT … SELECT / UPDATE statements apply
it, inside the caller's transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Date, MetaData, String, Table, bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.members.bulk_import import BatchOutcome, ImportRow, Reject, member_code
from domain.points.model import EntryKind
from domain.store.columns import UtcDateTime
from domain.store.staging import copy_into
from domain.tiers.model import TierChangeReason

_staging = MetaData()
_rows = Table(
    "member_import_rows", _staging,
    Column("row_no", BigInteger), Column("row_key", String(100)), Column("phone", String(20)),
    Column("member_code", String(12)), Column("display_name", String(30)), Column("birthday", Date),
    Column("tier_code", String(20)), Column("tier_until", UtcDateTime), Column("points", BigInteger),
    Column("points_until", UtcDateTime),
)
_ids = Table(
    "member_import_identities", _staging,
    Column("row_key", String(100)), Column("channel", String(20)), Column("external_id", String(128)),
)
_PG_DDL = (
    "CREATE TEMP TABLE IF NOT EXISTS member_import_rows (row_no bigint, row_key varchar(100), phone varchar(20), "
    "member_code varchar(12), display_name varchar(30), birthday date, tier_code varchar(20), "
    "tier_until timestamptz, points bigint, points_until timestamptz) ON COMMIT DROP",
    "CREATE TEMP TABLE IF NOT EXISTS member_import_identities (row_key varchar(100), channel varchar(20), "
    "external_id varchar(128)) ON COMMIT DROP",
)
_SQLITE_DDL = (
    "CREATE TEMP TABLE IF NOT EXISTS member_import_rows (row_no, row_key, phone, member_code, display_name, "
    "birthday, tier_code, tier_until, points, points_until)",
    "CREATE TEMP TABLE IF NOT EXISTS member_import_identities (row_key, channel, external_id)",
)
_MEMBER_OF_ROW = "JOIN members m ON m.phone = r.phone"
_IMPORT_SOURCE = "import"
NOW = "{NOW}"  # stands for the `now` parameter in the statements below (spelled per dialect in _sql)


def _row_values(r: ImportRow) -> dict[str, object]:
    return {"row_no": r.row_no, "row_key": r.key, "phone": r.phone, "member_code": r.member_code,
            "display_name": r.display_name, "birthday": r.birthday, "tier_code": r.tier_code,
            "tier_until": r.tier_until, "points": r.points, "points_until": r.points_until}


class SqlMemberImportRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn
        self._pg = conn.dialect.name == "postgresql"

    async def _sql(self, sql: str, **params: object):
        # `now` goes through the column type (SQLite stores it as SQLAlchemy formats datetimes); on
        # PostgreSQL a parameter in a select list needs its type spelled out.
        statement = text(sql.replace("{NOW}", "CAST(:now AS timestamptz)" if self._pg else ":now"))
        if "now" in params:
            statement = statement.bindparams(bindparam("now", type_=UtcDateTime()))
        return await self._conn.execute(statement, params)

    async def _stage(self, batch: list[ImportRow]) -> None:
        for ddl in _PG_DDL if self._pg else _SQLITE_DDL:
            await self._sql(ddl)
        await self._sql("DELETE FROM member_import_rows")
        await self._sql("DELETE FROM member_import_identities")
        columns = [c.name for c in _rows.columns]
        await copy_into(self._conn, _rows, [tuple(_row_values(r)[c] for c in columns) for r in batch], columns,
                        analyze=True)
        await copy_into(self._conn, _ids, [(r.key, c, e) for r in batch for c, e in r.identities], analyze=True)

    async def apply_batch(self, batch: list[ImportRow], now: datetime) -> tuple[BatchOutcome, list[int]]:
        """Returns the outcome and the ids of members that existed before and got points."""
        await self._stage(batch)
        # 1. Keys imported by an earlier run: skipped (this is what makes reruns and resumes safe).
        skipped = int((await self._sql(
            "SELECT count(*) FROM member_import_rows WHERE row_key IN (SELECT row_key FROM member_imports)")).scalar()
            or 0)
        await self._sql("DELETE FROM member_import_rows WHERE row_key IN (SELECT row_key FROM member_imports)")
        # 2. An identity already linked to another member: that row is rejected, whole.
        conflicts = (await self._sql("""
            SELECT DISTINCT r.row_no, r.row_key, s.channel, s.external_id FROM member_import_rows r
            JOIN member_import_identities s ON s.row_key = r.row_key
            JOIN member_identities mi ON mi.channel = s.channel AND mi.external_id = s.external_id
            JOIN members m ON m.id = mi.member_id
            WHERE m.phone <> r.phone""")).all()
        rejects: dict[int, Reject] = {}
        for row_no, key, channel, external in conflicts:
            rejects.setdefault(row_no, Reject(row_no, key, f"identities: {channel}:{external} belongs to another "
                                                          "member"))
        if rejects:
            keys = [r.key for r in rejects.values()]
            for table in ("member_import_rows", "member_import_identities"):
                await self._conn.execute(text(f"DELETE FROM {table} WHERE row_key IN :keys").bindparams(
                    bindparam("keys", expanding=True)), {"keys": keys})
        count = int((await self._sql("SELECT count(*) FROM member_import_rows")).scalar() or 0)
        if not count:
            return BatchOutcome(0, skipped, sorted(rejects.values(), key=lambda r: r.row_no)), []
        existing_with_points = [int(i) for i, in await self._sql(
            f"SELECT m.id FROM member_import_rows r {_MEMBER_OF_ROW} WHERE r.points > 0")]
        await self._insert_members(now)
        await self._sql(f"""
            INSERT INTO member_identities (member_id, channel, external_id, linked_at)
            SELECT m.id, s.channel, s.external_id, {NOW} FROM member_import_identities s
            JOIN member_import_rows r ON r.row_key = s.row_key {_MEMBER_OF_ROW}
            WHERE true ON CONFLICT DO NOTHING""", now=now)
        await self._apply_tiers(now)
        await self._apply_points(now)
        await self._sql(f"""
            INSERT INTO member_imports (row_key, member_id, imported_at)
            SELECT r.row_key, m.id, {NOW} FROM member_import_rows r {_MEMBER_OF_ROW}""", now=now)
        return BatchOutcome(count, skipped, sorted(rejects.values(), key=lambda r: r.row_no)), existing_with_points

    async def _insert_members(self, now: datetime) -> None:
        empty_list = "CAST('[]' AS JSON)" if self._pg else "'[]'"
        for _attempt in range(5):
            await self._sql(f"""
                INSERT INTO members (phone, member_code, display_name, birthday, tags, joined_at)
                SELECT phone, member_code, display_name, birthday, {empty_list}, {NOW} FROM member_import_rows
                WHERE true ON CONFLICT DO NOTHING""", now=now)
            # A member code already taken (8 characters: 1 in ~10^12 per pair, so a few in a
            # million) made its row skip: give those rows fresh codes and go again.
            missing = [r for r, in await self._sql(
                "SELECT row_key FROM member_import_rows r WHERE NOT EXISTS "
                "(SELECT 1 FROM members m WHERE m.phone = r.phone)")]
            if not missing:
                return
            for key in missing:
                await self._sql("UPDATE member_import_rows SET member_code = :c WHERE row_key = :k",
                                c=member_code(), k=key)
        raise RuntimeError("member codes kept colliding; rerun the import")

    async def _apply_tiers(self, now: datetime) -> None:
        joined = f"FROM member_import_rows r {_MEMBER_OF_ROW} JOIN tiers t ON t.code = r.tier_code"
        await self._sql(f"""
            INSERT INTO tier_changes (member_id, from_tier_id, to_tier_id, reason, spend_cents, created_at)
            SELECT m.id, mt.tier_id, t.id, :reason, 0, {NOW} {joined}
            LEFT JOIN member_tiers mt ON mt.member_id = m.id""", reason=TierChangeReason.IMPORTED.value, now=now)
        await self._sql(f"""
            INSERT INTO member_tiers (member_id, tier_id, achieved_at, held_until, version)
            SELECT m.id, t.id, {NOW}, r.tier_until, 1 {joined} WHERE true
            ON CONFLICT (member_id) DO UPDATE SET tier_id = excluded.tier_id, achieved_at = excluded.achieved_at,
              held_until = excluded.held_until, version = member_tiers.version + 1""", now=now)

    async def _apply_points(self, now: datetime) -> None:
        """The opening balance as the ledger records any credit: an ADJUST entry (idempotency key
        `import/<row key>`), a lot with the row's expiry, and the account moved by the same sum."""
        empty = "CAST('{}' AS JSON)" if self._pg else "'{}'"
        await self._sql(f"""
            INSERT INTO points_entries (member_id, kind, amount, reason, source_type, source_ref, idempotency_key,
                                        actor_role, actor_id, details, created_at)
            SELECT m.id, :kind, r.points, 'Opening balance (import)', :source, r.row_key, 'import/' || r.row_key,
                   'staff', 0, {empty}, {NOW}
            FROM member_import_rows r {_MEMBER_OF_ROW} WHERE r.points > 0""",
            kind=EntryKind.ADJUST.value, source=_IMPORT_SOURCE, now=now)
        await self._sql("""
            INSERT INTO points_lots (member_id, entry_id, original, remaining, earned_at, available_at, expires_at)
            SELECT e.member_id, e.id, e.amount, e.amount, {NOW}, {NOW}, r.points_until
            FROM member_import_rows r JOIN points_entries e
              ON e.source_type = :source AND e.idempotency_key = 'import/' || r.row_key
            WHERE r.points > 0""", source=_IMPORT_SOURCE, now=now)
        await self._sql(f"""
            INSERT INTO points_accounts (member_id, balance, version, updated_at)
            SELECT m.id, 0, 0, {NOW} FROM member_import_rows r {_MEMBER_OF_ROW} WHERE r.points > 0
            ON CONFLICT DO NOTHING""", now=now)
        # One pass over the batch's sums (UPDATE … FROM: PostgreSQL, SQLite 3.33+); a correlated
        # subquery per account re-read the whole unindexed staging table for each member.
        await self._sql(f"""
            UPDATE points_accounts SET balance = points_accounts.balance + d.total,
              version = points_accounts.version + 1, updated_at = {NOW}
            FROM (SELECT m.id AS member_id, sum(r.points) AS total FROM member_import_rows r {_MEMBER_OF_ROW}
                  WHERE r.points > 0 GROUP BY m.id) AS d
            WHERE points_accounts.member_id = d.member_id""", now=now)

