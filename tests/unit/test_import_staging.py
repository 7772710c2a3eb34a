"""The batching loop both file imports share: batches commit one at a time in file order (the next
one is only checked meanwhile), rejects come out in row order after their batch, a failed batch
stops the import before anything after it is applied, and resumed rows are passed over."""

from __future__ import annotations

import asyncio

import pytest

from domain.imports.staging import Batch, Rejected, stage_in_batches


def check(row_no: int, raw: str) -> str | Rejected:
    return Rejected(row_no, raw, "bad") if raw.startswith("x") else raw


async def test_batches_apply_one_at_a_time_in_order_and_rejects_follow_their_commit() -> None:
    events: list[str] = []
    busy = 0

    async def apply(batch: Batch[str]) -> list[Rejected]:
        nonlocal busy
        busy += 1
        assert busy == 1, "two batches in flight"
        await asyncio.sleep(0.01)
        events.append(f"commit {batch.items} through {batch.last_row}")
        busy -= 1
        return [Rejected(batch.last_row, "db", "refused")] if "c" in batch.items else []

    rows = enumerate(["a", "x1", "b", "c", "x2", "d", "e"], start=1)
    totals = await stage_in_batches(rows, check, apply, batch_size=3,
                                    on_reject=lambda r, raw: events.append(f"reject {r.row_no} {raw}"))
    assert events == ["commit ['a', 'b'] through 3", "reject 2 x1",
                      "commit ['c', 'd'] through 6", "reject 5 x2", "reject 6 d",
                      "commit ['e'] through 7"]
    assert (totals.read, totals.rejected, totals.batches) == (7, 3, 3)


async def test_a_failed_batch_stops_the_import_and_reports_nothing_of_it() -> None:
    applied: list[int] = []

    async def apply(batch: Batch[str]) -> list[Rejected]:
        await asyncio.sleep(0)
        if batch.last_row == 4:
            raise RuntimeError("the database went away")
        applied.append(batch.last_row)
        return []

    rejected: list[int] = []
    with pytest.raises(RuntimeError):
        await stage_in_batches(enumerate(["a", "b", "x", "c", "d", "e", "f"], start=1), check, apply, batch_size=2,
                               on_reject=lambda r, _raw: rejected.append(r.row_no))
    assert applied == [2], "nothing after the failed batch was applied"
    assert rejected == [], "row 3 was in the failed batch"


async def test_rows_up_to_the_resume_point_are_passed_over() -> None:
    seen: list[list[str]] = []

    async def apply(batch: Batch[str]) -> list[Rejected]:
        seen.append(batch.items)
        return []

    totals = await stage_in_batches(enumerate("abcde", start=1), check, apply, batch_size=2, resume_after=3)
    assert seen == [["d", "e"]] and (totals.read, totals.resumed) == (5, 3)
