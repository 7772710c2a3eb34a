"""The batching loop every file import shares (`import-members`, `import-purchases`).

Rows come in as (row number, raw row); `check` turns each into an item for the store or a rejection
(no I/O); every `batch_size` rows read, `apply` hands the batch's items to the store in ONE
transaction (staging table filled by COPY, then set-based SQL: domain/store/staging.py) and returns
the rows the database refused. So:
- a batch lands whole or not at all, and the rejects of a batch are reported only after it
  committed, in row order: the rejects file holds exactly the batches that landed;
- resumable: rows numbered up to `resume_after` (a checkpoint `apply` saved with its batch) are
  passed over; an import that is idempotent per row key may also simply run the file again;
- progress: one call per resumed row and one per batch (its rows), for a bar with rate and ETA;
- the next batch is checked while the previous one is applied (see stage_in_batches).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

Raw = TypeVar("Raw")
YIELD_EVERY = 250  # rows checked between chances for the batch in flight to talk to the database
Item = TypeVar("Item")


@dataclass(frozen=True)
class Rejected:
    """A row left out, with the reason a person fixing the file needs."""

    row_no: int
    key: str  # the row's key as the file gives it ('' when unreadable)
    reason: str


@dataclass(frozen=True)
class Batch(Generic[Item]):
    items: list[Item]  # the rows that passed `check`, in file order
    last_row: int  # the last row number the batch covers (rejected rows included): the checkpoint


@dataclass
class StagingTotals:
    read: int = 0
    resumed: int = 0  # rows passed over because an earlier run committed them
    rejected: int = 0
    batches: int = 0


async def stage_in_batches(
    rows: Iterable[tuple[int, Raw]] | AsyncIterable[tuple[int, Raw]],
    check: Callable[[int, Raw], Item | Rejected],
    apply: Callable[[Batch[Item]], Awaitable[list[Rejected]]],
    *, batch_size: int, resume_after: int = 0,
    on_reject: Callable[[Rejected, Raw | None], None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> StagingTotals:
    """One batch is applied while the next one is checked (the database works while Python parses;
    on two cores that nearly halves an import); never two applies at once, so batches commit in file
    order, and a failed apply stops the loop before the batch after it is applied."""
    totals = StagingTotals()
    items: list[Item] = []
    raws: dict[int, Raw] = {}
    pending: list[Rejected] = []
    in_batch = last_row = 0
    in_flight: tuple[asyncio.Future[list[Rejected]], list[Rejected], dict[int, Raw], int] | None = None

    async def settle() -> None:
        """Wait for the batch in flight; after its commit, report its rejects in row order (a batch
        that failed reports nothing, and its rerun reports it once)."""
        nonlocal in_flight
        if in_flight is None:
            return
        task, checked_out, batch_raws, count = in_flight
        in_flight = None
        refused = await task
        for rejected in sorted(checked_out + refused, key=lambda r: r.row_no):
            totals.rejected += 1
            if on_reject is not None:
                on_reject(rejected, batch_raws.get(rejected.row_no))
        if progress is not None:
            progress(count)
        totals.batches += 1

    async def flush() -> None:
        nonlocal in_batch, in_flight
        if not in_batch:
            return
        batch = Batch(list(items), last_row)
        taken = (list(pending), dict(raws), in_batch)
        items.clear()
        raws.clear()
        pending.clear()
        in_batch = 0
        await settle()
        in_flight = (asyncio.ensure_future(apply(batch)), *taken)

    async def take(row_no: int, raw: Raw) -> None:
        nonlocal in_batch, last_row
        totals.read += 1
        if row_no <= resume_after:
            totals.resumed += 1
            if progress is not None:
                progress(1)
            return
        checked = check(row_no, raw)
        raws[row_no] = raw
        if isinstance(checked, Rejected):
            pending.append(checked)
        else:
            items.append(checked)
        in_batch += 1
        last_row = row_no
        if in_batch >= batch_size:
            await flush()
        elif in_batch % YIELD_EVERY == 0:
            await asyncio.sleep(0)  # let the batch in flight send its next statement

    try:
        if isinstance(rows, AsyncIterable):
            async for row_no, raw in rows:
                await take(row_no, raw)
        else:
            for row_no, raw in rows:
                await take(row_no, raw)
        await flush()
    finally:
        # Also when reading or checking failed: the batch in flight commits (or fails) before we return.
        await settle()
    return totals
