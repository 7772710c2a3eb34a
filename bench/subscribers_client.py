"""The client side of bench/subscribers.py: many graphql-transport-ws subscribers in one process.

Run by bench.subscribers, not by hand. It reads one JSON command per line on stdin and answers
each with one JSON line on stdout (bulky results go to a file whose path is in the answer):

    {"cmd": "open", "group": G, "members": [id, ...], "stream": "points"|"offers", "concurrency": C,
     "timeout": S}
        one connection per list item (repeat an id to share a member), each sends connection_init
        with its member's access token, waits for connection_ack, subscribes to pointsChanged or
        offerIssued and waits for the stream's first message (kind CURRENT: the state now, sent
        once the server's subscription is live, so nothing published after `open` answers is
        missed); answers {"event": "opened", "ok": n, "failed": n, "seconds": s, "early": n, ...}
        Only ITEM messages are receipts; CURRENT ones are counted apart.
    {"cmd": "drain", "group": G, "expected": n, "timeout": S, "path": P}
        waits until the group has received n updates (or the timeout), writes its receipts
        [[connection index, cursor, monotonic seconds], ...] to P; answers {"event": "drained", ...}
    {"cmd": "close", "group": G, "timeout": S}
    {"cmd": "exit"}

Receipt times are time.monotonic(), CLOCK_MONOTONIC on Linux: one clock for every process on
the machine, so they compare directly with the publisher's timestamps.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import resource
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from api.auth import JwtTokens
from api.settings import Settings
from domain.auth.viewer import Role

QUERIES = {
    "points": ("pointsChanged", "subscription { pointsChanged { kind cursor entry { amount } balance { total } } }"),
    "offers": ("offerIssued", "subscription { offerIssued { kind cursor coupon { id } availableCouponsCount } }"),
}
PROTOCOL = Subprotocol("graphql-transport-ws")
ACK_TIMEOUT = 30.0


@dataclass
class Group:
    members: list[int]
    field: str
    connections: list[ClientConnection | None] = field(default_factory=list)
    readers: list[asyncio.Task[None]] = field(default_factory=list)
    receipts: list[tuple[int, str, float]] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    first_errors: list[str] = field(default_factory=list)
    closing: bool = False
    current: int = 0  # CURRENT messages: one per subscription once it is live
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def error(self, kind: str, detail: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1
        if len(self.first_errors) < 3:
            self.first_errors.append(f"{kind}: {detail[:300]}")


class Client:
    def __init__(self, url: str, keys: dict[str, str], kid: str, deflate: bool) -> None:
        self.url = url
        self.deflate = deflate
        # The bench's own issuer with the server's key; a long TTL so tokens outlive the run.
        self._tokens = JwtTokens(Settings(env="test", jwt_keys=keys, jwt_active_kid=kid, access_ttl_seconds=7200))
        self._token_of: dict[int, str] = {}
        self.groups: dict[str, Group] = {}
        self.negotiated_extensions: set[str] = set()

    def token(self, member_id: int) -> str:
        if member_id not in self._token_of:
            self._token_of[member_id] = self._tokens.issue_access(Role.MEMBER, member_id, datetime.now(UTC)).token
        return self._token_of[member_id]

    async def open(self, name: str, members: list[int], stream: str, concurrency: int,
                   within: float) -> dict[str, object]:
        field_name, query = QUERIES[stream]
        group = Group(members, field_name, connections=[None] * len(members))
        self.groups[name] = group
        gate = asyncio.Semaphore(concurrency)
        started = time.monotonic()

        async def one(index: int, member_id: int) -> bool:
            async with gate:
                try:
                    ws = await asyncio.wait_for(self._subscribe(member_id, query), ACK_TIMEOUT)
                except Exception as exc:  # counted: the table shows how many subscribers were reached
                    group.error(type(exc).__name__, repr(exc))
                    return False
            group.connections[index] = ws
            group.readers.append(asyncio.create_task(self._read(group, index, ws)))
            return True

        tasks = [asyncio.create_task(one(i, m)) for i, m in enumerate(members)]
        done, pending = await asyncio.wait(tasks, timeout=within)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        ok = sum(1 for t in done if not t.cancelled() and t.exception() is None and t.result())
        deadline = started + within
        while group.current < ok and (left := deadline - time.monotonic()) > 0:
            group.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(group.changed.wait(), min(left, 0.5))
        if group.current < ok:
            group.errors["no CURRENT before the connect timeout"] = ok - group.current
        unreached = [i for i, ws in enumerate(group.connections) if ws is None]
        if pending:
            group.errors["not opened before the connect timeout"] = len(pending)
        return {"event": "opened", "ok": ok, "failed": len(members) - ok, "seconds": time.monotonic() - started,
                "live": group.current, "unreached": unreached, "early": len(group.receipts), "errors": group.errors,
                "first_errors": group.first_errors,
                "extensions": sorted(self.negotiated_extensions)}

    async def _subscribe(self, member_id: int, query: str) -> ClientConnection:
        ws = await connect(self.url, subprotocols=[PROTOCOL], compression="deflate" if self.deflate else None,
                           ping_interval=None, open_timeout=ACK_TIMEOUT, close_timeout=5, max_queue=64)
        try:
            if ws.response is not None and (ext := ws.response.headers.get("Sec-WebSocket-Extensions")):
                self.negotiated_extensions.add(ext.split(";")[0])
            await ws.send(json.dumps({"type": "connection_init", "payload": {"accessToken": self.token(member_id)}}))
            while True:
                reply = json.loads(await ws.recv())
                if reply.get("type") == "connection_ack":
                    break
                if reply.get("type") == "ping":
                    await ws.send('{"type":"pong"}')
                    continue
                raise RuntimeError(f"expected connection_ack, got {reply}")
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
        except BaseException:
            await ws.close()
            raise
        return ws

    async def _read(self, group: Group, index: int, ws: ClientConnection) -> None:
        try:
            async for raw in ws:
                received = time.monotonic()  # first thing: the receipt time excludes our own parsing
                message = json.loads(raw)
                kind = message.get("type")
                if kind == "next":
                    payload = message.get("payload") or {}
                    if payload.get("errors"):
                        group.error("GraphQL error", json.dumps(payload["errors"]))
                        continue
                    update = payload["data"][group.field]
                    if update["kind"] == "ITEM":
                        group.receipts.append((index, update["cursor"], received))
                    else:
                        group.current += 1
                    group.changed.set()
                elif kind == "ping":
                    await ws.send('{"type":"pong"}')
                elif kind == "pong":
                    continue
                else:
                    group.error(f"unexpected {kind}", json.dumps(message))
        except ConnectionClosed as exc:
            if not group.closing:
                group.error("closed by server", repr(exc))
        except Exception as exc:
            group.error(type(exc).__name__, repr(exc))

    async def drain(self, name: str, expected: int, within: float, path: str) -> dict[str, object]:
        group = self.groups[name]
        deadline = time.monotonic() + within
        while len(group.receipts) < expected and (left := deadline - time.monotonic()) > 0:
            group.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(group.changed.wait(), min(left, 0.5))
        await asyncio.to_thread(Path(path).write_text, json.dumps(group.receipts))
        return {"event": "drained", "received": len(group.receipts), "errors": group.errors,
                "first_errors": group.first_errors, "path": path}

    async def close(self, name: str, within: float) -> dict[str, object]:
        group = self.groups.pop(name)
        group.closing = True
        started = time.monotonic()
        live = [ws for ws in group.connections if ws is not None]
        gate = asyncio.Semaphore(500)

        async def shut(ws: ClientConnection) -> None:
            async with gate:
                with contextlib.suppress(Exception):
                    await ws.close()

        closing = asyncio.gather(*(shut(ws) for ws in live))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(closing, within)
        for task in group.readers:
            task.cancel()
        await asyncio.gather(*group.readers, return_exceptions=True)
        return {"event": "closed", "connections": len(live), "seconds": time.monotonic() - started}


def raise_fd_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


async def main() -> None:
    raise_fd_limit()
    config = json.loads(sys.argv[1])
    client = Client(config["url"], config["keys"], config["kid"], config["deflate"])
    loop = asyncio.get_running_loop()

    def answer(reply: dict[str, object]) -> None:
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()

    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            break
        command = json.loads(line)
        cmd = command.pop("cmd")
        if cmd == "exit":
            break
        if cmd == "open":
            answer(await client.open(command["group"], command["members"], command.get("stream", "points"),
                                     command["concurrency"], command["timeout"]))
        elif cmd == "drain":
            answer(await client.drain(command["group"], command["expected"], command["timeout"], command["path"]))
        elif cmd == "close":
            answer(await client.close(command["group"], command["timeout"]))
        else:
            answer({"event": "error", "message": f"unknown command {cmd}"})
    for name in list(client.groups):
        await client.close(name, 10)


if __name__ == "__main__":
    asyncio.run(main())
