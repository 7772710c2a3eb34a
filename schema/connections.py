"""Relay-shaped pagination types shared by history pages and feeds."""

from __future__ import annotations

import strawberry


@strawberry.type(description="Where a page stands in a list. Cursors are opaque strings: pass them back unchanged.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items after `endCursor` (pass it as `after`).")
    end_cursor: str | None = strawberry.field(description="Cursor of the last item of this page; null when the "
                                                          "page is empty.")
    has_previous_page: bool = strawberry.field(
        default=False, description="More items before `startCursor` (pass it as `before`, with `last`), where the "
                                   "field pages backwards.")
    start_cursor: str | None = strawberry.field(
        default=None, description="Cursor of the first item of this page, where the field pages backwards; else "
                                  "null.")
