"""Streamed exports (`export-data`): pages read by keyset, one short read transaction each, so an
export of millions of rows holds one page in memory and no long transaction.

- `members`: every member who joined before the period's end, with their tier and their points
  balance at the end (the ledger sum of entries before it): the sum of that column is the points
  liability at that moment. No phone, name or birthday: finance and BI need none of them.
- `ledger`: every points entry made within the period.
- `purchases`: every purchase made within the period (purchase time), with its refunds and points.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from domain.exports.model import ExportKind, Period
from domain.ports import UnitOfWork

PAGE = 5_000


async def export_pages(new_uow: Callable[[], UnitOfWork], kind: ExportKind, period: Period,
                       page: int = PAGE) -> AsyncIterator[list[tuple]]:
    period.check()
    after = 0
    while True:
        async with new_uow().read_only() as uow:
            rows = await uow.exports.page(kind, period, after, page)
        if not rows:
            return
        yield rows
        after = int(rows[-1][0])
