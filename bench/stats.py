"""Percentiles and number formatting shared by the benchmark reports."""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Percentiles:
    p50: float
    p95: float
    p99: float

    @classmethod
    def of_seconds(cls, samples: list[float]) -> Percentiles:
        """Milliseconds. Inclusive quantiles, so a small sample's p99 is its worst observation
        rather than an extrapolation past it."""
        if len(samples) < 2:
            only = samples[0] * 1000 if samples else float("nan")
            return cls(only, only, only)
        cuts = statistics.quantiles([s * 1000 for s in samples], n=100, method="inclusive")
        return cls(cuts[49], cuts[94], cuts[98])

    def ratio_to(self, base: Percentiles) -> Percentiles:
        return Percentiles(self.p50 / base.p50, self.p95 / base.p95, self.p99 / base.p99)

    def ms(self) -> str:
        return f"{self.p50:7.2f} {self.p95:7.2f} {self.p99:7.2f}"

    def times(self) -> str:
        return f"{self.p50:6.1f}x {self.p95:6.1f}x {self.p99:6.1f}x"


async def time_calls(call: Callable[[], Awaitable[object]], samples: int, warmup: int = 0) -> Percentiles:
    """Awaits `call` `warmup` times untimed, then times `samples` sequential calls."""
    for _ in range(warmup):
        await call()
    timings = []
    for _ in range(samples):
        started = time.perf_counter()
        await call()
        timings.append(time.perf_counter() - started)
    return Percentiles.of_seconds(timings)
