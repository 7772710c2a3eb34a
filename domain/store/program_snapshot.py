"""A process-local copy of the tier ladder and the program settings, for read-only units of work.

Every member home screen reads both, every purchase reads them and the earning rules, and staff
change them a few times a year, so each worker keeps the last copy it read for `ttl_seconds` instead
of asking PostgreSQL on every request. A commit in
this process that saved a tier or a setting drops the copy at once (the next read in this worker
sees the change); another worker (or process) sees it when its copy expires, at most `ttl_seconds`
later. Units of work that write use the copy too (three statements fewer per purchase), except after
they saved a tier, rule or setting themselves: from then on they read their own writes. The
generation counter keeps a read that started before a save's commit
from storing the old copy after the save dropped it."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

from domain.points.rules import EarningRule
from domain.tiers.model import Tier
from domain.webhooks.model import Subscription

TTL_SECONDS = 1.0
T = TypeVar("T")


class ProgramSnapshot:
    def __init__(self, ttl_seconds: float = TTL_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl_seconds
        self._clock = clock
        self._generation = 0
        self._held: dict[str, tuple[float, Any]] = {}  # what -> (when it was read, the copy)

    def invalidate(self) -> None:
        """After the commit of a transaction that saved a tier, a setting, a rule or a webhook
        subscription."""
        self._generation += 1
        self._held.clear()

    async def _cached(self, what: str, read: Callable[[], Awaitable[T]]) -> T:
        held = self._held.get(what)
        if held is not None and self._clock() - held[0] < self._ttl:
            return cast(T, held[1])
        generation, began = self._generation, self._clock()
        value = await read()
        if generation == self._generation:
            self._held[what] = (began, value)
        return value

    async def tiers(self, read: Callable[[], Awaitable[list[Tier]]]) -> list[Tier]:
        return list(await self._cached("tiers", read))  # Tier is frozen; the list is the caller's to sort

    async def settings(self, read: Callable[[], Awaitable[dict[str, object]]]) -> dict[str, object]:
        return dict(await self._cached("settings", read))

    async def rules(self, read: Callable[[], Awaitable[list[EarningRule]]]) -> list[EarningRule]:
        return list(await self._cached("rules", read))  # EarningRule is frozen

    async def subscriptions(self, read: Callable[[], Awaitable[list[Subscription]]]) -> list[Subscription]:
        """The active webhook subscriptions, which every commit that raises events consults (the outbox
        rows are written in the same transaction): a new endpoint receives events from its own
        worker at once, from the others within `ttl_seconds`."""
        return list(await self._cached("subscriptions", read))
