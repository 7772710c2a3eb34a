"""Subscriber benchmark: N concurrent websocket subscribers on one server process, their delivery
latency for ledger events, a broadcast offerIssued campaign, and the server's memory per connection.

    .venv/bin/python -m bench.subscribers [--quick] [--sizes 1000,5000,10000] [--events K] [--rate R]
                                          [--broadcast M] [--no-deflate] [--trace]

Three processes, all on 127.0.0.1: the server (bench/live_server.py: uvicorn, 1 worker, run as
`python -m api.cli serve` runs it, PostgreSQL and Redis pub/sub, started fresh for every size),
the subscribers (bench/subscribers_client.py: asyncio + `websockets`, one graphql-transport-ws
connection per subscriber) and this one, which starts PostgreSQL and redis-server as the test
suite does, seeds members and publishes events by calling use cases against the same database.

For each size: warm the server up (WARM subscribers stay open, each gets one event, so pools,
code paths and the Redis listener exist before anything is measured), read the server's VmRSS,
open N more subscribers to pointsChanged (each a distinct member, so each event goes to exactly
one of them; a subscriber counts as open once its first message, CURRENT, arrived), let it settle
and read VmRSS again; then adjust points (`adjust_points`, as a staff `adjustPoints` would) for K
of those members at a steady rate. Latency is from the Redis PUBLISH of the event (after the
commit) to the subscriber's receipt, both on CLOCK_MONOTONIC, which every process on the machine
shares. The broadcast run opens M subscribers to offerIssued (distinct members, all given one
tag) and has an operator send one coupon to that segment (`issue_to_segment`, as the staff
`issueCoupons` mutation does): M coupons, each published after its batch commits. `--trace`
runs the server under tracemalloc and prints what the idle sockets allocated, by site. Figures
go to stdout, progress to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import os
import platform
import random
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import insert, text, update

from api.container import Container, build_container
from api.migrate import upgrade
from api.settings import Settings
from api.sms import DevCodeSink
from bench.live_server import diff as diff_snapshots
from domain.auth.viewer import Role, Viewer
from domain.offers.model import CouponKind, CouponTemplate
from domain.offers.services import IssueToSegment, Segment, issue_to_segment, save_template
from domain.points.transfers import AdjustPoints, adjust_points
from domain.store.tables import members
from tests.conftest import create_database
from tests.support.program import configure_program
from tests.support.servers import free_port, postgres_server, redis_server

REPO = Path(__file__).resolve().parents[1]
KEYS = {"b1": "bench-subscribers-signing-key-" + "y" * 40}
PREFIX = "bench-subs:"
STAFF = Viewer(Role.STAFF, 1)
WARM = 50  # subscribers opened (and kept open) before the baseline RSS is read
FD_HEADROOM = 500  # descriptors a process needs besides its sockets: pools, Redis, files, listening socket
SETTLE_SECONDS = 4.0

progress = functools.partial(print, file=sys.stderr, flush=True)
say = functools.partial(print, flush=True)


@dataclass(frozen=True)
class Options:
    sizes: list[int]
    events: int = 600
    rate: float = 50.0
    broadcast: int = 10_000
    concurrency: int = 100
    deflate: bool = True
    trace: bool = False  # tracemalloc in the server: what an idle socket allocates, by site
    connect_timeout: float = 240.0
    drain_timeout: float = 30.0


FULL = Options(sizes=[1000, 5000, 10000])
QUICK = Options(sizes=[200], events=100, broadcast=200, connect_timeout=60.0)


# ---------------------------------------------------------------- process probes (Linux /proc)

def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


class CpuMeter:
    """CPU time of a process over wall time since `start()`, as a share of one core."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.start()

    def start(self) -> None:
        self._cpu, self._wall = cpu_seconds(self.pid), time.monotonic()

    def used(self) -> float:
        """CPU seconds since `start()`."""
        return cpu_seconds(self.pid) - self._cpu

    def share(self) -> float:
        wall = time.monotonic() - self._wall
        return self.used() / wall if wall > 0 else 0.0


def raise_fd_limit(wanted: int) -> int:
    """Soft limit up to the hard one (and the hard one up to `wanted` if we may); children inherit it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < wanted:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, wanted))
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# ---------------------------------------------------------------- statistics

def pct(samples: list[float], q: int) -> float:
    """Inclusive percentile in the unit of the samples; a small sample's p99 is its worst value."""
    if not samples:
        return float("nan")
    if len(samples) == 1:
        return samples[0]
    return statistics.quantiles(samples, n=100, method="inclusive")[q - 1]


