"""The executable schema: root types from schema/ plus the limits and error handling of this layer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import strawberry
from graphql import GraphQLError, NoSchemaIntrospectionCustomRule
from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext
from strawberry.types.execution import PreExecutionError

from api.errors import DomainErrorCodes
from api.field_access import guard_root_fields
from api.input_guard import InputGuard
from api.known_documents import KnownDocuments
from api.operation_log import OperationFacts
from api.persisted_queries import load_trusted_documents, sha256_hex
from api.settings import Settings
from domain.error_codes import ErrorCode as ErrorCodes
from schema.error_codes import ErrorCode
from schema.scalars import SCALARS
from schema.schema import Mutation, Query, Subscription


class LoyaltySchema(strawberry.Schema):
    # Hashes of the only documents that may run (TRUSTED_DOCUMENTS), or None for any document.
    trusted_documents: dict[str, str] | None = None

    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        # Client mistakes are answers, not incidents; translate_error logs the unexpected ones.
        return None

    async def stream(self, query: str | None, *args: Any, **kwargs: Any) -> Any:
        """The websocket path (graphql-transport-ws runs every operation through `stream`): refuse
        untrusted documents here, as the HTTP endpoint does before it executes anything."""
        trusted = self.trusted_documents
        if trusted is not None and (query is None or sha256_hex(query) not in trusted):
            return _refused()
        return await super().stream(query, *args, **kwargs)


async def _refused() -> AsyncIterator[PreExecutionError]:
    yield PreExecutionError(data=None, errors=[GraphQLError(
        "This document is not among the trusted documents.",
        extensions={"code": ErrorCodes.PERSISTED_QUERY_NOT_ALLOWED.value})])


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    s = settings or Settings()
    # The depth and alias limiters build new rule classes per instance, and the validation cache
    # keys on the rule classes: build them once so repeated documents skip validation.
    limit_rules = [*QueryDepthLimiter(max_depth=s.max_query_depth).validation_rules,
                   *MaxAliasesLimiter(max_alias_count=s.max_aliases).validation_rules]
    if not s.introspection:
        limit_rules.append(NoSchemaIntrospectionCustomRule)
    schema = LoyaltySchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[ErrorCode],
        config=StrawberryConfig(scalar_map=SCALARS, disable_field_suggestions=not s.field_suggestions),
        # Factories, not instances: each operation needs its own extension state.
        extensions=[
            DomainErrorCodes,
            InputGuard,
            OperationFacts,
            # The token limit, the rules above, and the parse and validation caches, in one extension.
            KnownDocuments(limit_rules, max_tokens=s.max_query_tokens).extension,
        ],
    )
    # Who may call each root field (domain/auth/access.py); an undeclared field stops the build.
    guard_root_fields(schema._schema)
    if s.trusted_documents_path:
        schema.trusted_documents = load_trusted_documents(s.trusted_documents_path)
    return schema
