"""Earning throughput: concurrent clients recording distinct purchases through the use case."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from sqlalchemy import func, select

from api.container import Container
from bench.stats import Percentiles
from domain.auth.viewer import Role, Viewer
from domain.members.lookup import MemberRef
from domain.points.purchases import PurchaseCommand, record_purchase
from domain.points.rules import LineItem
from domain.store.tables import points_entries

STAFF = Viewer(Role.STAFF, 1)
# ¥1 earns 1 point at the base rate. The work per purchase does not depend on the amount, and
# a member needs 50,000 of these to reach Gold, whose upgrade bonus and multiplier would make
# runs incomparable (and break the points check below).
AMOUNT_CENTS = 100
POINTS_PER_PURCHASE = 1


@dataclass
class EarnRun:
    transactions: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # this process (clients and app share it): near 1.0 per second means CPU-bound
    latencies: list[float] = field(default_factory=list)
    finished_at: list[float] = field(default_factory=list)  # seconds since the start, per transaction
    errors: int = 0
    first_error: str = ""

    @property
    def rate(self) -> float:
        return self.transactions / self.seconds if self.seconds else 0.0

    def quarter_rates(self) -> tuple[float, float]:
        """Rates in the first and last quarter of the run: a drift shows cost growing with the
        member's own history (more open lots, more purchases in the tier window)."""
        quarter = self.seconds / 4
        first = sum(1 for t in self.finished_at if t < quarter)
        last = sum(1 for t in self.finished_at if t >= self.seconds - quarter)
        return first / quarter, last / quarter

    def summary(self) -> str:
        lat = Percentiles.of_seconds(self.latencies)
        first, last = self.quarter_rates()
        line = (f"{self.rate:8.1f} tx/s  ({self.transactions:,} tx in {self.seconds:.1f} s; "
                f"first/last quarter {first:.0f}/{last:.0f} tx/s; process CPU {self.cpu_seconds / self.seconds:.0%}; "
                f"latency ms p50 {lat.p50:.1f}, p95 {lat.p95:.1f}, p99 {lat.p99:.1f}; {self.errors} errors)")
        return line + (f"\n      first error: {self.first_error}" if self.errors else "")


async def run_earn(container: Container, member_ids: list[int], clients: int, seconds: float, tag: str) -> EarnRun:
    """`clients` tasks, client n buying for member_ids[n % len(member_ids)], until the deadline.
    A transaction in flight at the deadline still counts and the clock waits for it, so the
    rate is completed work over the time it really took."""
    run = EarnRun()
    points_before = await _points(container, member_ids)
    started, cpu_started = time.perf_counter(), time.process_time()
    deadline = started + seconds

    async def client(n: int) -> None:
        member = MemberRef(member_id=member_ids[n % len(member_ids)])
        i = 0
        while time.perf_counter() < deadline:
            cmd = PurchaseCommand(member, f"{tag}-{n}-{i}", "bench", AMOUNT_CENTS, [LineItem("grocery", AMOUNT_CENTS)])
            i += 1
            began = time.perf_counter()
            try:
                await record_purchase(cmd, container.deps(STAFF))
            except Exception as exc:  # counted and shown: a benchmark that hides failures overstates throughput
                run.errors += 1
                run.first_error = run.first_error or repr(exc)
                continue
            finished = time.perf_counter()
            run.latencies.append(finished - began)
            run.finished_at.append(finished - started)
            run.transactions += 1

    await asyncio.gather(*(client(n) for n in range(clients)))
    run.seconds = time.perf_counter() - started
    run.cpu_seconds = time.process_time() - cpu_started
    # Every counted transaction must have left its points in the ledger, and nothing else did.
    earned = await _points(container, member_ids) - points_before
    if earned != run.transactions * POINTS_PER_PURCHASE:
        raise RuntimeError(f"the ledger gained {earned} points for {run.transactions} purchases")
    return run


async def _points(container: Container, member_ids: list[int]) -> int:
    async with container.engine.connect() as conn:
        return int(await conn.scalar(select(func.coalesce(func.sum(points_entries.c.amount), 0))
                                     .where(points_entries.c.member_id.in_(member_ids))))
