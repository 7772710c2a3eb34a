"""Bench mode: an `x-sql-statements` response header with the statements each request ran."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from domain.store.statement_count import start_tally

HEADER = b"x-sql-statements"


class SqlCountMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Each ASGI request runs in its own task, so this count belongs to this request alone.
        tally = start_tally()

        async def send_with_count(message: Message) -> None:
            if message["type"] == "http.response.start":
                # The endpoint has finished its work before it starts the response.
                message["headers"] = [*message.get("headers", []), (HEADER, str(tally[0]).encode())]
            await send(message)

        await self.app(scope, receive, send_with_count)
