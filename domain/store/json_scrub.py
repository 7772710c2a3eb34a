"""Find rows whose JSON column mentions any of some values, and rewrite those values out of them.

Used by erasure on free-form JSON (audit details, outbox payloads). The search is a text match on
the stored JSON (both the plain and the \\uXXXX-escaped spelling), so it scans the table: erasure is
rare, and these tables have no member column to narrow it down."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, String, Table, cast, false, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.privacy.model import redact_text, scrub, search_forms

_BATCH = 500


async def scrub_json_rows(conn: AsyncConnection, table: Table, column: str, identifiers: Sequence[str],
                          names: Sequence[str], tied: ColumnElement[bool] | None = None) -> int:
    """Rewrite `identifiers` (and `names`) out of every row that mentions an identifier. Rows matching
    `tied` (known to be about the member) lose every text value instead. Returns the rows changed."""
    col = table.c[column]
    as_text = cast(col, String)
    found = or_(false(), *(as_text.contains(f, autoescape=True) for f in search_forms(identifiers)))
    where = or_(found, tied) if tied is not None else found
    targets = sorted([*identifiers, *names], key=len, reverse=True)
    changed = 0
    after = 0
    while True:
        rows = (await conn.execute(select(table.c.id, col, (tied if tied is not None else false()).label("tied"))
                                   .where(where, table.c.id > after).order_by(table.c.id).limit(_BATCH))).all()
        for row in rows:
            value = row[1]
            new = redact_text(value) if row.tied else scrub(value, targets)
            if new != value:
                await conn.execute(update(table).where(table.c.id == row.id).values({column: new}))
                changed += 1
        if len(rows) < _BATCH:
            return changed
        after = rows[-1].id
