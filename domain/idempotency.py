"""Idempotency keys: a retried write returns the first call's result instead of doing the work again."""

from __future__ import annotations

import hashlib
import json
import re
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


async def claim(uow: UnitOfWork, scope: str, key: str, payload: dict[str, object], now: datetime) -> dict | None:
    """Inside the caller's transaction: None when this call owns the key and must do the work,
    else the stored result of the call that did. On PostgreSQL a concurrent duplicate waits
    here until the first transaction ends, then sees its result."""
    claimed, stored_hash, result = await uow.idempotency.claim(scope, check_key(key), fingerprint(payload), now)
    if claimed:
        return None
    if stored_hash != fingerprint(payload):
        raise IdempotencyConflict("This idempotency key was already used for a different request.")
    if result is None:
        raise Conflict("The first request with this idempotency key has not finished; retry shortly.")
    return result
