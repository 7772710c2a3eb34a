"""Relay-shaped pagination types shared by history pages and feeds."""

from __future__ import annotations

import strawberry


@strawberry.type
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items after `endCursor` (pass it as `after`).")
    end_cursor: str | None
    has_previous_page: bool = strawberry.field(
        default=False, description="More items before `startCursor` (pass it as `before`, with `last`), where the "
                                   "field pages backwards.")
    start_cursor: str | None = None
