"""A circuit breaker for Redis: after a failure, calls skip Redis for a moment instead of each
waiting out a socket timeout, so a stalled Redis costs a request milliseconds, not seconds."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


class CircuitBreaker:
    def __init__(self, open_seconds: float = 2.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.open_seconds = open_seconds
        self._clock = clock
        self._open_until = 0.0
        self.on_trip: Callable[[float], None] | None = None  # metrics (api/metrics.py), given open_seconds

    @property
    def closed(self) -> bool:
        """True when Redis may be tried."""
        return self._clock() >= self._open_until

    def trip(self, what: str, exc: BaseException) -> None:
        if self.closed:
            log.warning("redis %s failed, skipping redis for %.1fs: %s", what, self.open_seconds, exc)
        self._open_until = self._clock() + self.open_seconds
        if self.on_trip is not None:
            self.on_trip(self.open_seconds)
