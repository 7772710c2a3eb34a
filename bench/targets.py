"""The one table of issue 19: every target, the figure this run measured for it, reached or not.

Each row is computed from runs of this same process (the ratios' two sides ran minutes apart on
the same machine), never copied from an earlier run. A run that had errors is no figure at all:
its row says so and counts as not reached, because a server answering errors fast is not fast."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from bench.home import Run
from bench.long_history import FRESH_LABEL, HEAVY_LABEL
from bench.long_history import TARGET as HISTORY_TARGET


@dataclass(frozen=True)
class Target:
    what: str
    target: str
    figure: str
    reached: bool | None  # None: not measured in this run


def _run(runs: list[Run], label: str, server: str = "graphql", open_loop: bool = False) -> Run | None:
    return next((r for r in runs if r.label == label and r.server == server
                 and r.mode.startswith("open" if open_loop else "closed")), None)


def _failed(*runs: Run) -> str | None:
    bad = [r for r in runs if r.errors]
    if not bad:
        return None
    return "; ".join(f"{r.label} ({r.server}): {sum(r.errors.values()):,} errors" for r in bad)


def _cpu_ms(r: Run) -> float:
    return r.server_cpu * 1000 / r.rps if r.rps else 0.0


def ratio_row(runs: list[Run], what: str, label: str, base_label: str, target: float) -> Target:
    app, base = _run(runs, label), _run(runs, base_label, "baseline")
    if app is None or base is None:
        return Target(what, f">= {target}x", "not run", None)
    failed = _failed(app, base)
    if failed:
        return Target(what, f">= {target}x", failed, False)
    ratio = app.rps / base.rps if base.rps else 0.0
    return Target(what, f">= {target}x", f"{ratio:.2f}x ({app.rps:,.0f} / {base.rps:,.0f} req/s; "
                  f"CPU {_cpu_ms(app):.1f} / {_cpu_ms(base):.1f} ms per request)", ratio >= target)


def statements_row(runs: list[Run], what: str, label: str, ceiling: int) -> Target:
    run = _run(runs, label)
    if run is None or run.sql_median is None or run.sql_range is None:
        return Target(what, f"<= {ceiling}", "not run", None)
    low, high = run.sql_range
    return Target(what, f"<= {ceiling}", f"median {run.sql_median:g} (range {low}-{high}; the top of the range is "
                  "a worker refreshing its program snapshot or a first request)", run.sql_median <= ceiling)


def p99_row(runs: list[Run], rate: float, target_ms: float, label: str = "home") -> Target:
    run = _run(runs, label, open_loop=True)
    what = f"{label} p99 at {rate:g} req/s"
    if run is None:
        return Target(what, f"< {target_ms:g} ms", "not run", None)
    failed = _failed(run)
    if failed:
        return Target(what, f"< {target_ms:g} ms", failed, False)
    kept_up = run.rps >= 0.95 * rate
    return Target(what, f"< {target_ms:g} ms", f"{run.latency.p99:.1f} ms at {run.rps:.0f} req/s achieved",
                  kept_up and run.latency.p99 < target_ms)


def history_row(runs: list[Run], entries: int) -> Target:
    what = f"earn, {entries:,}-entry member / fresh member (time per purchase)"
    heavy, fresh = _run(runs, HEAVY_LABEL), _run(runs, FRESH_LABEL)
    if heavy is None or fresh is None:
        return Target(what, f"<= {HISTORY_TARGET}x", "not run", None)
    failed = _failed(heavy, fresh)
    if failed:
        return Target(what, f"<= {HISTORY_TARGET}x", failed, False)
    slower = fresh.rps / heavy.rps if heavy.rps else float("inf")
    return Target(what, f"<= {HISTORY_TARGET}x", f"{slower:.2f}x (p50 {heavy.latency.p50:.1f} / "
                  f"{fresh.latency.p50:.1f} ms; CPU {_cpu_ms(heavy):.1f} / {_cpu_ms(fresh):.1f} ms)",
                  slower <= HISTORY_TARGET)


WRITES = (("earn (recordPurchase)", "earn"), ("partner earn", "partner earn"),
          ("redeem, hot reward", "redeem, hot reward"), ("redeem, spread rewards", "redeem, spread rewards"),
          ("check-in", "check-in (write)"), ("gift", "gift"))

# Rows that other parts of the run add (subscriber figures, ASGI servers): each a function of the
# run's figures, so the table stays one table.
Extra = Callable[[], list[Target]]


def targets(runs: list[Run], options, load_seconds: float, extra: list[Target] | None = None) -> list[Target]:
    rows = [
        ratio_row(runs, "home / baseline, no response cache", "home", "home (baseline)", 0.45),
        ratio_row(runs, "home / baseline, response cache (APQ)", "home (response cache)", "home (baseline)", 0.6),
        p99_row(runs, options.rate, 50.0),
        p99_row(runs, options.rate, 50.0, "home (response cache)"),
    ]
    rows += [ratio_row(runs, f"{what} / baseline", label, f"{label} (baseline)", 0.5) for what, label in WRITES]
    rows += [
        statements_row(runs, "statements per redeem", "redeem, hot reward", 10),
        statements_row(runs, "statements per check-in", "check-in (write)", 6),
        statements_row(runs, "statements per earn", "earn", 8),
        history_row(runs, options.scale.heavy_entries),
    ]
    rows += extra or []
    members = options.scale.members
    rows.append(Target(f"full run at 1,000,000 members (this run: {members:,})", "1,000,000 members",
                       f"dataset loaded and checked in {load_seconds:.0f} s", members >= 1_000_000))
    return rows


def print_targets(runs: list[Run], options, load_seconds: float, extra: list[Target] | None = None) -> None:
    rows = targets(runs, options, load_seconds, extra)
    say = print
    say()
    say(f"Issue 19 targets, all from this run (load average {os.getloadavg()[0]:.1f} at the end)")
    width = max(len(r.what) for r in rows)
    for r in rows:
        verdict = "not measured" if r.reached is None else ("reached" if r.reached else "NOT reached")
        say(f"  {r.what:<{width}}  {r.target:<12} {verdict:<13} {r.figure}")
