"""import-purchases: purchase history from an old system, in batches.

Choices (README "Importing purchases"):
- History without points: imported orders earn nothing (points_awarded 0, no ledger entry). The old
  system's balances come over as opening balances with the members; earning again on its orders
  would pay twice. They count for the KPIs, for tier qualifying spend at the next review and for
  segments, like any order.
- The row key is (storeId, orderId), the key recordPurchase uses: a row already imported (or
  recorded by the POS) with the same member, amount and time is skipped; with other data it is
  rejected.
- Each batch is one transaction (rows, and the checkpoint saying how far the file is done), so a
  failed batch leaves nothing behind and a rerun resumes after the last committed batch.
- After the last batch, the KPI rollups of every local day the file touched are recomputed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from domain.clock import Clock
from domain.imports.purchase_rows import ImportedPurchase, RowRejected, parse_row
from domain.kpis.rollups import rollup_days
from domain.ports import UnitOfWork

Reject = Callable[[int, str, str], None]  # line, order id (or ''), reason


@dataclass(frozen=True)
class LoadOutcome:
    imported: int
    duplicates: list[int]  # lines already imported with the same data
    unknown_members: list[int]  # lines whose phone no member has
    conflicts: list[int]  # lines whose order was imported or recorded with other data


@dataclass
class ImportSummary:
    read: int = 0
    skipped_before_resume: int = 0
    imported: int = 0
    duplicates: int = 0
    rejected: int = 0
    batches: int = 0
    days: set[date] = field(default_factory=set)

    def as_dict(self) -> dict[str, int]:
        return {"read": self.read, "resumedAfter": self.skipped_before_resume, "imported": self.imported,
                "duplicates": self.duplicates, "rejected": self.rejected, "batches": self.batches,
                "daysRolledUp": len(self.days)}


async def resume_line(new_uow: Callable[[], UnitOfWork], key: str) -> int:
    """The last line of the file a committed batch covered (0: start from the top)."""
    async with new_uow() as uow:
        return await uow.purchase_import.resume_line(key)


async def import_purchases(rows: Iterable[tuple[int, dict[str, object] | str]], new_uow: Callable[[], UnitOfWork],
                           clock: Clock, key: str, reject: Reject, batch_size: int = 5_000,
                           progress: Callable[[int], None] | None = None) -> ImportSummary:
    """`rows` yields (line number, the row as a dict, or why it could not be read). `key` names the
    file (its digest) for the checkpoint."""
    summary = ImportSummary()
    done = await resume_line(new_uow, key)
    batch: list[tuple[int, dict[str, object] | str]] = []
    for line, row in rows:
        summary.read += 1
        if line <= done:
            summary.skipped_before_resume += 1
            if progress:
                progress(1)
            continue
        batch.append((line, row))
        if len(batch) >= batch_size:
            await _batch(batch, new_uow, clock, key, reject, summary, progress)
            batch = []
    if batch:
        await _batch(batch, new_uow, clock, key, reject, summary, progress)
    if summary.days:
        await rollup_days(new_uow, clock, sorted(summary.days))
    return summary


async def _batch(rows: Sequence[tuple[int, dict[str, object] | str]], new_uow: Callable[[], UnitOfWork],
                 clock: Clock, key: str, reject: Reject, summary: ImportSummary,
                 progress: Callable[[int], None] | None) -> None:
    now = clock.now()
    valid: dict[tuple[str, str], ImportedPurchase] = {}
    rejects: list[tuple[int, str, str]] = []
    for line, row in rows:
        if isinstance(row, str):
            rejects.append((line, "", row))
            continue
        try:
            purchase = parse_row(line, row, now)
        except RowRejected as exc:
            rejects.append((line, str(row.get("orderId") or row.get("order_id") or ""), str(exc)))
            continue
        order = (purchase.store_id, purchase.order_id)
        if order in valid:
            rejects.append((line, purchase.order_id, f"the same order as line {valid[order].line}"))
            continue
        valid[order] = purchase
    by_line = {p.line: p for p in valid.values()}
    async with new_uow() as uow:
        outcome = await uow.purchase_import.load(list(valid.values()), now)
        await uow.purchase_import.save_checkpoint(key, rows[-1][0], now)
        await uow.commit()
    # After the commit, so the rejects file holds exactly the batches that landed.
    rejects += [(line, by_line[line].order_id, "no member has this phone") for line in outcome.unknown_members]
    rejects += [(line, by_line[line].order_id, "this order was already recorded with other data")
                for line in outcome.conflicts]
    for line, order_id, reason in sorted(rejects):
        reject(line, order_id, reason)
    refused = set(outcome.unknown_members) | set(outcome.conflicts) | set(outcome.duplicates)
    summary.days |= {clock.day_of(p.purchased_at) for p in valid.values() if p.line not in refused}
    summary.imported += outcome.imported
    summary.duplicates += len(outcome.duplicates)
    summary.rejected += len(rejects)
    summary.batches += 1
    if progress:
        progress(len(rows))
