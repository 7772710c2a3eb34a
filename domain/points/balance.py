"""A member's balance: derived from lots and the ledger, cached write-through with a version."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.deps import Deps
from domain.points.model import Balance
from domain.ports import UnitOfWork
from domain.program.services import load_settings

CACHE_TTL_SECONDS = 300


def balance_cache_key(member_id: int) -> str:
    return f"member:{member_id}:balance"


def _to_cache(b: Balance) -> dict[str, object]:
    return {
        "total": b.total, "available": b.available, "pending": b.pending, "expiring_soon": b.expiring_soon,
        "days": b.expiring_window_days, "version": b.version,
        "valid_until": b.valid_until.isoformat() if b.valid_until else None, "held": b.held,
    }


def _from_cache(member_id: int, data: dict[str, object]) -> Balance:
    valid_until = data.get("valid_until")
    return Balance(
        member_id=member_id, total=int(data["total"]), available=int(data["available"]),  # type: ignore[call-overload]
        pending=int(data["pending"]), expiring_soon=int(data["expiring_soon"]),  # type: ignore[call-overload]
        expiring_window_days=int(data["days"]), version=int(data["version"]),  # type: ignore[call-overload]
        valid_until=datetime.fromisoformat(str(valid_until)) if valid_until else None,
        held=int(data.get("held", 0)),  # type: ignore[call-overload]
    )


async def compute_balance(uow: UnitOfWork, member_id: int, now: datetime, soon_days: int) -> Balance:
    """Inside an open unit of work, straight from the database."""
    total, version = await uow.points.account_version(member_id)
    window = timedelta(days=soon_days)
    # Aggregated in the database: members with years of purchases have thousands of open lots.
    available, pending, expiring, (next_available, next_expiry, next_after), held = await uow.points.lot_totals(
        member_id, now, now + window)
    moments = [m for m in (next_available, next_expiry, next_after - window if next_after else None) if m]
    next_change = min((m for m in moments if m > now), default=None)
    return Balance(member_id, total, available, pending, expiring, soon_days, version, next_change, held)


@dataclass(frozen=True)
class BalanceRead:
    """`soon_days` None is the program's expiring-soon window, the one the cache holds; `min_version`
    refuses a cached copy older than a version the caller already saw."""

    member_id: int
    soon_days: int | None = None
    min_version: int = 0


async def get_balance(query: BalanceRead, deps: Deps) -> Balance:
    """The cached balance while it is current (same window, not outdated by the clock, at least
    `min_version`), else the database's, which then fills the cache. No authorization: callers
    have checked who may read it."""
    uow, cache, now = deps.uow, deps.cache, deps.clock.now()
    member_id, soon_days, min_version = query.member_id, query.soon_days, query.min_version
    try:
        cached = await cache.get(balance_cache_key(member_id))
        hit = _from_cache(member_id, cached) if cached else None
    except (KeyError, TypeError, ValueError):
        hit = None

    def current(days: int) -> bool:
        return bool(hit and hit.expiring_window_days == days and hit.version >= min_version
                    and (hit.valid_until is None or hit.valid_until > now))

    if soon_days is not None and current(soon_days):
        return hit  # type: ignore[return-value]
    async with uow.read_only():
        if soon_days is None:
            # The program snapshot answers this without a statement on a warm worker.
            soon_days = (await load_settings(uow)).expiring_soon_days
            if current(soon_days):
                return hit  # type: ignore[return-value]
        balance = await compute_balance(uow, member_id, now, soon_days)
    await cache.put_if_newer(*_entry(balance, now))
    return balance


def _entry(balance: Balance, now: datetime) -> tuple[str, int, dict[str, object], int]:
    ttl = CACHE_TTL_SECONDS
    if balance.valid_until is not None:
        ttl = max(1, min(ttl, int((balance.valid_until - now) / timedelta(seconds=1))))
    return balance_cache_key(balance.member_id), balance.version, _to_cache(balance), ttl


async def balance_fences(uow: UnitOfWork, member_ids: set[int]) -> list[tuple[str, int, None, int]]:
    """Inside a transaction that moved these accounts, just before its commit: a version fence per
    account, which the unit of work writes after the commit. The cached balance older than the
    committed version is served no more; the next read computes it from the database and fills it.
    Computing the balance here instead (the available / pending / expiring split aggregates the
    member's open lots) made every write cost more the longer the member's history: a fence costs
    the same for everyone (the version is what the account update returned)."""
    return [(balance_cache_key(member_id), (await uow.points.account_version(member_id))[1], None, CACHE_TTL_SECONDS)
            for member_id in sorted(member_ids)]
