"""What the access log says about a GraphQL request: operation name and type, viewer role, result."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension


class OperationFacts(SchemaExtension):
    """Notes the operation's name and type on the context once Strawberry has parsed it."""

    def on_operation(self) -> Iterator[None]:
        yield
        ctx = self.execution_context
        facts = getattr(ctx.context, "log_fields", None)
        if facts is None:
            return
        facts["operation"] = ctx.operation_name
        try:
            facts["operationType"] = ctx.operation_type.value
        except Exception:
            facts["operationType"] = None


def result_code(errors: list[GraphQLError] | None) -> str:
    """OK, or the codes of the errors (distinct, in order), e.g. UNAUTHENTICATED."""
    if not errors:
        return "OK"
    codes: list[str] = []
    for error in errors:
        code = str((error.extensions or {}).get("code", "INTERNAL_SERVER_ERROR"))
        if code not in codes:
            codes.append(code)
    return ",".join(codes)


def role_name(role: Any) -> str:
    return role.name if role is not None else "ANONYMOUS"
