"""The Info alias resolvers take. The context class lives in api/ (above this layer), so only
type checkers see it; at run time Strawberry only needs to recognise Info."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from strawberry.types import Info as StrawberryInfo

if TYPE_CHECKING:
    from api.context import Context

    Info = StrawberryInfo[Context, None]
else:
    Info = StrawberryInfo[Any, None]
