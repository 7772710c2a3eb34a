"""The printed table, the ratios against the baseline, and the target checks."""

from __future__ import annotations

import os

from bench.balance import BalancePaths
from bench.home import Run

P99_TARGET_MS = 50.0
HOME_RATIO_TARGET = 0.6
UNCACHED_RATIO_TARGET = 0.45  # issue 19: the home query without the response cache
BALANCE_RATIO_TARGET = 5.0
DEPTH_RATIO_TARGET = 1.5


def _errors(run: Run) -> str:
    if not run.errors:
        return "0"
    return ", ".join(f"{code} {n:,}" for code, n in sorted(run.errors.items()))


def _find(runs: list[Run], label: str, server: str = "graphql", open_loop: bool = False) -> Run:
    return next(r for r in runs if r.label == label and r.server == server and r.mode.startswith(
        "open" if open_loop else "closed"))


def _cpu_ms(run: Run) -> float:
    return run.server_cpu * 1000 / run.rps if run.rps else 0.0


def _verdict(ok: bool) -> str:
    return "reached" if ok else "NOT reached"


def print_report(header: str, options, data, load_seconds: float, runs: list[Run],
                 paths: list[BalancePaths]) -> None:
    say = print
    say(f"{header}, cache: redis-server, {os.cpu_count()} CPUs, {options.workers} uvicorn workers per server, "
        f"load average {os.getloadavg()[0]:.1f}")
    tiers = ", ".join(f"rank {rank} {n:,}" for rank, n in sorted(data.by_tier.items()))
    say(f"dataset: {data.members:,} members ({tiers}), {data.entries:,} ledger entries, "
        f"{len(data.heavy)} members with {options.scale.heavy_entries:,} entries each, {data.reward_count} rewards, "
        f"{data.coupons:,} coupons; loaded and checked in {load_seconds:.0f} s")
    say()
    say(f"Load from a separate process on 127.0.0.1, {options.seconds:g} s per run; latency ms; "
        "server CPU in cores (all workers); client CPU as a share of one core")
    say(f"{'scenario':<22} {'server':<9} {'mode':<10} {'req/s':>7} {'p50':>7} {'p95':>7} {'p99':>7} "
        f"{'sql/req':>8} {'RSS MiB/worker':>15} {'srv CPU':>7} {'cli CPU':>7}  errors")
    for r in runs:
        sql = "-" if r.sql is None else (f"{r.sql:.1f}" if r.sql_range and r.sql_range[0] != r.sql_range[1]
                                         else f"{r.sql:.0f}")
        rss = "/".join(f"{m:.0f}" for m in r.rss_mib)
        say(f"{r.label:<22} {r.server:<9} {r.mode:<10} {r.rps:7.1f} {r.latency.ms()} {sql:>8} {rss:>15} "
            f"{r.server_cpu:7.2f} {r.client_cpu:6.0%}  {_errors(r)}")
    for r in runs:
        if r.first_error:
            say(f"  first error in {r.label} ({r.server}, {r.mode}): {r.first_error[:200]}")
        if r.sql_range and r.sql_range[0] != r.sql_range[1]:
            say(f"  {r.label}: {r.sql_range[0]}-{r.sql_range[1]} statements per request")
    say()
    say("Balance read, in this process, sequential calls: warm Redis (get_balance) vs database only "
        "(compute_balance in a unit of work)")
    for p in paths:
        say(f"  {p.label:<16} ({p.members} members)  redis p50 {p.redis.latency.p50:.2f} ms, "
            f"{p.redis.per_second:,.0f}/s;  database p50 {p.database.latency.p50:.2f} ms, "
            f"{p.database.per_second:,.0f}/s;  {p.ratio:.1f}x")
    say()

    home, base = _find(runs, "home"), _find(runs, "home (baseline)", "baseline")
    home_open = _find(runs, "home", open_loop=True)
    ratio = home.rps / base.rps
    say(f"GraphQL home / baseline home: {ratio:.2f}x req/s ({home.rps:.0f} / {base.rps:.0f}), "
        f"CPU {_cpu_ms(home):.2f} / {_cpu_ms(base):.2f} ms per request")
    cached = next((r for r in runs if r.label == "home (response cache)"), None)
    if cached is not None:
        answers = ", ".join(f"{k} {n:,}" for k, n in sorted(cached.cache.items())) or "no header"
        say(f"GraphQL home with the response cache (APQ hash) / baseline home: {cached.rps / base.rps:.2f}x req/s "
            f"({cached.rps:.0f} / {base.rps:.0f}), CPU {_cpu_ms(cached):.2f} ms per request; hit rate "
            f"{cached.hit_rate:.1%} ({answers})")
    say("Targets:")
    say(f"  home >= {HOME_RATIO_TARGET}x baseline req/s: {ratio:.2f}x  {_verdict(ratio >= HOME_RATIO_TARGET)}")
    if cached is not None:
        with_cache = cached.rps / base.rps
        say(f"  home with the response cache >= {HOME_RATIO_TARGET}x baseline req/s: {with_cache:.2f}x  "
            f"{_verdict(with_cache >= HOME_RATIO_TARGET)}")
        say(f"  home without it >= {UNCACHED_RATIO_TARGET}x baseline req/s: {ratio:.2f}x  "
            f"{_verdict(ratio >= UNCACHED_RATIO_TARGET)}")
    offered = home_open.rps >= 0.95 * options.rate
    say(f"  home p99 < {P99_TARGET_MS:g} ms at {options.rate:g} req/s: p99 {home_open.latency.p99:.1f} ms at "
        f"{home_open.rps:.0f} req/s achieved  {_verdict(offered and home_open.latency.p99 < P99_TARGET_MS)}")
    typical = paths[0]
    say(f"  balance, warm Redis >= {BALANCE_RATIO_TARGET:g}x database-only: {typical.ratio:.1f}x typical, "
        f"{paths[1].ratio:.1f}x long histories  {_verdict(typical.ratio >= BALANCE_RATIO_TARGET)}")
    d1, d50 = _find(runs, "history depth 1"), _find(runs, "history depth 50")
    p50r, p99r = d50.latency.p50 / d1.latency.p50, d50.latency.p99 / d1.latency.p99
    say(f"  history depth 50 within {DEPTH_RATIO_TARGET}x of depth 1: p50 {p50r:.2f}x, p99 {p99r:.2f}x  "
        f"{_verdict(max(p50r, p99r) <= DEPTH_RATIO_TARGET)}")
    spread = [r.sql_range for r in runs if r.label == "home" and r.sql_range]
    low, high = min(s[0] for s in spread), max(s[1] for s in spread)
    # The spread is cache misses (profile, balance), not list sizes: see bench/README.md.
    say(f"  SQL statements per home query a small constant: {low}-{high} over {options.sample} members of every "
        f"tier, 0-10 affordable rewards  {_verdict(high <= 12)}")


