"""GraphQL over HTTP, following the GraphQL-over-HTTP spec.

Requests: POST with an application/json body, or GET with query parameters (queries only).
Responses: application/graphql-response+json when the client accepts it (then documents that
cannot be parsed or validated get 400), else application/json (always 200 for a well-formed
request). Malformed JSON, unsupported media types and oversized bodies get 4xx, never 500.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import strawberry
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType

from api.container import Container
from api.context import Context
from api.errors import INTERNAL_MESSAGE, domain_error_for, translate_error
from api.graphiql import page_html
from api.languages import pick_language
from api.operation_log import result_code, role_name
from api.persisted_queries import PersistedQueries, PersistedQueryProblem, load_trusted_documents
from api.response_cache import HEADER as RESPONSE_CACHE_HEADER
from api.response_cache import Pending, ResponseCache
from domain.auth.admission import admit_staff
from domain.auth.viewer import Role, Viewer
from domain.error_codes import ErrorCode
from domain.errors import ServiceUnavailable
from domain.members.services import profile_cache_key
from domain.points.balance import balance_cache_key
from domain.ports import Cache
from domain.privacy.erasure import admit
from domain.store.cache import PrefetchedCache
from schema.loaders import Loaders
from schema.query_reads import QueryReads

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"

log = logging.getLogger(__name__)


class HttpProblem(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def _media_type(value: str) -> str:
    return value.split(";", 1)[0].strip().lower()


def negotiate(accept: str | None) -> str:
    """Pick the response media type from the Accept header (absent means legacy JSON)."""
    if not accept:
        return JSON
    offered = [_media_type(part) for part in accept.split(",")]
    if GRAPHQL_RESPONSE in offered:
        return GRAPHQL_RESPONSE
    if JSON in offered or "*/*" in offered or "application/*" in offered:
        return JSON
    raise HttpProblem(406, f"Responses are {GRAPHQL_RESPONSE} or {JSON}.")


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise HttpProblem(413, f"Request bodies are limited to {limit} bytes.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HttpProblem(413, f"Request bodies are limited to {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


def _params_from_json(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise HttpProblem(400, "The body is not valid JSON.") from exc
    if not isinstance(data, dict):
        raise HttpProblem(400, "The body must be a JSON object with a 'query'.")
    return data


def _params_from_query_string(request: Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query_params)
    if "variables" in params:
        try:
            params["variables"] = json.loads(params["variables"])
        except ValueError as exc:
            raise HttpProblem(400, "'variables' must be JSON.") from exc
    return params


def _checked(params: dict[str, Any]) -> tuple[str, dict[str, Any] | None, str | None]:
    query, variables, operation = params.get("query"), params.get("variables"), params.get("operationName")
    if not isinstance(query, str) or not query.strip():
        raise HttpProblem(400, "'query' must be a non-empty string.")
    if variables is not None and not isinstance(variables, dict):
        raise HttpProblem(400, "'variables' must be an object.")
    if operation is not None and not isinstance(operation, str):
        raise HttpProblem(400, "'operationName' must be a string.")
    return query, variables, operation


def _problem_response(problem: HttpProblem, media_type: str = JSON) -> Response:
    body = {"errors": [{"message": problem.message, "extensions": {"code": "BAD_REQUEST"}}]}
    return Response(orjson.dumps(body), problem.status, headers=problem.headers, media_type=media_type)


def _is_request_error(result: Any) -> bool:
    """Errors raised before execution (parse, validation, limits) rather than by a field."""
    return isinstance(result, PreExecutionError) or (
        result.data is None and bool(result.errors) and all(e.path is None for e in result.errors)
    )


def log_fields(request: Request) -> dict[str, object]:
    """The GraphQL facts for this request's access log line (api/logs.py writes it)."""
    state = request.scope.setdefault("state", {})
    return state.setdefault("log_fields", {"operation": None, "operationType": None})