# ---------------------------------------------------------------- the publisher

class TimedBroker:
    """The publisher's broker, recording when each PointsChanged and OfferIssued goes out (after the commit)."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.published: dict[int, float] = {}  # ledger entry id -> time
        self.coupons: dict[int, tuple[int, int, float]] = {}  # coupon id -> (template id, member id, time)

    async def publish(self, channel: str, message: dict[str, object]) -> None:
        kind = message.get("type")
        if kind == "PointsChanged":
            self.published[int(message["entry_id"])] = time.monotonic()  # type: ignore[call-overload]
        elif kind == "OfferIssued":
            self.coupons[int(message["coupon_id"])] = (  # type: ignore[call-overload]
                int(message["template_id"]), int(message["member_id"]), time.monotonic())  # type: ignore[call-overload]
        await self.inner.publish(channel, message)

    async def subscribe(self, channel: str):
        return await self.inner.subscribe(channel)

    async def close(self) -> None:
        await self.inner.close()


@dataclass
class Events:
    member_of: dict[int, int] = field(default_factory=dict)  # entry id -> member id
    published: dict[int, float] = field(default_factory=dict)  # entry id -> monotonic time of PUBLISH
    write_seconds: list[float] = field(default_factory=list)  # adjust_points call, commit and refresh included
    seconds: float = 0.0
    errors: int = 0
    first_error: str = ""

    started_at: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        """Achieved rate of starting writes (the schedule asks for `rate`)."""
        if len(self.started_at) < 2:
            return float("nan")
        return (len(self.started_at) - 1) / (max(self.started_at) - min(self.started_at))


async def publish(container: Container, broker: TimedBroker, targets: list[int], rate: float, tag: str) -> Events:
    """One +1 adjustment per target, started on a fixed schedule (not one after another), so a
    slow write does not lower the offered rate."""
    events = Events()
    started = time.monotonic()

    async def one(i: int, member_id: int) -> None:
        began = time.monotonic()
        events.started_at.append(began)
        try:
            entry = await adjust_points(AdjustPoints(member_id, 1, "subscriber benchmark", f"{tag}-{i}"),
                                        container.deps(STAFF))
        except Exception as exc:  # counted and shown
            events.errors += 1
            events.first_error = events.first_error or repr(exc)
            return
        events.write_seconds.append(time.monotonic() - began)
        events.member_of[entry.id] = member_id

    tasks = []
    for i, member_id in enumerate(targets):
        delay = started + i / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i, member_id)))
    await asyncio.gather(*tasks)
    events.seconds = time.monotonic() - started
    events.published = {entry: broker.published[entry] for entry in events.member_of if entry in broker.published}
    return events


async def issue_offer(container: Container, broker: TimedBroker, member_ids: list[int], tag: str) -> Events:
    """An operator sends one coupon to everyone tagged `tag` (the members given): the staff
    `issueCoupons` use case over a segment, batches of 200 members per transaction, each coupon's
    OfferIssued published after its batch commits."""
    async with container.engine.begin() as conn:
        await conn.execute(update(members).where(members.c.id.in_(member_ids)).values(tags=[tag]))
    template = await save_template(container.uow(), STAFF, CouponTemplate(
        id=0, name=f"满50减5 {tag}", kind=CouponKind.CASH_OFF, value_cents=500, valid_days=30), datetime.now(UTC))
    events = Events()
    started = time.monotonic()
    events.started_at.append(started)
    try:
        await issue_to_segment(IssueToSegment(template.id, Segment(tags=[tag]), f"bench-{tag}"),
                               container.deps(STAFF))
    except Exception as exc:  # counted and shown
        events.errors += 1
        events.first_error = repr(exc)
    events.seconds = time.monotonic() - started
    events.write_seconds.append(events.seconds)
    for coupon_id, (template_id, member_id, at) in broker.coupons.items():
        if template_id == template.id:
            events.member_of[coupon_id] = member_id
            events.published[coupon_id] = at
    return events


async def seed_members(container: Container, count: int) -> list[int]:
    stamp = datetime.now(UTC)
    base = int(time.time()) % 100_000 * 100_000
    rows = [dict(phone=f"16{base + i:09d}", member_code=f"S{base + i:011d}", tags=[], joined_at=stamp)
            for i in range(count)]
    ids: list[int] = []
    async with container.engine.begin() as conn:
        for start in range(0, len(rows), 5_000):
            result = await conn.execute(insert(members).returning(members.c.id, sort_by_parameter_order=True),
                                        rows[start:start + 5_000])
            ids.extend(result.scalars())
    return ids


# ---------------------------------------------------------------- the two other processes

class Server:
    def __init__(self, database_url: str, redis_url: str, log: Path, trace: Path | None = None) -> None:
        self.port = free_port()
        env = dict(os.environ, LOYALTY_ENV="test", DATABASE_URL=database_url, REDIS_URL=redis_url,
                   REDIS_PREFIX=PREFIX, JWT_KEYS=",".join(f"{k}:{v}" for k, v in KEYS.items()), JWT_ACTIVE_KID="b1")
        self.log = log
        self.trace = trace
        taken = ["--trace", str(trace)] if trace is not None else []
        with log.open("ab") as out:
            # As `python -m api.cli serve` runs uvicorn (bench/live_server.py), so the socket costs what it costs there.
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bench.live_server", "--port", str(self.port), *taken],
                cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
        self._snapshots = 0

    async def snapshot(self) -> Path:
        """tracemalloc snapshot of the server (only with `trace`): SIGUSR1, then wait for the file."""
        assert self.trace is not None
        path = self.trace / f"snapshot-{self._snapshots}.bin"
        self._snapshots += 1
        ready = self.trace / "ready"
        ready.unlink(missing_ok=True)
        self.proc.send_signal(signal.SIGUSR1)
        for _ in range(1200):
            if ready.exists():
                return path
            await asyncio.sleep(0.1)
        raise RuntimeError("no tracemalloc snapshot from the server")

    @property
    def pid(self) -> int:
        return self.proc.pid

    async def wait_ready(self, within: float = 30.0) -> None:
        deadline = time.monotonic() + within
        async with httpx.AsyncClient() as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.tail()}")
                try:
                    if (await client.get(f"http://127.0.0.1:{self.port}/readyz", timeout=2)).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
        raise RuntimeError(f"server not ready after {within}s:\n{self.tail()}")

    def tail(self, lines: int = 20) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


class Subscribers:
    """bench/subscribers_client.py in its own process, driven by JSON lines."""

    def __init__(self, proc: asyncio.subprocess.Process, workdir: Path) -> None:
        self.proc = proc
        self.workdir = workdir

    @classmethod
    async def start(cls, port: int, deflate: bool, workdir: Path) -> Subscribers:
        config = json.dumps({"url": f"ws://127.0.0.1:{port}/graphql", "keys": KEYS, "kid": "b1", "deflate": deflate})
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.subscribers_client", config, cwd=REPO,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=(workdir / "client.log").open("ab"))
        return cls(proc, workdir)

    async def call(self, within: float, **command: object) -> dict:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write((json.dumps(command) + "\n").encode())
        await self.proc.stdin.drain()
        line = await asyncio.wait_for(self.proc.stdout.readline(), within)
        if not line:
            log = (self.workdir / "client.log").read_text(errors="replace").splitlines()[-20:]
            raise RuntimeError("subscriber process exited:\n" + "\n".join(log))
        return json.loads(line)

    async def open(self, group: str, member_ids: list[int], concurrency: int, within: float,
                   stream: str = "points") -> dict:
        return await self.call(within + 30, cmd="open", group=group, members=member_ids, stream=stream,
                               concurrency=concurrency, timeout=within)

    async def drain(self, group: str, expected: int, within: float) -> tuple[dict, list[tuple[int, str, float]]]:
        path = self.workdir / f"receipts-{group}.json"
        reply = await self.call(within + 30, cmd="drain", group=group, expected=expected, timeout=within,
                                path=str(path))
        return reply, [tuple(r) for r in json.loads(path.read_text())]

    async def close(self, group: str, within: float) -> dict:
        return await self.call(within + 30, cmd="close", group=group, timeout=within)

    async def stop(self) -> None:
        if self.proc.returncode is None:
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.write(b'{"cmd": "exit"}\n')
                await self.proc.stdin.drain()
                await asyncio.wait_for(self.proc.wait(), 60)
            except (TimeoutError, ConnectionError):
                self.proc.kill()
                await self.proc.wait()


# ---------------------------------------------------------------- one measured run

@dataclass
class Delivery:
    expected: int = 0
    delivered: int = 0
    missing: int = 0
    duplicates: int = 0
    unexpected: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    fanout_ms: list[float] = field(default_factory=list)  # per event: publish -> its last subscriber
    per_second: float = 0.0


def match(events: Events, live: list[int | None], receipts: list[tuple[int, str, float]]) -> Delivery:
    """Every event must reach every open connection of its member exactly once, and nothing else.
    `live` holds the member of each connection, None where it never opened."""
    connections_of: dict[int, list[int]] = defaultdict(list)
    for index, member_id in enumerate(live):
        if member_id is not None:
            connections_of[member_id].append(index)
    expected = {(index, entry) for entry, member_id in events.member_of.items() for index in connections_of[member_id]}
    seen: set[tuple[int, int]] = set()
    result = Delivery(expected=len(expected))
    last_of: dict[int, float] = {}
    for index, cursor, received in receipts:
        key = (index, int(cursor))
        if key not in expected:
            result.unexpected += 1
        elif key in seen:
            result.duplicates += 1
        else:
            seen.add(key)
            entry = int(cursor)
            if entry in events.published:
                result.latencies_ms.append((received - events.published[entry]) * 1000)
                last_of[entry] = max(last_of.get(entry, received), received)
    result.delivered = len(seen)
    result.missing = len(expected) - len(seen)
    result.fanout_ms = [(last - events.published[entry]) * 1000 for entry, last in last_of.items()]
    if seen and events.published:
        span = max(r[2] for r in receipts) - min(events.published.values())
        result.per_second = result.delivered / span if span > 0 else 0.0
    return result


@dataclass
class Run:
    label: str
    wanted: int
    connected: int = 0
    open_seconds: float = 0.0
    open_cpu: float = 0.0
    open_cpu_seconds: float = 0.0
    client_open_cpu: float = 0.0
    idle_cpu: float = 0.0
    rss_before: int = 0
    rss_after: int = 0
    connect_errors: int = 0
    early: int = 0
    note: str = ""
    events: Events | None = None
    delivery: Delivery | None = None
    publish_cpu: float = 0.0
    publish_cpu_seconds: float = 0.0
    client_publish_cpu: float = 0.0
    delivery_errors: int = 0
    first_errors: list[str] = field(default_factory=list)
    extensions: list[str] = field(default_factory=list)
    last_receipt: float = 0.0

    @property
    def kib_per_connection(self) -> float:
        return (self.rss_after - self.rss_before) / self.connected if self.connected else float("nan")


def _key(label: str) -> str:
    """Idempotency keys allow letters, digits and . _ : / - only."""
    return "".join(c if c.isalnum() else "_" for c in label)


class Bench:
    def __init__(self, options: Options, workdir: Path, database_url: str, redis_url: str,
                 container: Container, broker: TimedBroker, member_ids: list[int]) -> None:
        self.options = options
        self.workdir = workdir
        self.database_url = database_url
        self.redis_url = redis_url
        self.container = container
        self.broker = broker
        self._free = iter(member_ids)

    def take(self, count: int) -> list[int]:
        """Members with an empty ledger, so a new subscriber has no backlog to receive."""
        return [next(self._free) for _ in range(count)]

    def adjustments(self, targets_of, events: int, rate: float):
        """The per-member run's events: a +1 adjustment for `events` of the live members, at `rate`."""
        async def fire(live: list[int], tag: str) -> Events:
            return await publish(self.container, self.broker, targets_of(live)[:events], rate, tag)
        return fire

    def offer(self):
        """The broadcast's event: one coupon campaign to every live subscriber."""
        async def fire(live: list[int], tag: str) -> Events:
            return await issue_offer(self.container, self.broker, live, tag)
        return fire

    async def run(self, run: Run, group_members: list[int], fire, stream: str = "points") -> Run:
        opts = self.options
        trace = None
        if opts.trace:
            trace = self.workdir / f"trace-{_key(run.label)}"
            trace.mkdir()
        server = Server(self.database_url, self.redis_url, self.workdir / "server.log", trace)
        client: Subscribers | None = None
        try:
            await server.wait_ready()
            client = await Subscribers.start(server.port, opts.deflate, self.workdir)
            server_cpu, client_cpu = CpuMeter(server.pid), CpuMeter(client.proc.pid)
            await self._warm_up(client, run.label)
            await asyncio.sleep(1.0)
            run.rss_before = rss_kib(server.pid)
            before = await server.snapshot() if trace is not None else None

            progress(f"[{run.label}] opening {len(group_members):,} subscribers ...")
            server_cpu.start()
            client_cpu.start()
            opened = await client.open("main", group_members, opts.concurrency, opts.connect_timeout, stream)
            run.open_cpu, run.client_open_cpu = server_cpu.share(), client_cpu.share()
            run.open_cpu_seconds = server_cpu.used()
            run.connected, run.open_seconds = opened["ok"], opened["seconds"]
            unreached = set(opened["unreached"])
            live = [None if i in unreached else m for i, m in enumerate(group_members)]
            run.connect_errors, run.early = opened["failed"], opened["early"]
            run.first_errors += opened["first_errors"]
            run.extensions = opened["extensions"]
            if opened["failed"]:
                run.note = ", ".join(f"{n} {kind}" for kind, n in opened["errors"].items())
            progress(f"[{run.label}] {run.connected:,} subscribed in {run.open_seconds:.1f} s; settling")
            await asyncio.sleep(SETTLE_SECONDS / 2)
            server_cpu.start()
            await asyncio.sleep(SETTLE_SECONDS / 2)
            run.idle_cpu = server_cpu.share()  # keep-alives only: nothing is published yet
            run.rss_after = rss_kib(server.pid)
            if before is not None:
                after = await server.snapshot()
                say(f"\n[{run.label}] tracemalloc, {run.connected:,} idle {stream} subscribers "
                    f"(RSS figures of a traced run are inflated by the tracing itself)")
                await asyncio.to_thread(diff_snapshots, before, after, max(run.connected, 1))

            if not run.connected:
                raise RuntimeError(f"no subscriber connected: {run.note}")
            progress(f"[{run.label}] publishing ...")
            server_cpu.start()
            client_cpu.start()
            tag = f"{_key(run.label)}-{time.time_ns()}"
            run.events = await fire([m for m in live if m is not None], tag)
            per_member = Counter(m for m in live if m is not None)
            expected = sum(per_member[m] for m in run.events.member_of.values())
            drained, receipts = await client.drain("main", expected, opts.drain_timeout)
            run.publish_cpu, run.client_publish_cpu = server_cpu.share(), client_cpu.share()
            run.publish_cpu_seconds = server_cpu.used()
            run.delivery = match(run.events, live, receipts)
            run.last_receipt = max((r[2] for r in receipts), default=0.0)
            # The group's error counts include the connect phase, already shown with the connections.
            run.delivery_errors = sum(drained["errors"].values()) - sum(opened["errors"].values())
            run.first_errors += drained["first_errors"]
            if run.events.first_error:
                run.first_errors.append(f"publish: {run.events.first_error}")
            progress(f"[{run.label}] delivered {run.delivery.delivered:,}/{run.delivery.expected:,}; closing")
            await client.close("main", 60)
        finally:
            if client is not None:
                await client.stop()
            server.stop()
        return run

    async def _warm_up(self, client: Subscribers, label: str) -> None:
        warm = self.take(WARM)
        opened = await client.open("warm", warm, self.options.concurrency, 60)
        if opened["failed"]:
            raise RuntimeError(f"warm-up subscribers failed: {opened['first_errors']}")
        events = await publish(self.container, self.broker, warm, 200.0, f"warm-{_key(label)}-{time.time_ns()}")
        drained, _ = await client.drain("warm", len(events.member_of), 30)
        if drained["received"] < len(events.member_of):
            raise RuntimeError(f"warm-up: {drained['received']} of {len(events.member_of)} updates arrived; "
                               f"{drained['first_errors']}")


