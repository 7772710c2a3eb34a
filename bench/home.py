"""The member-facing scenarios: their GraphQL documents, who sends them, and one timed run each
(the load process, bench/load.py, does the sending; this process reads the servers' RSS and CPU)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from bench.servers import REPO, Server
from bench.stats import Percentiles

HOME = """query Home {
  me {
    id displayName memberCode
    tier { current { code name } next { code thresholdCents } progress { amountInWindowCents spendToNextCents } }
    points { available pending expiringSoon }
    pointsHistory(first: 10) { edges { node { id kind amount reason createdAt } } pageInfo { hasNextPage endCursor } }
    availableCouponsCount
  }
  rewards(affordableNow: true, first: 10) { edges { node { id name pointsPrice } } }
}"""
BALANCE = "query Balance { me { points { available pending expiringSoon } } }"
HISTORY = """query History($after: String) { me { pointsHistory(first: 50, after: $after) {
  edges { node { id kind amount reason createdAt } } pageInfo { hasNextPage endCursor } } } }"""
HOME_SHA = hashlib.sha256(HOME.encode()).hexdigest()
CHECK_IN = "mutation CheckIn { checkIn { day points streak alreadyCheckedIn } }"
REDEEM = """mutation Redeem($r: ID!, $k: String!) { redeemReward(input: {rewardId: $r, idempotencyKey: $k}) {
  redemption { id voucherCode pointsSpent } } }"""


def graphql_body(document: str, variables: dict | None = None) -> str:
    return orjson.dumps({"query": document, "variables": variables or {}}).decode()


def persisted_body(sha: str, operation: str, document: str | None = None) -> str:
    """An APQ request: the hash alone, or with the document to register it (Apollo's second try)."""
    body: dict = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha}}, "operationName": operation}
    if document is not None:
        body["query"] = document
    return orjson.dumps(body).decode()


@dataclass
class Run:
    label: str
    server: str
    mode: str  # "closed C" or "open R/s"
    requests: int = 0
    seconds: float = 0.0
    latency: Percentiles = field(default_factory=lambda: Percentiles(0, 0, 0))
    errors: dict[str, int] = field(default_factory=dict)
    first_error: str = ""
    sql: float | None = None  # statements per request, mean (GraphQL server only)
    sql_range: tuple[int, int] | None = None
    sql_median: float | None = None  # the steady count: the mean carries per-worker snapshot refreshes
    rss_mib: list[float] = field(default_factory=list)
    cache: dict[str, int] = field(default_factory=dict)  # x-response-cache answers: hit, miss, bypass
    server_cpu: float = 0.0  # all workers, in cores
    client_cpu: float = 0.0  # the load process, share of one core

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def hit_rate(self) -> float:
        return self.cache.get("hit", 0) / sum(self.cache.values()) if self.cache else 0.0


def _cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


async def drive(server: Server, label: str, path: str, requests: list[dict], *, clients: int = 0,
                rate: float = 0.0, seconds: float, key_prefix: str = "k") -> Run:
    """One timed run: closed loop with `clients` connections, or open loop at `rate` per second."""
    job = {"port": server.port, "path": path, "requests": requests, "seconds": seconds, "key_prefix": key_prefix,
           "mode": "closed" if clients else "open", "clients": clients, "rate": rate}
    workers = server.workers()
    cpu_before, wall_before = _cpu_seconds(workers), time.monotonic()
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bench.load", cwd=REPO,
                                                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    out, _ = await proc.communicate(json.dumps(job).encode())
    if proc.returncode != 0:
        raise RuntimeError(f"load process failed for {label} ({proc.returncode})")
    result = json.loads(out)
    wall = time.monotonic() - wall_before
    run = Run(label, server.name, f"closed {clients}" if clients else f"open {rate:g}/s",
              requests=len(result["latencies"]), seconds=result["seconds"],
              latency=Percentiles.of_seconds(result["latencies"]), errors=result["errors"],
              first_error=result["first_error"], rss_mib=server.rss_mib(),
              server_cpu=(_cpu_seconds(workers) - cpu_before) / wall, client_cpu=result["client_cpu"],
              cache=result.get("cache", {}))
    if result["statements"]:
        run.sql = sum(result["statements"]) / len(result["statements"])
        run.sql_range = (min(result["statements"]), max(result["statements"]))
        run.sql_median = statistics.median(result["statements"])
    return run
