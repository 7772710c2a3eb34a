"""Serve an app with uvicorn on a loopback port inside the test's event loop, with the websocket
protocol `serve` uses (api/ws_protocol.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from starlette.applications import Starlette

from api.ws_protocol import LeanWebSocketProtocol
from tests.support.servers import free_port


@asynccontextmanager
async def served(app: Starlette) -> AsyncIterator[str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off",
                                           ws=LeanWebSocketProtocol))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