# ---------------------------------------------------------------- report

def connections_table(runs: list[Run], concurrency: int) -> None:
    say(f"\nConnections: graphql-transport-ws, pointsChanged, {concurrency} handshakes in flight; "
        f"server VmRSS before/after (after {WARM} warm subscribers)")
    say(f"{'subscribers':>14} {'connected':>9} {'open s':>7} {'conn/s':>7} {'srv CPU':>7} {'cli CPU':>7} "
        f"{'ms/conn':>7} {'RSS before':>11} {'RSS after':>10} {'KiB/conn':>8} {'idle CPU':>8} {'errors':>6}")
    for r in runs:
        rate = r.connected / r.open_seconds if r.open_seconds else 0.0
        per_conn = r.open_cpu_seconds * 1000 / r.connected if r.connected else float("nan")
        say(f"{r.label:>14} {r.connected:>9,} {r.open_seconds:>7.1f} {rate:>7.0f} {r.open_cpu:>7.0%} "
            f"{r.client_open_cpu:>7.0%} {per_conn:>7.2f} {r.rss_before / 1024:>7.1f} MiB "
            f"{r.rss_after / 1024:>6.1f} MiB "
            f"{r.kib_per_connection:>8.1f} {r.idle_cpu:>8.0%} {r.connect_errors + r.early:>6}")


