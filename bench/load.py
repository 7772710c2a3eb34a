"""The load generator, run as its own process: `python -m bench.load < job.json > result.json`.

A minimal asyncio HTTP/1.1 client over keep-alive connections to 127.0.0.1 (httpx costs several
times more CPU per request, and on a 2-core machine the client's CPU is taken from the server).
Two modes:
- closed loop: C connections, each sends its next request as soon as the previous answer is in,
  for S seconds: the most the server can do at that concurrency;
- open loop: requests start on a fixed schedule (R per second) whatever the server does, each on
  a free connection from a pool (a new one when all are busy); latency is measured from the
  scheduled start, so a stalled server is charged for the queue it builds (no coordinated omission).

The job names a path and a list of requests (token, body); a body's "%KEY%" is replaced by a
unique value per request (idempotency keys). The result has every latency, the status and
GraphQL error codes, the x-sql-statements header values, and this process's CPU share.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    statements: list[int] = field(default_factory=list)
    cache: Counter = field(default_factory=Counter)  # x-response-cache values: hit, miss, bypass
    first_error: str = ""
    started: float = 0.0
    finished: float = 0.0

    def record(self, status: int, headers: dict[bytes, bytes], body: bytes, seconds: float) -> None:
        self.latencies.append(seconds)
        if b"x-sql-statements" in headers:
            self.statements.append(int(headers[b"x-sql-statements"]))
        if b"x-response-cache" in headers:
            self.cache[headers[b"x-response-cache"].decode()] += 1
        code = None
        if status != 200:
            code = f"HTTP {status}"
        elif body.startswith(b'{"errors"') or b'"errors":[' in body[:4096]:
            try:
                errors = json.loads(body).get("errors") or []
            except ValueError:
                errors = [{}]
            if errors:
                code = (errors[0].get("extensions") or {}).get("code", "ERROR")
        if code:
            self.errors[code] += 1
            self.first_error = self.first_error or body[:300].decode(errors="replace")


    def failed(self, exc: BaseException) -> None:
        # The server closed the connection (it does on a 500 it could not answer): an error, not a crash.
        self.errors["connection closed"] += 1
        self.first_error = self.first_error or repr(exc)


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def exchange(self, request: bytes) -> tuple[int, dict[bytes, bytes], bytes]:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(b":")
                headers[name.strip().lower()] = value.strip()
        body = await self.reader.readexactly(int(headers.get(b"content-length", b"0")))
        return status, headers, body

    def close(self) -> None:
        self.writer.close()


class Requests:
    def __init__(self, job: dict) -> None:
        self.path = job["path"].encode()
        self.port = job["port"]
        self.items = [(r["token"].encode(), r["body"]) for r in job["requests"]]
        self.keys = itertools.count()
        self.prefix = job.get("key_prefix", "k")
        self.order = itertools.cycle(range(len(self.items)))

    def next(self) -> bytes:
        token, body = self.items[next(self.order)]
        if "%KEY%" in body:
            body = body.replace("%KEY%", f"{self.prefix}-{next(self.keys)}")
        data = body.encode()
        return (b"POST " + self.path + b" HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n"
                b"authorization: Bearer " + token + b"\r\ncontent-length: " + str(len(data)).encode()
                + b"\r\n\r\n" + data)


async def closed_loop(requests: Requests, clients: int, seconds: float, tally: Tally) -> None:
    connections = [await Connection.open(requests.port) for _ in range(clients)]
    tally.started = time.monotonic()
    deadline = tally.started + seconds

    async def client(conn: Connection) -> None:
        while time.monotonic() < deadline:
            began = time.monotonic()
            try:
                status, headers, body = await conn.exchange(requests.next())
            except (ConnectionError, asyncio.IncompleteReadError) as exc:
                tally.failed(exc)
                conn.close()
                conn = await Connection.open(requests.port)
                continue
            tally.record(status, headers, body, time.monotonic() - began)

    await asyncio.gather(*(client(c) for c in connections))
    tally.finished = time.monotonic()
    for c in connections:
        c.close()


async def open_loop(requests: Requests, rate: float, seconds: float, tally: Tally) -> None:
    idle: list[Connection] = [await Connection.open(requests.port) for _ in range(8)]
    everyone: list[Connection] = list(idle)
    tally.started = time.monotonic()
    count = int(rate * seconds)
    tasks = []

    async def one(scheduled: float) -> None:
        conn = idle.pop() if idle else None
        if conn is None:
            conn = await Connection.open(requests.port)
            everyone.append(conn)
        request = requests.next()
        try:
            status, headers, body = await conn.exchange(request)
        except (ConnectionError, asyncio.IncompleteReadError):
            # uvicorn closes keep-alive connections idle for 5 s, which a pool at 200/s can hold:
            # retry once on a new connection, as any HTTP client does with a stale one.
            conn.close()
            conn = await Connection.open(requests.port)
            everyone.append(conn)
            try:
                status, headers, body = await conn.exchange(request)
            except (ConnectionError, asyncio.IncompleteReadError) as exc:
                tally.failed(exc)
                conn.close()
                return
        tally.record(status, headers, body, time.monotonic() - scheduled)
        idle.append(conn)

    for i in range(count):
        scheduled = tally.started + i / rate
        delay = scheduled - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(scheduled)))
    await asyncio.gather(*tasks)
    tally.finished = time.monotonic()
    for c in everyone:
        c.close()


def main() -> None:
    job = json.load(sys.stdin)
    requests, tally = Requests(job), Tally()
    cpu = time.process_time()
    if job["mode"] == "closed":
        asyncio.run(closed_loop(requests, job["clients"], job["seconds"], tally))
    else:
        asyncio.run(open_loop(requests, job["rate"], job["seconds"], tally))
    wall = tally.finished - tally.started
    json.dump({"latencies": tally.latencies, "errors": dict(tally.errors), "first_error": tally.first_error,
               "statements": tally.statements, "cache": dict(tally.cache), "seconds": wall,
               "client_cpu": (time.process_time() - cpu) / wall if wall else 0.0, "pid": os.getpid()}, sys.stdout)


if __name__ == "__main__":
    main()
