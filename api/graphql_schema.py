"""The executable schema: root types from schema/ plus the limits and error handling of this layer."""

from __future__ import annotations

import strawberry
from strawberry.extensions import (
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)

from api.errors import DomainErrorCodes
from api.settings import Settings
from schema.schema import Mutation, Query, Subscription


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    s = settings or Settings()
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=[
            DomainErrorCodes(),
            MaxTokensLimiter(max_token_count=s.max_query_tokens),
            QueryDepthLimiter(max_depth=s.max_query_depth),
            MaxAliasesLimiter(max_alias_count=s.max_aliases),
            ParserCache(maxsize=512),
            ValidationCache(maxsize=512),
        ],
    )
