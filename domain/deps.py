"""What every use case receives besides its command: `(command, deps)`."""

from __future__ import annotations

from dataclasses import dataclass

from domain.auth.viewer import Viewer
from domain.clock import Clock
from domain.ports import Cache, UnitOfWork


@dataclass(frozen=True)
class Deps:
    """`uow` is one unit of work (re-enterable, one transaction per `async with`); `viewer` is who
    asks (the request's caller, or the job's system identity), like the clock not part of what is
    asked. Cached read models are written through by the unit of work, not by use cases; `cache`
    is for the reads a use case answers."""

    uow: UnitOfWork
    cache: Cache
    clock: Clock
    viewer: Viewer