def delivery_table(runs: list[Run], title: str, fanout: bool) -> None:
    say(f"\n{title}")
    extra = f" {'fan-out p50':>11} {'p99':>7}" if fanout else ""
    say(f"{'subscribers':>14} {'events':>6} {'pub/s':>6} {'delivered':>9} {'p50 ms':>7} {'p95':>7} {'p99':>7} "
        f"{'max':>7}{extra} {'deliv/s':>8} {'srv CPU':>7} {'ms/deliv':>8} {'cli CPU':>7} {'write p50':>9} "
        f"{'errors':>6}")
    for r in runs:
        ev, d = r.events, r.delivery
        if ev is None or d is None:
            continue
        lat = d.latencies_ms
        fan = f" {pct(d.fanout_ms, 50):>11.1f} {pct(d.fanout_ms, 99):>7.1f}" if fanout else ""
        errors = ev.errors + d.missing + d.duplicates + d.unexpected + r.delivery_errors
        per_delivery = r.publish_cpu_seconds * 1000 / d.delivered if d.delivered else float("nan")
        say(f"{r.label:>14} {len(ev.member_of):>6,} {ev.rate:>6.1f} {d.delivered:>9,} {pct(lat, 50):>7.1f} "
            f"{pct(lat, 95):>7.1f} {pct(lat, 99):>7.1f} {max(lat, default=float('nan')):>7.1f}{fan} "
            f"{d.per_second:>8.1f} {r.publish_cpu:>7.0%} {per_delivery:>8.2f} {r.client_publish_cpu:>7.0%} "
            f"{pct([s * 1000 for s in ev.write_seconds], 50):>7.1f}ms {errors:>6}")


