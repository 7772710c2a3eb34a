"""A dependency-free progress bar for long CLI jobs (seeding, batch jobs)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    def __init__(self, total: int, label: str, stream: TextIO | None = None, width: int = 30) -> None:
        self.total = max(total, 1)
        self.label = label
        self.done = 0
        self._stream = stream or sys.stderr
        self._width = width
        self._started = time.monotonic()
        self._last_draw = 0.0

    def advance(self, n: int = 1) -> None:
        self.done = min(self.total, self.done + n)
        now = time.monotonic()
        if now - self._last_draw >= 0.1 or self.done == self.total:
            self._last_draw = now
            self._draw(now)

    def tick(self, n: int = 1) -> None:
        """For jobs that do not know their total: a running count."""
        self.done += n
        now = time.monotonic()
        if now - self._last_draw >= 0.1:
            self._last_draw = now
            rate = self.done / max(now - self._started, 1e-9)
            self._stream.write(f"\r{self.label}: {self.done} ({rate:,.0f}/s)")
            self._stream.flush()

    def _draw(self, now: float) -> None:
        filled = int(self._width * self.done / self.total)
        rate = self.done / max(now - self._started, 1e-9)
        bar = "#" * filled + "-" * (self._width - filled)
        eta = (self.total - self.done) / rate if rate > 0 else 0.0
        self._stream.write(f"\r{self.label} [{bar}] {self.done}/{self.total} ({rate:,.0f}/s, ETA "
                           f"{int(eta) // 60}:{int(eta) % 60:02d})")
        if self.done == self.total:
            self._stream.write("\n")
        self._stream.flush()
