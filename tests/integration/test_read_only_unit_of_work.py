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
