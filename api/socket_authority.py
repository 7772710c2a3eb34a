"""Keeps every open socket's authority in check, for all sockets of a process at once.

A socket closes at its token's expiry, when its session ends or its member is erased (pub/sub,
also from another worker), when a periodic re-check finds the member erased or the staff account
disabled, and it refreshes its entry in the shared socket count (Presence) meanwhile. That used to
be a task per socket waiting on a queue (with a second task inside `wait_for`): two coroutine
frames, two tasks and a queue for each of ten thousand idle sockets. Here a socket costs a small
record, a timer at its expiry and a callback on its AccessEnded channel; one sweeper task for the
process does the re-checks and the Presence refreshes that are due.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Protocol

from api.container import Container
from api.context import Context
from domain.auth.admission import admit_staff
from domain.events import AccessEnded
from domain.ports import Listening
from domain.privacy.erasure import refuse_erased

log = logging.getLogger(__name__)

UNAUTHENTICATED_CLOSE = 4401
FORBIDDEN_CLOSE = 4403
# A socket's entry in the shared count lives this long unless its connection refreshes it (every third).
PRESENCE_TTL_SECONDS = 90
SWEEP_SECONDS = 1.0  # how often the sweeper looks for due re-checks: their precision
SWEEP_CONCURRENCY = 32  # re-checks in flight at once (each reads the database or the cache)


class Watched(Protocol):
    context: Context

    def _close(self, close_code: int, code: str, reason: str) -> Awaitable[None]: ...


@dataclass(slots=True)
class _Watch:
    next_recheck: float
    next_presence: float
    listening: Listening | None = None
    expiry: asyncio.TimerHandle | None = None


class SocketAuthority:
    def __init__(self, container: Container) -> None:
        self.container = container
        self._watches: dict[Watched, _Watch] = {}
        self._sweeper: asyncio.Task[None] | None = None
        self._closing: set[asyncio.Task[None]] = set()

    async def watch(self, socket: Watched) -> None:
        """From the connection_ack on; `unwatch` when the socket ends."""
        viewer = socket.context.viewer
        assert viewer.role is not None and viewer.subject_id is not None
        now = time.monotonic()
        watch = _Watch(now + self.container.settings.ws_recheck_seconds, now + PRESENCE_TTL_SECONDS / 3)
        self._watches[socket] = watch
        self._arm_expiry(socket, watch)
        listening = await self.container.broker.listen(
            AccessEnded(viewer.role.value, viewer.subject_id, None, "").channel,
            functools.partial(self._access_ended, socket))
        if self._watches.get(socket) is not watch:  # the socket ended while the listener was set up
            await listening.aclose()
            return
        watch.listening = listening
        if self._sweeper is None or self._sweeper.done():
            self._sweeper = asyncio.create_task(self._sweep(), name="socket-authority")

    async def unwatch(self, socket: Watched) -> None:
        watch = self._watches.pop(socket, None)
        if watch is not None:
            await self._forget(watch)
        if not self._watches and self._sweeper is not None and self._sweeper is not asyncio.current_task():
            sweeper, self._sweeper = self._sweeper, None
            sweeper.cancel()  # nothing left to sweep; the next socket starts it again
            with contextlib.suppress(BaseException):
                await sweeper

    @staticmethod
    async def _forget(watch: _Watch) -> None:
        if watch.expiry is not None:
            watch.expiry.cancel()
        if watch.listening is not None:
            await watch.listening.aclose()

    # ------------------------------------------------------------ the three ways authority ends

    def _arm_expiry(self, socket: Watched, watch: _Watch) -> None:
        left = (socket.context.viewer.expires_at or 0) - time.time()
        watch.expiry = asyncio.get_running_loop().call_later(max(left, 0.0), self._expired, socket)

    def _expired(self, socket: Watched) -> None:
        watch = self._watches.get(socket)
        if watch is None:
            return
        if (socket.context.viewer.expires_at or 0) - time.time() > 0:  # renewed in-band since: wait again
            self._arm_expiry(socket, watch)
            return
        self._close(socket, UNAUTHENTICATED_CLOSE, "UNAUTHENTICATED", "TOKEN_EXPIRED")

    def _access_ended(self, socket: Watched, event: dict[str, object]) -> None:
        if socket not in self._watches:
            return
        if event.get("family_id") not in (None, socket.context.viewer.session_id):
            return  # another session of the same subject
        if event.get("reason") == "ACCOUNT_ERASED":
            self._close(socket, FORBIDDEN_CLOSE, "FORBIDDEN", "ACCOUNT_ERASED")
        else:
            self._close(socket, UNAUTHENTICATED_CLOSE, "UNAUTHENTICATED", str(event.get("reason") or "SESSION_ENDED"))

    async def _sweep(self) -> None:
        gate = asyncio.Semaphore(SWEEP_CONCURRENCY)
        while self._watches:
            await asyncio.sleep(SWEEP_SECONDS)
            now = time.monotonic()
            due: list[tuple[Watched, bool, bool]] = []
            for socket, watch in list(self._watches.items()):
                presence, recheck = watch.next_presence <= now, watch.next_recheck <= now
                if presence:
                    watch.next_presence = now + PRESENCE_TTL_SECONDS / 3
                if recheck:
                    watch.next_recheck = now + self.container.settings.ws_recheck_seconds
                if presence or recheck:
                    due.append((socket, presence, recheck))
            if due:
                await asyncio.gather(*(self._check(gate, *item) for item in due))

    async def _check(self, gate: asyncio.Semaphore, socket: Watched, presence: bool, recheck: bool) -> None:
        async with gate:
            if socket not in self._watches:
                return
            container, context = self.container, socket.context
            try:
                if presence and context.socket_slot is not None:
                    await container.presence.refresh(*context.socket_slot, PRESENCE_TTL_SECONDS)
                if not recheck:
                    return
                viewer = context.viewer
                # Pub/sub is fire-and-forget: a lost "erased" message must not keep the socket open.
                if (await refuse_erased(container.uow(), container.cache, viewer)).rejection:
                    self._close(socket, FORBIDDEN_CLOSE, "FORBIDDEN", "ACCOUNT_ERASED")
                    return
                staff = await admit_staff(container.uow(), viewer)
                if staff.rejection:
                    self._close(socket, UNAUTHENTICATED_CLOSE, "UNAUTHENTICATED", staff.rejection_reason or "")
            except Exception:
                log.exception("socket authority check failed; closing the socket")
                self._close(socket, UNAUTHENTICATED_CLOSE, "UNAUTHENTICATED", "RECHECK_FAILED")

    def _close(self, socket: Watched, close_code: int, code: str, reason: str) -> None:
        """Stop watching at once (one close per socket), then close in a task of its own: callers are
        a timer, the broker's delivery and the sweeper, none of which may wait on a socket."""
        watch = self._watches.pop(socket, None)
        if watch is None:
            return
        task = asyncio.get_running_loop().create_task(self._end(socket, watch, close_code, code, reason))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def _end(self, socket: Watched, watch: _Watch, close_code: int, code: str, reason: str) -> None:
        try:
            await self._forget(watch)
        finally:
            await socket._close(close_code, code, reason)

