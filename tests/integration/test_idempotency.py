"""Idempotency is one construct: `idempotent()` claims the key, tells a repeat from new work and a
conflict, and the unit of work stores the result at the commit (and refuses a commit without one)."""

from __future__ import annotations

import pytest

from domain.errors import IdempotencyConflict
from domain.idempotency import idempotent
from tests.support.client import ApiClient


async def test_first_call_works_a_repeat_replays_and_another_request_conflicts(api: ApiClient) -> None:
    uow, now = api.container.uow(), api.container.now()
    async with uow, idempotent(uow, "test:1", "k1", {"amount": 5}, now) as slot:
        assert slot.replay is None
        slot.done({"entry": 42})
        await uow.commit()
    async with uow, idempotent(uow, "test:1", "k1", {"amount": 5}, now) as slot:
        assert slot.replay == {"entry": 42}
    with pytest.raises(IdempotencyConflict):
        async with uow, idempotent(uow, "test:1", "k1", {"amount": 6}, now):
            pass


async def test_a_commit_that_forgot_the_result_is_refused_and_leaves_the_key_free(api: ApiClient) -> None:
    uow, now = api.container.uow(), api.container.now()
    with pytest.raises(RuntimeError, match="without a result"):
        async with uow, idempotent(uow, "test:2", "k2", {"amount": 5}, now):
            await uow.commit()
    # Nothing committed: the key is still free, instead of blocking every retry as "not finished".
    async with uow, idempotent(uow, "test:2", "k2", {"amount": 5}, now) as slot:
        assert slot.replay is None
