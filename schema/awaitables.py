"""Plain resolvers that hand graphql-core their loader's awaitable.

graphql-core awaits whatever a resolver returns when it is awaitable, so a resolver that only
passes a loader's coroutine on need not be a coroutine itself. Declared `async def`, each such
field cost a second coroutine and Strawberry's async wrapper around it (a coroutine and an
`await_maybe` more) for nothing. Strawberry reads the field's GraphQL type from the annotation,
so the annotation stays the value's type; `later` tells type checkers the same.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar, cast

T = TypeVar("T")


def later(value: Awaitable[T]) -> T:
    """`value`, which graphql-core awaits, typed as what it resolves to."""
    return cast(T, value)
