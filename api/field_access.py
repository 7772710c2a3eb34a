"""Puts the access table (domain/auth/access.py) in front of every root field of the built schema.

Applied once at schema build, to the GraphQL root fields themselves, so a field added in any
schema module is guarded without its author doing anything, and the build fails when the table
has no line for it. Nested fields are reached only through a guarded root field, so they cost
nothing extra. Partner tokens are also counted against the partner's per-minute budget here, on
every root field they call (allowed or not): one budget, no field left out.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from graphql import GraphQLField, GraphQLSchema

from domain.auth.access import ROOT_FIELDS, Access, authorize, missing_declarations
from domain.auth.viewer import Role
from domain.partners.services import throttle


class UndeclaredRootField(RuntimeError):
    """A root field without a line in the access table (or a stale line): fix domain/auth/access.py."""


def _root_fields(schema: GraphQLSchema) -> dict[str, dict[str, GraphQLField]]:
    roots = {"Query": schema.query_type, "Mutation": schema.mutation_type, "Subscription": schema.subscription_type}
    return {name: dict(t.fields) if t is not None else {} for name, t in roots.items()}


async def _partner_call(fn: Callable[..., Any], access: Access, source: Any, info: Any, kwargs: dict) -> Any:
    ctx = info.context
    await throttle(ctx.container.limiter, ctx.viewer, ctx.container.settings.partner_requests_per_minute)
    authorize(access, ctx.viewer)
    result = fn(source, info, **kwargs)
    return await result if inspect.isawaitable(result) else result


def _guarded(fn: Callable[..., Any], access: Access) -> Callable[..., Any]:
    def guarded(source: Any, info: Any, **kwargs: Any) -> Any:
        viewer = info.context.viewer
        if viewer.role is Role.PARTNER and viewer.is_authenticated:
            return _partner_call(fn, access, source, info, kwargs)
        authorize(access, viewer)
        return fn(source, info, **kwargs)

    guarded.__wrapped__ = fn  # type: ignore[attr-defined]
    return guarded


def _default_resolve(source: Any, info: Any, **_kwargs: Any) -> Any:
    # A subscription's resolve receives each event; strawberry always sets one, this is a fallback.
    return source


def guard_root_fields(schema: GraphQLSchema) -> None:
    fields = _root_fields(schema)
    problems = missing_declarations({t: list(f) for t, f in fields.items()})
    if problems:
        raise UndeclaredRootField("; ".join(problems))
    for type_name, by_name in fields.items():
        for name, field in by_name.items():
            if getattr(field, "_access_guarded", False):
                continue
            access = ROOT_FIELDS[type_name][name]
            if type_name == "Subscription":
                # The check runs when the client subscribes, before any event is read.
                assert field.subscribe is not None
                field.subscribe = _guarded(field.subscribe, access)
            else:
                field.resolve = _guarded(field.resolve or _default_resolve, access)
            field._access_guarded = True  # type: ignore[attr-defined]
