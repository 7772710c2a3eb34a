"""Graceful shutdown of an app process on SIGTERM (or SIGINT).

uvicorn alone would stop accepting, wait for in-flight requests (`timeout_graceful_shutdown`) and
then close websockets with 1012 ("service restart"). Before handing the signal on to it, this first
marks the process draining (`/readyz` answers 503, so a balancer stops sending; new sockets are
refused) and closes every open websocket with 1001 ("going away"), which clients treat as "reconnect,
elsewhere". In-process jobs (SQLite) finish in the lifespan's shutdown, within SHUTDOWN_GRACE_SECONDS.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from collections.abc import Awaitable, Callable
from types import FrameType
from typing import Any

log = logging.getLogger(__name__)

SIGNALS = (signal.SIGTERM, signal.SIGINT)
CLOSE_SOCKETS_SECONDS = 2.0


class Drain:
    def __init__(self) -> None:
        self.draining = False
        self._steps: list[Callable[[], Awaitable[None]]] = []
        self._previous: dict[int, Any] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def on_drain(self, step: Callable[[], Awaitable[None]]) -> None:
        self._steps.append(step)

    def install(self) -> None:
        """Wrap the server's handlers (uvicorn installs its own before the lifespan starts)."""
        if threading.current_thread() is not threading.main_thread():
            return
        loop = asyncio.get_running_loop()
        for sig in SIGNALS:
            previous = signal.getsignal(sig)
            self._previous[sig] = previous

            def handler(signum: int, frame: FrameType | None, _previous: Any = previous) -> None:
                if self.draining:  # a second signal: no more patience
                    self._pass_on(_previous, signum, frame)
                    return
                self.draining = True
                loop.call_soon_threadsafe(self._start, _previous, signum, frame)

            signal.signal(sig, handler)

    def uninstall(self) -> None:
        for sig, previous in self._previous.items():
            with contextlib.suppress(ValueError, TypeError):
                signal.signal(sig, previous)
        self._previous.clear()

    def _start(self, previous: Any, signum: int, frame: FrameType | None) -> None:
        task = asyncio.get_running_loop().create_task(self._drain(previous, signum, frame))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _drain(self, previous: Any, signum: int, frame: FrameType | None) -> None:
        log.info("signal %s: draining (sockets close with 1001, then in-flight work finishes)", signum)
        try:
            async with asyncio.timeout(CLOSE_SOCKETS_SECONDS):
                for step in self._steps:
                    await step()
        except Exception:
            log.exception("draining step failed; shutting down anyway")
        finally:
            self._pass_on(previous, signum, frame)

    @staticmethod
    def _pass_on(previous: Any, signum: int, frame: FrameType | None) -> None:
        if callable(previous):
            previous(signum, frame)
        elif previous == signal.SIG_DFL:
            signal.signal(signum, signal.SIG_DFL)
            signal.raise_signal(signum)