def notes(runs: list[Run]) -> None:
    for r in runs:
        d = r.delivery
        parts = []
        if r.connected < r.wanted:
            parts.append(f"reached {r.connected:,} of {r.wanted:,} subscribers ({r.note or 'see errors'})")
        if r.early:
            parts.append(f"{r.early} updates arrived before any event was published")
        if d is not None and (d.missing or d.duplicates or d.unexpected):
            parts.append(f"{d.missing} missing, {d.duplicates} duplicate, {d.unexpected} unexpected updates")
        if r.events is not None and r.events.errors:
            parts.append(f"{r.events.errors} publish errors")
        if r.delivery_errors:
            parts.append(f"{r.delivery_errors} subscriber errors")
        if parts or r.first_errors:
            say(f"  {r.label}: " + "; ".join(parts))
            for line in r.first_errors[:3]:
                say(f"      {line}")


# ---------------------------------------------------------------- main

async def describe(container: Container) -> str:
    async with container.engine.connect() as conn:
        pg = await conn.scalar(text("SHOW server_version"))
    assert container.redis is not None
    redis_version = (await container.redis.info("server")).get("redis_version", "?")
    return (f"PostgreSQL {pg}, redis-server {redis_version}, Python {platform.python_version()}, "
            f"{os.cpu_count()} CPUs; server: uvicorn, 1 worker")


