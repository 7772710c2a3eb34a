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

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from domain.clock import Clock
from domain.imports.purchase_rows import ImportedPurchase, RowRejected, parse_row
from domain.imports.staging import Batch, Rejected, stage_in_batches
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
    file (its digest) for the checkpoint. The loop is the shared one (domain/imports/staging.py)."""
    summary = ImportSummary()

    def check(line: int, row: dict[str, object] | str) -> ImportedPurchase | Rejected:
        if isinstance(row, str):
            return Rejected(line, "", row)
        try:
            return parse_row(line, row, clock.now())
        except RowRejected as exc:
            return Rejected(line, str(row.get("orderId") or row.get("order_id") or ""), str(exc))

    async def apply(batch: Batch[ImportedPurchase]) -> list[Rejected]:
        now = clock.now()
        valid: dict[tuple[str, str], ImportedPurchase] = {}
        rejects: list[Rejected] = []
        for purchase in batch.items:
            order = (purchase.store_id, purchase.order_id)
            if order in valid:
                rejects.append(Rejected(purchase.line, purchase.order_id,
                                        f"the same order as line {valid[order].line}"))
                continue
            valid[order] = purchase
        by_line = {p.line: p for p in valid.values()}
        async with new_uow() as uow:
            outcome = await uow.purchase_import.load(list(valid.values()), now)
            await uow.purchase_import.save_checkpoint(key, batch.last_row, now)
            await uow.commit()
        rejects += [Rejected(line, by_line[line].order_id, "no member has this phone")
                    for line in outcome.unknown_members]
        rejects += [Rejected(line, by_line[line].order_id, "this order was already recorded with other data")
                    for line in outcome.conflicts]
        refused = set(outcome.unknown_members) | set(outcome.conflicts) | set(outcome.duplicates)
        summary.days |= {clock.day_of(p.purchased_at) for p in valid.values() if p.line not in refused}
        summary.imported += outcome.imported
        summary.duplicates += len(outcome.duplicates)
        return rejects

    totals = await stage_in_batches(
        rows, check, apply, batch_size=batch_size, resume_after=await resume_line(new_uow, key),
        on_reject=lambda r, _raw: reject(r.row_no, r.key, r.reason), progress=progress)
    summary.read, summary.skipped_before_resume = totals.read, totals.resumed
    summary.rejected, summary.batches = totals.rejected, totals.batches
    if summary.days:
        await rollup_days(new_uow, clock, sorted(summary.days))
    return summary
