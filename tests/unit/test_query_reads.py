"""Fields of one query share the viewer's balance read; one cancelled field does not cancel the others."""

from __future__ import annotations

import asyncio

from schema.query_reads import QueryReads


async def test_a_cancelled_reader_does_not_cancel_the_shared_read() -> None:
    reads = QueryReads(None, None)  # type: ignore[arg-type]
    started = asyncio.Event()
    calls = 0

    async def read() -> int:
        nonlocal calls
        calls += 1
        started.set()
        await asyncio.sleep(0.01)
        return 120

    first = asyncio.ensure_future(reads.balance(1, 30, read))  # type: ignore[arg-type]
    second = asyncio.ensure_future(reads.balance(1, 30, read))  # type: ignore[arg-type]
    await started.wait()
    first.cancel()
    assert await second == 120
    assert calls == 1