@dataclass
class Figures:
    header: str
    limit_note: str
    runs: list[Run]  # one subscriber per member, pointsChanged, per size
    broadcast: list[Run]  # offerIssued, one campaign to every subscriber
    seconds: float = 0.0


async def measure(options: Options) -> Figures:
    """Start PostgreSQL and redis-server, run every size and the broadcast, stop everything."""
    started = time.monotonic()
    largest = max([*options.sizes, options.broadcast])
    limit = raise_fd_limit(largest + WARM + FD_HEADROOM)
    reachable = limit - WARM - FD_HEADROOM
    sizes = [min(size, reachable) for size in options.sizes]
    capped = [s for s in options.sizes if s > reachable]
    broadcast = min(options.broadcast, reachable)
    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="bench-subs-") as tmp:
        workdir = Path(tmp)
        progress("starting PostgreSQL and redis-server ...")
        server_url = stack.enter_context(postgres_server())
        redis_url = stack.enter_context(redis_server())[0]
        database_url = await create_database(server_url, "loyalty_bench_subscribers")
        await asyncio.to_thread(upgrade, database_url)  # alembic's env runs its own event loop
        settings = Settings(env="test", database_url=database_url, redis_url=redis_url, redis_prefix=PREFIX,
                            jwt_keys=KEYS, jwt_active_kid="b1").validated()
        container = build_container(settings, DevCodeSink())
        broker = TimedBroker(container.broker)
        container.broker = broker
        try:
            await configure_program(container)
            needed = sum(sizes) + broadcast + (len(sizes) + (1 if broadcast else 0)) * WARM
            member_ids = await seed_members(container, needed)
            figures = Figures(await describe(container),
                              f"fd limit {limit:,} per process (server and subscribers each need N + "
                              f"{WARM + FD_HEADROOM})"
                              + (f"; sizes {capped} capped to {reachable:,}: the hard RLIMIT_NOFILE could not be "
                                 f"raised (needs CAP_SYS_RESOURCE; `ulimit -Hn` before running)" if capped else ""),
                              [], [])
            bench = Bench(options, workdir, database_url, redis_url, container, broker, member_ids)
            rng = random.Random(7)
            for size in sizes:
                label = f"{size:,}"
                try:
                    figures.runs.append(await bench.run(Run(label, size), bench.take(size), bench.adjustments(
                        lambda ms: rng.sample(ms, len(ms)), options.events, options.rate)))
                except Exception as exc:  # report what was reached, then stop: larger sizes would fail too
                    say(f"  {label}: run failed: {exc!r}")
                    break
            if broadcast:
                try:
                    figures.broadcast.append(await bench.run(Run(f"{broadcast:,} offers", broadcast),
                                                             bench.take(broadcast), bench.offer(), "offers"))
                except Exception as exc:
                    say(f"  broadcast {broadcast}: run failed: {exc!r}")
        finally:
            await container.close()
    figures.seconds = time.monotonic() - started
    return figures


