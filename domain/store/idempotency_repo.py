"""Idempotency records: a claimed key and, from the commit of the work it guarded, its result."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.store.dialect import insert_ignoring_conflict
from domain.store.tables import idempotency_records

_SCOPE_MAX = idempotency_records.c.scope.type.length


def fit_scope(scope: str) -> str:
    """Scopes are built from caller-supplied ids (`refund:store:<storeId>/<orderId>`), which may add up to
    more than the column holds: a long scope keeps a readable head and ends in a digest of the whole."""
    if len(scope) <= _SCOPE_MAX:
        return scope
    digest = hashlib.sha256(scope.encode()).hexdigest()
    return scope[: _SCOPE_MAX - len(digest) - 1] + "#" + digest


class SqlIdempotencyRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn
        # Keys this transaction claimed, with the result owed for each (None until the use case gives it).
        self._owed: dict[tuple[str, str], dict[str, object] | None] = {}

    async def claim(self, scope: str, key: str, request_hash: str, now: datetime) -> tuple[bool, str, dict | None]:
        inserted = await self._conn.execute(
            insert_ignoring_conflict(self._conn, idempotency_records, ["scope", "key"])
            .values(scope=fit_scope(scope), key=key, request_hash=request_hash, created_at=now)
            .returning(idempotency_records.c.key)
        )
        if inserted.first() is not None:
            self._owed[(scope, key)] = None
            return True, request_hash, None
        row = (await self._conn.execute(
            select(idempotency_records).where(idempotency_records.c.scope == fit_scope(scope),
                                              idempotency_records.c.key == key)
        )).one()
        return False, row.request_hash, row.result

    def owe(self, scope: str, key: str, result: dict[str, object]) -> None:
        if (scope, key) not in self._owed:
            raise RuntimeError(f"result for an idempotency key this transaction did not claim: {scope} {key}")
        self._owed[(scope, key)] = result

    async def flush(self) -> None:
        """Just before the commit: store every owed result. A claimed key without one would block
        every retry for good ("not finished"), so committing without it is a bug, refused here."""
        missing = [f"{scope} {key}" for (scope, key), result in self._owed.items() if result is None]
        if missing:
            raise RuntimeError(f"commit without a result for claimed idempotency keys: {missing}")
        for (scope, key), result in self._owed.items():
            await self._conn.execute(
                update(idempotency_records)
                .where(idempotency_records.c.scope == fit_scope(scope), idempotency_records.c.key == key)
                .values(result=result)
            )
        self._owed.clear()
