"""The websocket side of /graphql: graphql-transport-ws subscriptions, authenticated at connection_init.

A socket holds its authority only as long as the access token it was opened with: it closes
- at the token's `exp` (4401, reason TOKEN_EXPIRED), unless the client renews in-band by sending
  `{"type": "ping", "payload": {"accessToken": "<fresh token of the same subject>"}}`;
- when that session family signs out or is revoked (4401, SESSION_ENDED), on any worker (pub/sub);
- when the member is erased (4403, ACCOUNT_ERASED), by pub/sub and by a periodic re-check.
Refusals at connection_init close 4401 (UNAUTHENTICATED) / 4403 (erased) / 4429 (too many sockets).
Every close reason is a small JSON object `{"code": ..., "reason": ...}` the client can read.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from datetime import timedelta
from typing import Any

import strawberry
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler

from api.container import Container
from api.context import Context
from api.languages import pick_language
from api.metrics import SOCKETS, SUBSCRIPTIONS
from api.socket_authority import FORBIDDEN_CLOSE, PRESENCE_TTL_SECONDS, UNAUTHENTICATED_CLOSE, SocketAuthority
from domain.auth.admission import admit_staff
from domain.auth.viewer import Viewer
from domain.errors import Unauthenticated
from domain.privacy.erasure import refuse_erased
from schema.loaders import Loaders

log = logging.getLogger(__name__)

GOING_AWAY_CLOSE = 1001  # RFC 6455: the server is going away (graceful shutdown)
TOO_MANY_CLOSE = 4429


def close_reason(code: str, reason: str) -> str:
    return json.dumps({"code": code, "reason": reason}, separators=(",", ":"))  # < 123 bytes, as close frames need


class SocketRefused(Exception):
    def __init__(self, close_code: int, code: str, reason: str) -> None:
        super().__init__(reason)
        self.close_code = close_code
        self.text = close_reason(code, reason)


def _refusal(exc: Unauthenticated) -> SocketRefused:
    reason = str(exc.details.get("reason", "INVALID_TOKEN"))
    if reason == "ACCOUNT_ERASED":
        return SocketRefused(FORBIDDEN_CLOSE, "FORBIDDEN", reason)
    return SocketRefused(UNAUTHENTICATED_CLOSE, "UNAUTHENTICATED", reason)


class LiveSocket(BaseGraphQLTransportWSHandler[Context, None]):
    view: LiveUpdates

    async def handle_connection_init(self, message: Any) -> None:
        try:
            await super().handle_connection_init(message)
        except SocketRefused as refused:
            await self.websocket.close(code=refused.close_code, reason=refused.text)
            return
        if self.connection_acknowledged:
            # Read at connect (token, language); kept, it would hold the token for the socket's life.
            self.context.connection_params = None
            self.view.sockets.add(self)
            SOCKETS.inc()
            await self.view.authority.watch(self)

    async def handle_ping(self, message: Any) -> None:
        payload = message.get("payload")
        if isinstance(payload, dict) and isinstance(payload.get("accessToken"), str) and self.connection_acknowledged:
            try:
                renewed = await self.view.admit_token(payload["accessToken"])
            except SocketRefused as refused:
                await self.websocket.close(code=refused.close_code, reason=refused.text)
                return
            current = self.context.viewer
            if (renewed.role, renewed.subject_id) != (current.role, current.subject_id):
                await self.websocket.close(code=FORBIDDEN_CLOSE, reason=close_reason("FORBIDDEN", "OTHER_SUBJECT"))
                return
            self.context.viewer = renewed
            await self.send_message({"type": "pong", "payload": {"renewed": True, "expiresAt": renewed.expires_at}})
            return
        await super().handle_ping(message)

    async def _close(self, close_code: int, code: str, reason: str) -> None:
        with contextlib.suppress(Exception):
            await self.websocket.close(code=close_code, reason=close_reason(code, reason))

    async def run_operation(self, operation: Any) -> None:
        SUBSCRIPTIONS.inc()
        try:
            await super().run_operation(operation)
        finally:
            SUBSCRIPTIONS.dec()

    async def shutdown(self) -> None:
        if self in self.view.sockets:
            self.view.sockets.discard(self)
            SOCKETS.dec()
        await self.view.authority.unwatch(self)
        await self.view.release(self.context)
        await super().shutdown()


class LiveUpdates(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = LiveSocket

    def __init__(self, schema: strawberry.Schema, container: Container) -> None:
        super().__init__(
            schema,
            graphql_ide=None,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            keep_alive=True,
            keep_alive_interval=15,
            max_subscriptions_per_connection=container.settings.ws_max_subscriptions_per_socket,
            connection_init_wait_timeout=timedelta(seconds=10),
        )
        self.container = container
        self.authority = SocketAuthority(container)
        # One set of loaders for every socket of the process: they batch but never cache (a long-lived
        # socket would see old data), and none holds a caller (keys carry the viewer where it matters),
        # so sharing them only batches reads across sockets woken by the same event, and saves each
        # socket fifteen loaders and their closures. A loader keeps the event loop it first ran on:
        # built again if the app is served from another loop (tests).
        self._loaders: tuple[asyncio.AbstractEventLoop, Loaders] | None = None
        self.sockets: set[LiveSocket] = set()  # acknowledged, open: closed with 1001 when the process drains
        self.draining = False

    async def close_all(self) -> None:
        """Graceful shutdown (api/shutdown.py): 1001 tells clients to reconnect, to another worker."""
        self.draining = True
        await asyncio.gather(*(s._close(GOING_AWAY_CLOSE, "SERVICE_UNAVAILABLE", "SERVER_SHUTDOWN")
                               for s in list(self.sockets)))

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        return Context(
            container=self.container,
            viewer=Viewer.anonymous(),
            loaders=self._shared_loaders(),
            request_id=request.scope.get("state", {}).get("request_id", ""),
            # Browsers send Accept-Language on the upgrade; apps may set it in connection_params.
            language=pick_language(request.headers.get("accept-language"),
                                   self.container.settings.default_language),
        )

    def _shared_loaders(self) -> Loaders:
        loop = asyncio.get_running_loop()
        if self._loaders is None or self._loaders[0] is not loop:
            self._loaders = (loop, Loaders.for_request(self.container.uow, cache=False))
        return self._loaders[1]

    async def admit_token(self, raw: str) -> Viewer:
        token = raw.split(" ", 1)[1] if raw.lower().startswith("bearer ") else raw
        try:
            viewer = self.container.tokens.verify(token.strip())
            rejected = await refuse_erased(self.container.uow(), self.container.cache, viewer)
            if rejected.rejection:
                raise Unauthenticated(rejected.rejection, reason=rejected.rejection_reason)
            viewer = await admit_staff(self.container.uow(), viewer)
            if viewer.rejection:
                raise Unauthenticated(viewer.rejection, reason=viewer.rejection_reason)
        except Unauthenticated as exc:
            raise _refusal(exc) from exc
        return viewer

    async def on_ws_connect(self, context: Context) -> dict[str, object] | None:
        if self.draining:
            raise SocketRefused(GOING_AWAY_CLOSE, "SERVICE_UNAVAILABLE", "SERVER_SHUTDOWN")
        params = context.connection_params or {}
        wanted = params.get("language") or params.get("acceptLanguage") or params.get("Accept-Language")
        if isinstance(wanted, str):
            context.language = pick_language(wanted, context.language)
        raw = params.get("authorization") or params.get("Authorization") or params.get("accessToken")
        if not isinstance(raw, str) or not raw.strip():
            raise SocketRefused(UNAUTHENTICATED_CLOSE, "UNAUTHENTICATED", "NO_TOKEN")
        viewer = await self.admit_token(raw)
        assert viewer.role is not None and viewer.subject_id is not None
        key, socket_id = f"{viewer.role.value}:{viewer.subject_id}", secrets.token_hex(8)
        if not await self.container.presence.claim(key, socket_id, self.container.settings.ws_max_sockets_per_subject,
                                                   PRESENCE_TTL_SECONDS):
            raise SocketRefused(TOO_MANY_CLOSE, "RATE_LIMITED", "TOO_MANY_SOCKETS")
        context.viewer = viewer
        context.socket_slot = (key, socket_id)
        return None

    async def release(self, context: Context) -> None:
        slot, context.socket_slot = context.socket_slot, None
        if slot is not None:
            await self.container.presence.release(*slot)