def print_figures(figures: Figures, options: Options) -> None:
    say(figures.header)
    say(figures.limit_note)
    runs, fan = figures.runs, figures.broadcast
    extensions = sorted({e for r in runs + fan for e in r.extensions})
    say(f"websocket extensions negotiated: {', '.join(extensions) or 'none'}")
    connections_table(runs + fan, options.concurrency)
    if runs:
        delivery_table(runs, f"Delivery: one subscriber per member, adjust_points (+1) for a random sample "
                             f"of them at {options.rate:g}/s; latency = Redis PUBLISH after commit -> "
                             f"client receipt", fanout=False)
    if fan:
        broadcast_table(fan)
    if any(r.first_errors or r.connected < r.wanted for r in runs + fan):
        say("\nNotes")
        notes(runs + fan)
    say(f"done in {figures.seconds:.0f} s")


def broadcast_table(runs: list[Run]) -> None:
    say("\nBroadcast: every subscriber a distinct member on offerIssued; one operator campaign "
        "(issue_to_segment, 200 members per transaction) sends each a coupon; latency = that coupon's "
        "Redis PUBLISH after its batch commits -> client receipt; fan-out = first PUBLISH -> last receipt")
    say(f"{'subscribers':>14} {'coupons':>7} {'issue s':>7} {'delivered':>9} {'p50 ms':>7} {'p95':>7} {'p99':>7} "
        f"{'max':>7} {'fan-out s':>9} {'deliv/s':>8} {'srv CPU':>7} {'ms/deliv':>8} {'errors':>6}")
    for r in runs:
        ev, d = r.events, r.delivery
        if ev is None or d is None:
            continue
        lat = d.latencies_ms
        errors = ev.errors + d.missing + d.duplicates + d.unexpected + r.delivery_errors
        per_delivery = r.publish_cpu_seconds * 1000 / d.delivered if d.delivered else float("nan")
        say(f"{r.label:>14} {len(ev.member_of):>7,} {ev.seconds:>7.1f} {d.delivered:>9,} {pct(lat, 50):>7.1f} "
            f"{pct(lat, 95):>7.1f} {pct(lat, 99):>7.1f} {max(lat, default=float('nan')):>7.1f} "
            f"{broadcast_span(r):>9.1f} {d.per_second:>8.1f} {r.publish_cpu:>7.0%} {per_delivery:>8.2f} {errors:>6}")


def broadcast_span(run: Run) -> float:
    """Seconds from the campaign's first PUBLISH to the last subscriber's receipt."""
    if run.events is None or run.delivery is None or not run.events.published or not run.last_receipt:
        return float("nan")
    return run.last_receipt - min(run.events.published.values())


