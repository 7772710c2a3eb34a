"""The root types, composed from the per-area query, mutation and subscription classes."""

from __future__ import annotations

import strawberry

from schema.auth import AuthMutations
from schema.members import MemberMutations, MemberQueries
from schema.subscriptions import Subscription


@strawberry.type
class Query(MemberQueries):
    pass


@strawberry.type
class Mutation(AuthMutations, MemberMutations):
    pass


__all__ = ["Mutation", "Query", "Subscription"]
