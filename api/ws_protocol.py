"""uvicorn's sans-I/O websocket protocol, lighter per idle socket (`serve` runs uvicorn with it).

tracemalloc over 10,000 idle subscribers (bench/live_server.py) puts ~11 KiB of each socket in
uvicorn's protocol object. Three parts of it outlive their use:
- the ASGI receive queue is an `asyncio.Queue` (four deques and an event, ~3.4 KiB) that holds at
  most a message or two at a time: here a list and one waiter;
- the `writable` flag is an `asyncio.Event` (a deque of waiters): here a flag and one future;
- the handshake's request and response (their header objects, ~5 KiB) stay referenced after the
  101 is sent; the ASGI scope keeps the headers the app reads, so they are dropped then.
Behaviour is uvicorn's: same messages in the same order, same flow control, same keep-alive.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol


class _ReceiveQueue:
    """What uvicorn uses of asyncio.Queue: put_nowait, get, empty; unbounded, FIFO, any number of getters."""

    __slots__ = ("_items", "_waiters")

    def __init__(self) -> None:
        self._items: list[Any] = []
        self._waiters: list[asyncio.Future[None]] | None = None

    def put_nowait(self, item: Any) -> None:
        self._items.append(item)
        self._wake_next()

    def _wake_next(self) -> None:
        while self._waiters:
            waiter = self._waiters.pop(0)
            if not waiter.done():
                waiter.set_result(None)
                return

    async def get(self) -> Any:
        while not self._items:
            waiter = asyncio.get_running_loop().create_future()
            if self._waiters is None:
                self._waiters = []
            self._waiters.append(waiter)
            try:
                await waiter
            except BaseException:
                if self._waiters and waiter in self._waiters:
                    self._waiters.remove(waiter)
                elif self._items:
                    self._wake_next()  # woken, then cancelled: the item goes to the next getter
                raise
        return self._items.pop(0)

    def empty(self) -> bool:
        return not self._items

    def qsize(self) -> int:
        return len(self._items)


class _Flag:
    """What uvicorn uses of asyncio.Event: set, clear, wait, is_set."""

    __slots__ = ("_set", "_waiters")

    def __init__(self) -> None:
        self._set = False
        self._waiters: list[asyncio.Future[None]] | None = None

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        self._set = True
        waiters, self._waiters = self._waiters, None
        for waiter in waiters or ():
            if not waiter.done():
                waiter.set_result(None)

    def clear(self) -> None:
        self._set = False

    async def wait(self) -> bool:
        if self._set:
            return True
        waiter = asyncio.get_running_loop().create_future()
        if self._waiters is None:
            self._waiters = []
        self._waiters.append(waiter)
        try:
            await waiter
        finally:
            if self._waiters is not None and waiter in self._waiters:
                self._waiters.remove(waiter)
        return True


class LeanWebSocketProtocol(WebSocketsSansIOProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue = _ReceiveQueue()  # type: ignore[assignment]
        flag = _Flag()
        flag.set()  # as uvicorn starts it: writable until the transport says otherwise
        self.writable = flag  # type: ignore[assignment]

    async def send(self, message: Any) -> None:
        await super().send(message)
        if self.handshake_complete and getattr(self, "request", None) is not None:
            # The 101 is out: nothing reads the handshake's request or response again.
            self.request = None  # type: ignore[assignment]
            self.response = None  # type: ignore[assignment]
