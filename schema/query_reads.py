"""Reads the fields of one HTTP query share, so the home screen reads each thing once.

The member home query asks for `me` (the profile the token check has just read) and for the balance
twice (`me.points` and `rewards(affordableNow: true)`). Within one query those answers are the same
read a fraction of a millisecond apart, so the first read serves the later fields. Only for
queries: a mutation's payload must show the balance after its own write, and a websocket context
outlives any single read, so neither gets one of these."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from graphql import OperationType

from domain.members.model import Member
from domain.points.model import Balance
from domain.ports import Cache

if TYPE_CHECKING:
    from schema.info import Info


class QueryReads:
    def __init__(self, profile: Member | None, cache: Cache) -> None:
        self.profile = profile  # the viewer's profile as the token check read it
        self.cache = cache  # the request's cache, with the viewer's entries fetched at its start
        self._balances: dict[tuple[int, int | None], asyncio.Future[Balance]] = {}

    async def balance(self, member_id: int, soon_days: int | None, read: Callable[[], Awaitable[Balance]]) -> Balance:
        # Concurrent fields wait for the one read in flight rather than starting their own.
        pending = self._balances.get((member_id, soon_days))
        if pending is None:
            pending = self._balances[(member_id, soon_days)] = asyncio.ensure_future(read())
        # Shielded: a cancelled waiter (a failed sibling field) must not cancel the read for the others.
        return await asyncio.shield(pending)


def query_reads(info: Info) -> QueryReads | None:
    """The request's shared reads when this operation is a query, else None (read afresh)."""
    reads = info.context.query_reads
    return reads if reads is not None and info.operation.operation is OperationType.QUERY else None
