"""A member's balance: derived from lots and the ledger, cached write-through with a version."""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.points.model import Balance
from domain.ports import Cache, UnitOfWork
from domain.program.services import load_settings

CACHE_TTL_SECONDS = 300


def balance_cache_key(member_id: int) -> str:
    return f"member:{member_id}:balance"


def _to_cache(b: Balance) -> dict[str, object]:
    return {
        "total": b.total, "available": b.available, "pending": b.pending, "expiring_soon": b.expiring_soon,
        "days": b.expiring_window_days, "version": b.version,
        "valid_until": b.valid_until.isoformat() if b.valid_until else None,
    }


def _from_cache(member_id: int, data: dict[str, object]) -> Balance:
    valid_until = data.get("valid_until")
    return Balance(
        member_id=member_id, total=int(data["total"]), available=int(data["available"]),  # type: ignore[call-overload]
        pending=int(data["pending"]), expiring_soon=int(data["expiring_soon"]),  # type: ignore[call-overload]
        expiring_window_days=int(data["days"]), version=int(data["version"]),  # type: ignore[call-overload]
        valid_until=datetime.fromisoformat(str(valid_until)) if valid_until else None,
    )


async def compute_balance(uow: UnitOfWork, member_id: int, now: datetime, soon_days: int) -> Balance:
    """Inside an open unit of work, straight from the database."""
    total, version = await uow.points.account_version(member_id)
    window = timedelta(days=soon_days)
    # Aggregated in the database: members with years of purchases have thousands of open lots.
    available, pending, expiring, (next_available, next_expiry, next_after) = await uow.points.lot_totals(
        member_id, now, now + window)
    moments = [m for m in (next_available, next_expiry, next_after - window if next_after else None) if m]
    next_change = min((m for m in moments if m > now), default=None)
    return Balance(member_id, total, available, pending, expiring, soon_days, version, next_change)


async def get_balance(uow: UnitOfWork, cache: Cache, member_id: int, now: datetime, soon_days: int,
                      min_version: int = 0) -> Balance:
    """The cached balance while it is current (same window, not outdated by the clock, at least
    `min_version`), else the database's, which then refreshes the cache."""
    try:
        cached = await cache.get(balance_cache_key(member_id))
        hit = _from_cache(member_id, cached) if cached else None
    except (KeyError, TypeError, ValueError):
        hit = None
    if (hit and hit.expiring_window_days == soon_days and hit.version >= min_version
            and (hit.valid_until is None or hit.valid_until > now)):
        return hit
    async with uow.read_only():
        balance = await compute_balance(uow, member_id, now, soon_days)
    await remember_balance(cache, balance, now)
    return balance


async def remember_balance(cache: Cache, balance: Balance, now: datetime) -> None:
    ttl = CACHE_TTL_SECONDS
    if balance.valid_until is not None:
        ttl = max(1, min(ttl, int((balance.valid_until - now) / timedelta(seconds=1))))
    await cache.put_if_newer(balance_cache_key(balance.member_id), balance.version, _to_cache(balance), ttl)


async def refresh_balances(uow: UnitOfWork, cache: Cache, member_ids: list[int], now: datetime) -> None:
    """Write-through after a commit: recompute from the database and let the versioned cache
    keep whichever copy is newest."""

    for member_id in member_ids:
        async with uow.read_only():
            days = (await load_settings(uow)).expiring_soon_days
            balance = await compute_balance(uow, member_id, now, days)
        await remember_balance(cache, balance, now)
