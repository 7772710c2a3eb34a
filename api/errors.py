"""The one place that turns exceptions into client-facing GraphQL errors.

Domain errors keep their message and gain `extensions.code`; request errors (syntax,
validation, limits) get GraphQL's usual codes; anything else is logged with the request
id and shown as INTERNAL_SERVER_ERROR with no details.
"""

from __future__ import annotations

import logging
import re

from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import MaskErrors

from domain.error_codes import ErrorCode
from domain.errors import BadUserInput, Conflict, DomainError, FieldError, ServiceUnavailable
from domain.messages import DEFAULT_LANGUAGE, EN, has_entry, message
from domain.store.failures import Failure, classify

log = logging.getLogger("api.errors")

INTERNAL_MESSAGE = "Something went wrong on our side. Quote the request id if you contact support."


def _with(error: GraphQLError, message: str, extensions: dict[str, object]) -> GraphQLError:
    return GraphQLError(
        message, nodes=error.nodes, source=error.source, positions=error.positions, path=error.path,
        extensions=extensions,
    )


# "Variable '$f' has invalid value at .stages[1]: ..." (graphql-core, as Strawberry words it).
_VARIABLE_ERROR = re.compile(r"Variable '\$(?P<var>\w+)' (?:has|got) invalid value(?: at '?\.?(?P<path>[\w.\[\]]+)'?)?")


def _with_variable_field(error: GraphQLError) -> GraphQLError:
    """A variable that failed coercion is bad input like any other: name the field in
    `fieldErrors` (the path inside the variable without list indexes, else the variable)."""
    extensions = error.extensions or {}
    match = _VARIABLE_ERROR.match(error.message)
    if extensions.get("code") != ErrorCode.BAD_USER_INPUT or "fieldErrors" in extensions or not match:
        return error
    field = re.sub(r"\[\d+\]", "", match.group("path") or "") or match.group("var")
    detail = error.message[match.end():].lstrip(": ").strip() or error.message
    return _with(error, error.message, {**extensions, "fieldErrors": [{"field": field, "message": detail}]})


def member_message(error: DomainError, language: str) -> str:
    """The catalogue text in the caller's language. English callers keep the domain's own
    message where the catalogue has nothing more specific: it is English already and often
    more precise (amounts, limits)."""
    key = error.key or error.details.get("reason")
    key = key if isinstance(key, str) else None
    if language == EN and not has_entry(error.code, key):
        return error.message
    return message(error.code, language, key, error.details)


def translate_error(error: GraphQLError, request_id: str | None, language: str = DEFAULT_LANGUAGE) -> GraphQLError:
    """Idempotent: an error that already carries a code passes through unchanged.

    Member-facing messages (domain errors, internal errors) come from the catalogue in the
    caller's language; parse and validation messages stay as GraphQL wrote them (English):
    they speak to the app's developer, not to the member. The code never changes."""
    original = error.original_error
    if isinstance(original, DomainError):
        text = member_message(original, language)
        extensions: dict[str, object] = {"code": str(original.code), **original.details}
        field_errors = extensions.get("fieldErrors")
        if isinstance(field_errors, list) and original.key and has_entry(original.code, original.key):
            # A field error that repeats a keyed message reads the same translation; unkeyed field
            # messages stay as written (specific English beats a generic sentence next to a field).
            extensions["fieldErrors"] = [
                {**fe, "message": text} if isinstance(fe, dict) and fe.get("message") == original.message else fe
                for fe in field_errors]
        return _with(error, text, extensions)
    if original is None:
        if error.extensions and "code" in error.extensions:
            return _with_variable_field(error)
        if isinstance(error, GraphQLSyntaxError):
            code = ErrorCode.GRAPHQL_PARSE_FAILED
        elif error.path is None:
            code = ErrorCode.GRAPHQL_VALIDATION_FAILED
        else:
            code = ErrorCode.BAD_USER_INPUT
        return _with(error, error.message, {**(error.extensions or {}), "code": code})
    if isinstance(original, GraphQLError):
        return _with(error, error.message, {"code": ErrorCode.BAD_USER_INPUT})
    known = domain_error_for(original)
    if known is not None:
        log.warning("request %s: %s (%s)", request_id, known.code, type(original).__name__)
        return _with(error, member_message(known, language), {"code": str(known.code), **known.details})
    log.error("unhandled error in request %s", request_id, exc_info=original)
    return _with(error, message(ErrorCode.INTERNAL_SERVER_ERROR, language),
                 {"code": ErrorCode.INTERNAL_SERVER_ERROR, "requestId": request_id})


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
        context = self.execution_context.context
        request_id = getattr(context, "request_id", None)
        language = getattr(context, "language", DEFAULT_LANGUAGE)
        return [translate_error(error, request_id, language) for error in errors]