WRITE_RATIO_TARGET = 0.5


def print_write_report(runs: list[Run]) -> None:
    """Each write path against its baseline: req/s, latency, CPU per request, statements, ratio."""
    from bench.writes import BASELINE_STATEMENTS
    say = print
    labels = [r.label for r in runs if r.server == "graphql" and r.label in BASELINE_STATEMENTS]
    if not labels:
        return
    say()
    say("Write paths, app / hand-written asyncpg baseline (same run, same clients; ratios, not absolute figures, "
        "are comparable on this shared machine)")
    say(f"{'scenario':<24} {'req/s app':>9} {'base':>7} {'p50/p99 app':>15} {'p50/p99 base':>15} "
        f"{'CPU ms/req app':>14} {'base':>6} {'sql/req app':>11} {'base':>5} {'ratio':>6}  target")
    for label in labels:
        app, base = _find(runs, label), _find(runs, f"{label} (baseline)", "baseline")
        ratio = app.rps / base.rps if base.rps else 0.0

        def cpu(r: Run) -> float:
            return r.server_cpu * 1000 / r.rps if r.rps else 0.0

        sql = "-" if app.sql is None else f"{app.sql:.1f}"
        say(f"{label:<24} {app.rps:9.1f} {base.rps:7.1f} "
            f"{app.latency.p50:7.1f}/{app.latency.p99:<7.1f} {base.latency.p50:7.1f}/{base.latency.p99:<7.1f} "
            f"{cpu(app):14.1f} {cpu(base):6.1f} {sql:>11} {BASELINE_STATEMENTS.get(label, 0):>5} {ratio:6.2f}  "
            f">= {WRITE_RATIO_TARGET}x {_verdict(ratio >= WRITE_RATIO_TARGET)}")
