"""uvicorn (uvloop + httptools, as `api.cli serve` runs it) against granian for the same app, in
the same `python -m bench` run: the home query and one write (earn), each on both servers with the
same clients, one after the other. Ratios only: on a shared 2-core machine absolute req/s mean little."""

from __future__ import annotations

from bench.home import Run

SCENARIOS = ("home", "earn")  # labels of runs the plan already has on uvicorn ("graphql")
SWITCH_RATIO = 1.2  # granian must beat uvicorn by this much on both, in req/s and CPU, to be worth a switch


def _closed(runs: list[Run], label: str, server: str) -> Run | None:
    for r in runs:
        if r.label == label and r.server == server and r.mode.startswith("closed"):
            return r
    return None


def _cpu_ms(r: Run) -> float:
    return r.server_cpu * r.seconds * 1000 / r.requests if r.requests else float("nan")


def server_rows(runs: list[Run]) -> list[tuple[str, str, str, str]]:
    """(what, target, this run, reached) rows for the one table: granian / uvicorn req/s ratio and
    CPU ms per request, per scenario."""
    rows = []
    for label in SCENARIOS:
        uv, gr = _closed(runs, label, "graphql"), _closed(runs, label, "granian")
        if uv is None or gr is None or not uv.rps:
            rows.append((f"granian / uvicorn, {label}", "informative", "not measured", "-"))
            continue
        errors = sum(gr.errors.values()) + sum(uv.errors.values())
        rows.append((f"granian / uvicorn, {label}", f">= {SWITCH_RATIO:g}x to switch",
                     f"{gr.rps / uv.rps:.2f}x req/s ({gr.rps:.0f} / {uv.rps:.0f}), CPU {_cpu_ms(gr):.1f} / "
                     f"{_cpu_ms(uv):.1f} ms per request, p99 {gr.latency.p99:.0f} / {uv.latency.p99:.0f} ms"
                     + (f", {errors} errors" if errors else ""),
                     "yes" if gr.rps / uv.rps >= SWITCH_RATIO and _cpu_ms(gr) * SWITCH_RATIO <= _cpu_ms(uv) else "no"))
    return rows


def print_server_rows(runs: list[Run]) -> None:
    print(f"\nASGI server, same app and clients (granian --loop uvloop vs uvicorn uvloop+httptools)\n"
          f"{'what':<28} {'target':<18} {'reached':<8} this run")
    for what, target, figure, reached in server_rows(runs):
        print(f"{what:<28} {target:<18} {reached:<8} {figure}")
