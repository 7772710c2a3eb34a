"""The ASGI application: GraphQL over HTTP and websocket at /graphql, plus health probes."""

from __future__ import annotations

import contextlib
import gc
import logging
import os
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from api.container import Container, build_container
from api.dashboard import dashboard_routes
from api.graphiql import ASSET_DIR, ASSET_PATH
from api.graphql_http import GraphQLHttpEndpoint
from api.graphql_schema import build_schema
from api.live import LiveUpdates
from api.logs import RequestIdMiddleware
from api.metrics import MetricsMiddleware, metrics_endpoint, process_exited, refresh_from_database
from api.settings import Settings
from api.shutdown import Drain
from api.sql_count import SqlCountMiddleware
from domain.ports import CodeSender, ProofVerifier
from domain.store.statement_count import count_statements

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, code_sender: CodeSender | None = None,
               proof_verifier: ProofVerifier | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    container = build_container(settings, code_sender)
    if proof_verifier is not None:
        container.proof_verifier = proof_verifier  # e.g. a captcha provider's check
    schema = build_schema(settings)

    async def healthz(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    drain = Drain()

    async def readyz(_request: Request) -> JSONResponse:
        if drain.draining:  # take this process out of the balancer while it finishes its work
            return JSONResponse({"status": "draining"}, 503)
        checks = await container.check_ready()
        ready = all(v == "ok" for v in checks.values())
        return JSONResponse({"status": "ok" if ready else "unavailable", **checks}, 200 if ready else 503)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        # Everything built at start-up lives for the process: keep it out of every full collection.
        gc.freeze()
        drain.install()
        runner = None
        if settings.run_jobs_in_process and container.engine.dialect.name == "sqlite":
            from api.job_runner import InProcessJobRunner

            runner = InProcessJobRunner(container)
            runner.start()
        try:
            yield
        finally:
            drain.uninstall()
            if runner is not None:
                await runner.stop(settings.shutdown_grace_seconds)
            await container.close()
            process_exited(os.getpid())

    http = GraphQLHttpEndpoint(schema, container, settings.graphiql)
    live = LiveUpdates(schema, container)
    drain.on_drain(live.close_all)
    middleware = [Middleware(RequestIdMiddleware), Middleware(MetricsMiddleware)]
    if settings.cors_origins:
        # Outermost, so preflights are answered before anything else looks at them. Tokens travel
        # in the Authorization header, not cookies: no credentials mode.
        middleware.insert(0, Middleware(
            CORSMiddleware, allow_origins=list(settings.cors_origins), allow_methods=["GET", "POST"],
            allow_headers=["authorization", "content-type", "accept", "accept-language", "x-request-id"],
            expose_headers=["x-request-id"], max_age=600,
        ))
    if settings.count_sql:
        count_statements(container.engine)
        count_statements(container.read_engine)
        middleware.append(Middleware(SqlCountMiddleware))
    app = Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics_endpoint(container, lambda: refresh_from_database(container)), methods=["GET"]),
            Route("/graphql", http.handle, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", live),
            *ide_routes(settings.graphiql),
            *dashboard_routes(),
        ],
        middleware=middleware,
        lifespan=lifespan,
    )
    app.state.container = container
    app.state.schema = schema
    app.state.drain = drain
    return app


def ide_routes(enabled: bool) -> list[BaseRoute]:
    if not enabled:
        return []

    async def home(_request: Request) -> RedirectResponse:
        return RedirectResponse("/graphql", 307)

    return [Route("/", home, methods=["GET"]),
            Mount(ASSET_PATH, StaticFiles(directory=ASSET_DIR, check_dir=False), name="graphiql-assets")]


def container_of(app: Starlette) -> Container:
    return app.state.container
