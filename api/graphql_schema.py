"""The executable schema: root types from schema/ plus the limits and error handling of this layer."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError, NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from api.errors import DomainErrorCodes
from api.field_access import guard_root_fields
from api.input_guard import InputGuard
from api.settings import Settings
from schema.scalars import SCALARS
from schema.schema import Mutation, Query, Subscription


class LoyaltySchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        # Client mistakes are answers, not incidents; translate_error logs the unexpected ones.
        return None


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
        config=StrawberryConfig(scalar_map=SCALARS, disable_field_suggestions=not s.field_suggestions),
        # Factories, not instances: each operation needs its own extension state.
        extensions=[
            DomainErrorCodes,
            InputGuard,
            lambda: MaxTokensLimiter(max_token_count=s.max_query_tokens),
            lambda: AddValidationRules(limit_rules),
            lambda: ParserCache(maxsize=512),
            lambda: ValidationCache(maxsize=512),
        ],
    )
    # Who may call each root field (domain/auth/access.py); an undeclared field stops the build.
    guard_root_fields(schema._schema)
    return schema