class GraphQLHttpEndpoint:
    def __init__(self, schema: strawberry.Schema, container: Container, graphiql: bool = True) -> None:
        self._schema = schema
        self._container = container
        self._ide = page_html() if graphiql else None
        settings = container.settings
        # Loaded once, by build_schema, which also holds websocket operations to the same list.
        trusted = getattr(schema, "trusted_documents", None)
        if settings.trusted_documents_path and trusted is None:
            trusted = load_trusted_documents(settings.trusted_documents_path)
        self._persisted = PersistedQueries(container.cache, settings.apq_ttl_seconds, trusted)
        self._answers = ResponseCache(schema._schema, container)

    async def handle(self, request: Request) -> Response:
        try:
            return await self._handle(request)
        except HttpProblem as problem:
            log_fields(request)["result"] = "BAD_REQUEST"
            return _problem_response(problem)
        except Exception as exc:
            request_id = request.scope.get("state", {}).get("request_id")
            known = domain_error_for(exc)
            log_fields(request)["result"] = str(known.code) if isinstance(known, ServiceUnavailable) \
                else "INTERNAL_SERVER_ERROR"
            if isinstance(known, ServiceUnavailable):
                # The token check reads the profile before any field runs: an outage there is still an outage.
                log.warning("request %s: database unavailable: %s", request_id, exc)
                body = {"errors": [{"message": known.message, "extensions": {
                    "code": known.code, **known.details, "requestId": request_id}}]}
                return Response(orjson.dumps(body), 503, media_type=JSON,
                                headers={"Retry-After": str(known.retry_after_seconds)})
            log.exception("request %s failed outside GraphQL execution", request_id)
            body = {"errors": [{"message": INTERNAL_MESSAGE,
                                "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}}]}
            return Response(orjson.dumps(body), 500, media_type=JSON)

    async def _handle(self, request: Request) -> Response:
        if request.method == "GET":
            if self._ide and "text/html" in request.headers.get("accept", "") and "query" not in request.query_params:
                return HTMLResponse(self._ide)
            media_type = negotiate(request.headers.get("accept"))
            params = _params_from_query_string(request)
            allowed = {OperationType.QUERY}
        elif request.method == "POST":
            media_type = negotiate(request.headers.get("accept"))
            if _media_type(request.headers.get("content-type", "")) != JSON:
                raise HttpProblem(415, f"Send the request as {JSON}.")
            params = _params_from_json(await _read_body(request, self._container.settings.max_body_bytes))
            allowed = {OperationType.QUERY, OperationType.MUTATION}
        else:
            raise HttpProblem(405, "Use GET or POST.", {"Allow": "GET, POST"})

        try:
            params["query"] = await self._persisted.document(params)
        except PersistedQueryProblem as problem:
            status = 400 if problem.status == 400 and (
                media_type == GRAPHQL_RESPONSE or problem.code is ErrorCode.BAD_REQUEST) else 200
            body = {"errors": [{"message": problem.message, "extensions": {"code": problem.code}}]}
            log_fields(request)["result"] = str(problem.code)
            return Response(orjson.dumps(body), status, media_type=media_type)
        query, variables, operation = _checked(params)
        # The response cache (api/response_cache.py): looked up once the token is checked.
        sha = self._persisted.persisted_sha(params, query)
        groups = self._answers.groups(sha, query, operation) if OperationType.QUERY in allowed else None
        pending: Pending | None = None

        async def look_up(viewer: Viewer) -> bool:
            nonlocal pending
            if groups is not None and sha is not None:
                language = pick_language(request.headers.get("accept-language"),
                                         self._container.settings.default_language)
                pending = await self._answers.lookup(viewer, sha, groups, operation, variables, language)
            return pending is not None and pending.body is not None

        context = await self.make_context(request, look_up)
        if pending is not None and pending.body is not None:
            if context.shared_reads is not None:
                await context.shared_reads.close()
            log_fields(request).update(operation=operation, operationType="query", role=role_name(Role.MEMBER),
                                       result=result_code([]))
            return Response(pending.body, 200, media_type=media_type, headers={RESPONSE_CACHE_HEADER: "hit"})
        try:
            result = await self._schema.execute(
                query, variable_values=variables, context_value=context, operation_name=operation,
                allowed_operation_types=allowed,
            )
            if pending is not None and not result.errors:
                await self._answers.prepare_fill(pending, context.uow())
        except InvalidOperationTypeError as exc:
            raise HttpProblem(405, "Only queries may be sent with GET; use POST.", {"Allow": "POST"}) from exc
        except CannotGetOperationTypeError as exc:
            raise HttpProblem(400, "Name the operation to run with operationName.") from exc
        finally:
            if context.shared_reads is not None:
                await context.shared_reads.close()
        body: dict[str, Any] = {}
        errors = [translate_error(e, context.request_id, context.language) for e in result.errors or []]
        log_fields(request).update(context.log_fields, role=role_name(context.viewer.role), result=result_code(errors))
        if errors:
            body["errors"] = [e.formatted for e in errors]
        if not _is_request_error(result):
            body["data"] = result.data
        status = 400 if media_type == GRAPHQL_RESPONSE and _is_request_error(result) else 200
        encoded = orjson.dumps(body)
        if pending is not None and not errors:
            await self._answers.fill(pending, encoded)
        return Response(encoded, status, media_type=media_type,
                        headers={RESPONSE_CACHE_HEADER: "miss" if pending is not None else "bypass"})

    async def make_context(self, request: Request,
                           before_reads: Callable[[Viewer], Awaitable[bool]] | None = None) -> Context:
        viewer = self._container.tokens.viewer_from_header(request.headers.get("authorization"))
        subject = (f"{viewer.role.value}:{viewer.subject_id}"
                   if viewer.role is not None and viewer.subject_id is not None else None)
        shared_reads = self._container.shared_reads(subject)
        cache: Cache = self._container.cache
        try:
            # Before the prefetch below, so what that reads is at least as new as what this saw; True
            # when the answer is already known (a response cache hit): the token check alone remains.
            answered = before_reads is not None and await before_reads(viewer)
            if viewer.role is Role.MEMBER and viewer.subject_id is not None:
                # The token check reads the profile, and a member's query most often shows the balance:
                # both cache entries in one Redis round trip.
                keys = [profile_cache_key(viewer.subject_id)]
                if not answered:
                    keys.append(balance_cache_key(viewer.subject_id))
                cache = await PrefetchedCache.fetch(cache, keys)
            viewer, profile = await admit(self._container.uow(shared_reads), cache, viewer)
            viewer = await admit_staff(self._container.uow(shared_reads), viewer)
        except BaseException:
            # The request ends here, before the handler's `finally` that would return the connection.
            if shared_reads is not None:
                await shared_reads.close()
            raise
        return Context(
            container=self._container,
            viewer=viewer,
            loaders=Loaders.for_request(lambda: self._container.uow(shared_reads)),
            request_id=request.scope.get("state", {}).get("request_id", ""),
            client_address=request.client.host if request.client else None,
            shared_reads=shared_reads,
            query_reads=QueryReads(profile, cache),
            language=pick_language(request.headers.get("accept-language"),
                                   self._container.settings.default_language),
        )