async def main_async(options: Options) -> None:
    print_figures(await measure(options), options)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.subscribers", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 subscribers, 100 events, broadcast to 200")
    parser.add_argument("--sizes", help="comma-separated subscriber counts (default 1000,5000,10000; 0: none)")
    parser.add_argument("--events", type=int, help="events published per size (one subscriber each)")
    parser.add_argument("--rate", type=float, help="events per second")
    parser.add_argument("--broadcast", type=int, help="offerIssued subscribers sent one coupon campaign (0: skip)")
    parser.add_argument("--trace", action="store_true",
                        help="tracemalloc in the server: print what the idle sockets allocated, by site")
    parser.add_argument("--concurrency", type=int, help="websocket handshakes in flight")
    parser.add_argument("--connect-timeout", type=float, help="seconds allowed for opening one size's subscribers")
    parser.add_argument("--no-deflate", action="store_true", help="do not offer permessage-deflate")
    args = parser.parse_args(argv)
    options = QUICK if args.quick else FULL
    if args.sizes:
        options = replace(options, sizes=[int(s.replace("_", "")) for s in args.sizes.split(",")
                                          if s.strip() and int(s.replace("_", ""))])
    for name in ("events", "rate", "broadcast", "concurrency", "connect_timeout"):
        if getattr(args, name) is not None:
            options = replace(options, **{name: getattr(args, name)})
    if args.no_deflate:
        options = replace(options, deflate=False)
    if args.trace:
        options = replace(options, trace=True)
    if not (options.sizes or options.broadcast) or min(options.sizes, default=1) < 1 or options.rate <= 0 \
            or options.events < 1:
        parser.error("sizes and events must be positive")
    asyncio.run(main_async(options))


if __name__ == "__main__":
    main()


# ---------------------------------------------------------------- rows for `python -m bench`

IDLE_SOCKET_TARGET_KIB = 50.0
BROADCAST_P99_TARGET_MS = 200.0


async def live_rows(quick: bool = False) -> list[tuple[str, str, str, str]]:
    """The live figures for the one table of `python -m bench` (issue 19): memory per idle socket
    and the offerIssued broadcast, both from one broadcast run of 10,000 subscribers (1,000 with
    `quick`), which starts and stops its own PostgreSQL, redis-server and app server. Rows are
    (what, target, this run, reached); the full tables go to stdout as `bench.subscribers` prints them."""
    size = 1_000 if quick else 10_000
    options = replace(FULL, sizes=[], broadcast=size)
    figures = await measure(options)
    print_figures(figures, options)
    run = figures.broadcast[0] if figures.broadcast else None
    delivery = run.delivery if run is not None else None
    if run is None or delivery is None or not run.connected:
        missing = "not measured (see the broadcast run above)"
        return [(f"memory per idle socket at {size:,}", f"<= {IDLE_SOCKET_TARGET_KIB:g} KiB", missing, "no"),
                (f"offerIssued broadcast to {size:,}, p99", f"< {BROADCAST_P99_TARGET_MS:g} ms", missing, "no")]
    kib = run.kib_per_connection
    p50, p99 = pct(delivery.latencies_ms, 50), pct(delivery.latencies_ms, 99)
    complete = delivery.missing == 0 and run.connected == run.wanted
    reach = f"{run.connected:,} of {size:,} subscribers" if run.connected < size else f"{size:,} subscribers"
    return [
        (f"memory per idle socket at {size:,}", f"<= {IDLE_SOCKET_TARGET_KIB:g} KiB",
         f"{kib:.1f} KiB (server VmRSS growth / {reach})", "yes" if kib <= IDLE_SOCKET_TARGET_KIB else "no"),
        (f"offerIssued broadcast to {size:,}, p99", f"< {BROADCAST_P99_TARGET_MS:g} ms",
         f"p50 {p50:.0f} ms, p99 {p99:.0f} ms, {delivery.delivered:,}/{delivery.expected:,} delivered, "
         f"fan-out {broadcast_span(run):.1f} s",
         "yes" if p99 < BROADCAST_P99_TARGET_MS and complete else "no"),
    ]


def print_live_rows(rows: list[tuple[str, str, str, str]]) -> None:
    print(f"\nLive figures (bench.subscribers)\n{'what':<40} {'target':<10} {'reached':<8} this run")
    for what, target, figure, reached in rows:
        print(f"{what:<40} {target:<10} {reached:<8} {figure}")
