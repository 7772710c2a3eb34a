"""The process-local copy of the tier ladder and settings: expiry, invalidation, and no stale refill."""

from __future__ import annotations

import asyncio

from domain.store.program_snapshot import ProgramSnapshot
from domain.tiers.model import Tier


def ladder(threshold: int) -> list[Tier]:
    return [Tier(1, "BASE", "Member", 0, 0), Tier(2, "GOLD", "Gold", 1, threshold)]


async def test_the_copy_serves_until_it_expires_or_a_save_drops_it() -> None:
    now = [0.0]
    snapshot = ProgramSnapshot(ttl_seconds=1.0, clock=lambda: now[0])
    stored = [ladder(5_000)]
    reads = []

    async def read() -> list[Tier]:
        reads.append(1)
        return stored[0]

    assert (await snapshot.tiers(read))[1].threshold_cents == 5_000
    stored[0] = ladder(4_000)
    now[0] = 0.9
    assert (await snapshot.tiers(read))[1].threshold_cents == 5_000 and len(reads) == 1
    now[0] = 1.0
    assert (await snapshot.tiers(read))[1].threshold_cents == 4_000 and len(reads) == 2
    stored[0] = ladder(3_000)
    snapshot.invalidate()
    assert (await snapshot.tiers(read))[1].threshold_cents == 3_000 and len(reads) == 3


async def test_a_read_that_began_before_a_save_does_not_store_the_old_copy() -> None:
    snapshot = ProgramSnapshot(ttl_seconds=60.0)
    stored = [{"tier_window_months": 12}]
    gate = asyncio.Event()

    async def slow_read() -> dict[str, object]:
        value = dict(stored[0])
        await gate.wait()
        return value

    async def read() -> dict[str, object]:
        return dict(stored[0])

    slow = asyncio.ensure_future(snapshot.settings(slow_read))
    await asyncio.sleep(0)
    stored[0] = {"tier_window_months": 6}
    snapshot.invalidate()  # the save committed while the slow read was in flight
    gate.set()
    assert (await slow)["tier_window_months"] == 12  # what that request saw
    assert (await snapshot.settings(read))["tier_window_months"] == 6


async def test_callers_get_their_own_list_and_dict() -> None:
    snapshot = ProgramSnapshot()

    async def tiers() -> list[Tier]:
        return ladder(5_000)

    async def settings() -> dict[str, object]:
        return {"a": 1}

    (await snapshot.tiers(tiers)).clear()
    (await snapshot.settings(settings)).clear()
    assert len(await snapshot.tiers(tiers)) == 2 and await snapshot.settings(settings) == {"a": 1}
