"""The websocket side of /graphql: graphql-transport-ws subscriptions, authenticated at connection_init."""

from __future__ import annotations

from datetime import timedelta

import strawberry
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from api.container import Container
from api.context import Context
from api.languages import pick_language
from domain.auth.viewer import Viewer
from domain.errors import Unauthenticated
from domain.privacy.erasure import refuse_erased
from schema.loaders import Loaders


class LiveUpdates(GraphQL[Context, None]):
    def __init__(self, schema: strawberry.Schema, container: Container) -> None:
        super().__init__(
            schema,
            graphql_ide=None,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            keep_alive=True,
            keep_alive_interval=15,
            max_subscriptions_per_connection=20,
            connection_init_wait_timeout=timedelta(seconds=10),
        )
        self._container = container

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        return Context(
            container=self._container,
            viewer=Viewer.anonymous(),
            # Per connection: the loaders batch but never cache, or a long-lived socket would see old data.
            loaders=Loaders.for_request(self._container.uow, cache=False),
            request_id=request.scope.get("state", {}).get("request_id", ""),
            # Browsers send Accept-Language on the upgrade; apps may set it in connection_params.
            language=pick_language(request.headers.get("accept-language"),
                                   self._container.settings.default_language),
        )

    async def on_ws_connect(self, context: Context) -> dict[str, object] | None:
        params = context.connection_params or {}
        wanted = params.get("language") or params.get("acceptLanguage") or params.get("Accept-Language")
        if isinstance(wanted, str):
            context.language = pick_language(wanted, context.language)
        raw = params.get("authorization") or params.get("Authorization") or params.get("accessToken")
        if not isinstance(raw, str) or not raw.strip():
            raise ConnectionRejectionError(
                {"code": "UNAUTHENTICATED", "message": "Send accessToken in connection_init."}
            )
        token = raw.split(" ", 1)[1] if raw.lower().startswith("bearer ") else raw
        try:
            context.viewer = self._container.tokens.verify(token.strip())
            if (await refuse_erased(self._container.uow(), self._container.cache, context.viewer)).rejection:
                raise Unauthenticated("This account was erased.")
        except Unauthenticated as exc:
            raise ConnectionRejectionError({"code": "UNAUTHENTICATED", "message": exc.message}) from exc
        return None
