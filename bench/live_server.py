"""The app under bench.subscribers: uvicorn, one worker, run exactly as `python -m api.cli serve`
runs it (api/cli.py `uvicorn_options`), optionally under tracemalloc.

    .venv/bin/python -m bench.live_server --port P [--trace DIR]

With `--trace DIR`, the first SIGUSR1 starts tracemalloc (25 frames) and every SIGUSR1 writes a
snapshot to DIR/snapshot-<n>.bin; `python -m bench.live_server --diff A B N` prints what grew
between two snapshots, per connection (N connections opened in between), grouped by the first
frame outside the standard library's asyncio and by file, so the cost of an idle socket can be
split into Strawberry, uvicorn/websockets, the broker, presence and the app's own objects.
"""

from __future__ import annotations

import argparse
import signal
import sys
import tracemalloc
from collections import defaultdict
from pathlib import Path


def serve(port: int, trace: Path | None) -> None:
    import uvicorn

    from api.cli import uvicorn_options
    from api.settings import Settings

    if trace is not None:
        taken = iter(range(1_000_000))

        def dump(_signum: int, _frame: object) -> None:
            # Tracing starts at the first snapshot, not at start-up: importing the app under
            # tracemalloc takes minutes on a busy machine, and only what grows afterwards matters.
            if not tracemalloc.is_tracing():
                tracemalloc.start(25)
            tracemalloc.take_snapshot().dump(str(trace / f"snapshot-{next(taken)}.bin"))
            (trace / "ready").write_text("")

        signal.signal(signal.SIGUSR1, dump)
    uvicorn.run("api.app:create_app", factory=True, host="127.0.0.1", port=port, workers=1,
                **uvicorn_options(Settings.from_env()))


def _where(trace: tracemalloc.Traceback) -> str:
    """The allocation's first frame in third-party or app code that is not plumbing."""
    skip = ("/asyncio/", "/tracemalloc.py", "/contextlib.py", "/functools.py", "/typing.py", "/abc.py")
    for frame in reversed(trace):  # most recent call last in Traceback order: look from the allocation up
        if not any(s in frame.filename for s in skip):
            return f"{_short(frame.filename)}:{frame.lineno}"
    return f"{_short(trace[-1].filename)}:{trace[-1].lineno}"


def _short(filename: str) -> str:
    for marker in ("site-packages/", "/lib/python3", "/work/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


def diff(before: Path, after: Path, connections: int, top: int = 30) -> None:
    old = tracemalloc.Snapshot.load(str(before))
    new = tracemalloc.Snapshot.load(str(after))
    grown = new.compare_to(old, "traceback")
    by_site: dict[str, int] = defaultdict(int)
    by_file: dict[str, int] = defaultdict(int)
    for stat in grown:
        by_site[_where(stat.traceback)] += stat.size_diff
        by_file[_where(stat.traceback).rsplit(":", 1)[0]] += stat.size_diff
    total = sum(s.size_diff for s in grown)
    print(f"traced Python heap grew {total / 1024:,.0f} KiB: {total / 1024 / connections:.1f} KiB per connection")
    print("\nby file (KiB per connection)")
    for name, size in sorted(by_file.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  {size / 1024 / connections:7.2f}  {name}")
    print("\nby allocation site (KiB per connection)")
    for name, size in sorted(by_site.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  {size / 1024 / connections:7.2f}  {name}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.live_server")
    parser.add_argument("--port", type=int)
    parser.add_argument("--trace", type=Path)
    parser.add_argument("--diff", nargs=3, metavar=("BEFORE", "AFTER", "CONNECTIONS"))
    args = parser.parse_args(argv)
    if args.diff:
        diff(Path(args.diff[0]), Path(args.diff[1]), int(args.diff[2]))
        return
    if args.port is None:
        parser.error("--port is required")
    serve(args.port, args.trace)


if __name__ == "__main__":
    sys.exit(main())
