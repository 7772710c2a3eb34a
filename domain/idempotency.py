"""Idempotency keys: a retried write returns the first call's result instead of doing the work again."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

from domain.errors import BadUserInput, Conflict, IdempotencyConflict
from domain.ports import UnitOfWork

_KEY = re.compile(r"[A-Za-z0-9_.:/\-]{1,100}")


def check_key(key: str, field: str = "idempotencyKey") -> str:
    if not _KEY.fullmatch(key or ""):
        raise BadUserInput.for_field(field, "Use 1-100 letters, digits or . _ : / - as the idempotency key.")
    return key


def fingerprint(payload: dict[str, object]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


class Slot:
    """A claimed idempotency key. `replay` is the first call's stored result when this call is a
    repeat (return what it names, do no work); else None, and the work ends with `done(result)`,
    which the unit of work stores at its commit (a commit without it is refused)."""

    def __init__(self, uow: UnitOfWork, scope: str, key: str, replay: dict | None) -> None:
        self._uow, self._scope, self._key = uow, scope, key
        self.replay = replay

    def done(self, result: dict[str, object]) -> None:
        self._uow.idempotency.owe(self._scope, self._key, result)


@asynccontextmanager
async def idempotent(uow: UnitOfWork, scope: str, key: str, request: dict[str, object],
                     now: datetime) -> AsyncIterator[Slot]:
    """Inside the caller's open transaction, one construct for every idempotent write:

        async with idempotent(uow, f"gift:{sender_id}", key, {"to": ..., "amount": ...}, now) as slot:
            if slot.replay is not None:
                return <what slot.replay names>
            ... the work ...
            slot.done({"entry": entry.id})
            await uow.commit()

    Keys are `scope` (what and whose, "kind:owner") plus the client's key (check_key). The same
    key with a different request is IDEMPOTENCY_CONFLICT; a repeat while the first call is still
    running is CONFLICT. On PostgreSQL a concurrent duplicate waits in the claim until the first
    transaction ends, then sees its result."""
    fp = fingerprint(request)
    claimed, stored_hash, result = await uow.idempotency.claim(scope, check_key(key), fp, now)
    if claimed:
        yield Slot(uow, scope, key, None)
        return
    if stored_hash != fp:
        raise IdempotencyConflict("This idempotency key was already used for a different request.")
    if result is None:
        raise Conflict("The first request with this idempotency key has not finished; retry shortly.")
    yield Slot(uow, scope, key, result)
