"""The one place that turns exceptions into client-facing GraphQL errors.

Domain errors keep their message and gain `extensions.code`; request errors (syntax,
validation, limits) get GraphQL's usual codes; anything else is logged with the request
id and shown as INTERNAL_SERVER_ERROR with no details.
"""

from __future__ import annotations

import logging

from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import MaskErrors

from domain.errors import BadUserInput, Conflict, DomainError, FieldError, ServiceUnavailable
from domain.store.failures import Failure, classify

log = logging.getLogger("api.errors")

INTERNAL_MESSAGE = "Something went wrong on our side. Quote the request id if you contact support."


def _with(error: GraphQLError, message: str, extensions: dict[str, object]) -> GraphQLError:
    return GraphQLError(
        message, nodes=error.nodes, source=error.source, positions=error.positions, path=error.path,
        extensions=extensions,
    )


def translate_error(error: GraphQLError, request_id: str | None) -> GraphQLError:
    """Idempotent: an error that already carries a code passes through unchanged."""
    original = error.original_error
    if isinstance(original, DomainError):
        return _with(error, original.message, {"code": original.code, **original.details})
    if original is None:
        if error.extensions and "code" in error.extensions:
            return error
        if isinstance(error, GraphQLSyntaxError):
            code = "GRAPHQL_PARSE_FAILED"
        elif error.path is None:
            code = "GRAPHQL_VALIDATION_FAILED"
        else:
            code = "BAD_USER_INPUT"
        return _with(error, error.message, {**(error.extensions or {}), "code": code})
    if isinstance(original, GraphQLError):
        return _with(error, error.message, {"code": "BAD_USER_INPUT"})
    known = domain_error_for(original)
    if known is not None:
        log.warning("request %s: %s (%s)", request_id, known.code, type(original).__name__)
        return _with(error, known.message, {"code": known.code, **known.details})
    log.error("unhandled error in request %s", request_id, exc_info=original)
    return _with(error, INTERNAL_MESSAGE, {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id})


def domain_error_for(exc: BaseException) -> DomainError | None:
    """Storage failures that are not bugs: a value the database cannot hold and a taken unique key
    are the caller's input; an unreachable database is an outage the caller may retry."""
    failure = classify(exc)
    if failure is Failure.BAD_INPUT:
        return BadUserInput("A value is too long or not allowed here.",
                            [FieldError("input", "A value is too long or contains characters that are not allowed.")])
    if failure is Failure.DUPLICATE:
        return Conflict("That already exists (a name or key must be unique).")
    if failure is Failure.OUTAGE:
        return ServiceUnavailable()
    return None


class DomainErrorCodes(MaskErrors):
    """Applies translate_error to every result, HTTP and websocket alike."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda _e: True, error_message=INTERNAL_MESSAGE)

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        request_id = getattr(self.execution_context.context, "request_id", None)
        return [translate_error(error, request_id) for error in errors]
