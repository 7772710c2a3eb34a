"""A read-only unit of work reads what is committed, refuses to commit, and lasts one block."""

from __future__ import annotations

import pytest

from tests.support.client import ApiClient


async def test_read_only_block_reads_refuses_commit_and_ends_with_the_block(api: ApiClient) -> None:
    member = await api.sign_in("13800138000")
    uow = api.container.uow()
    async with uow.read_only():
        found = await uow.members.get(int(member.member_id))
        assert found is not None and found.phone.endswith("13800138000")
        with pytest.raises(RuntimeError, match="read-only"):
            await uow.commit()
    # The same object is a normal transaction again: a write commits.
    async with uow:
        saved = await uow.members.get(int(member.member_id), for_update=True)
        assert saved is not None
        await uow.commit()
    with pytest.raises(RuntimeError, match="outside"):
        await uow.commit()


@pytest.mark.postgres
async def test_shared_read_connection_goes_back_to_the_pool_and_is_not_reopened(pg_api: ApiClient) -> None:
    container = pg_api.container
    member = await pg_api.sign_in("13800138000")
    pool = container.read_engine.pool
    shared = container.shared_reads()
    assert shared is not None
    async with container.uow(shared).read_only() as uow:
        assert await uow.members.get(int(member.member_id)) is not None
    assert pool.checkedout() == 1, "held for the rest of the request"
    await shared.close()
    assert pool.checkedout() == 0
    # Work still running after the request (an abandoned loader batch) reads on a connection of its own.
    async with container.uow(shared).read_only() as uow:
        assert await uow.members.get(int(member.member_id)) is not None
    assert pool.checkedout() == 0, "nothing reopened the closed shared connection"


@pytest.mark.postgres
async def test_a_failed_read_only_enter_leaves_the_next_block_a_transaction(
        pg_api: ApiClient, monkeypatch: pytest.MonkeyPatch) -> None:
    container = pg_api.container
    member = await pg_api.sign_in("13800138000")
    shared = container.shared_reads()
    assert shared is not None

    async def unavailable() -> None:
        raise OSError("pool timeout")

    monkeypatch.setattr(shared, "acquire", unavailable)
    uow = container.uow(shared)
    with pytest.raises(OSError):
        async with uow.read_only():
            pass
    async with uow:  # a write transaction, not the autocommit read connection
        assert await uow.members.get(int(member.member_id), for_update=True) is not None
        await uow.commit()
    await shared.close()
