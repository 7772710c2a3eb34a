"""The executable schema: root types from schema/ plus the limits and error handling of this layer."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
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
from api.operation_log import OperationFacts
from api.settings import Settings
from schema.error_codes import ErrorCode
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
    return LoyaltySchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[ErrorCode],
        config=StrawberryConfig(scalar_map=SCALARS),
        # Factories, not instances: each operation needs its own extension state.
        extensions=[
            DomainErrorCodes,
            OperationFacts,
            lambda: MaxTokensLimiter(max_token_count=s.max_query_tokens),
            lambda: AddValidationRules(limit_rules),
            lambda: ParserCache(maxsize=512),
            lambda: ValidationCache(maxsize=512),
        ],
    )
