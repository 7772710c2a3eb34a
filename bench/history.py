"""History-page latency: one reader, 50 entries a page, through the use case and through GraphQL."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
from sqlalchemy import select
from starlette.applications import Starlette

from api.app import container_of
from api.container import Container
from bench.stats import Percentiles
from domain.auth.viewer import Role, Viewer
from domain.points.queries import HistoryQuery, encode_cursor, history
from domain.store.tables import points_entries

PAGE = 50
FOLLOWED_PAGES = 50  # "page 51": where a member who keeps scrolling ends up
WARMUP = 5  # untimed calls per cell: pool connections, statement caches, the profile cache
QUERY = """
query History($after: String) {
  me { pointsHistory(first: 50, after: $after) { edges { node { id amount } } pageInfo { endCursor } } }
}
"""


@dataclass(frozen=True)
class Position:
    page: int
    after: str | None  # the cursor the page starts after; None is page 1


async def positions(app: Starlette, member_id: int, count: int) -> dict[str, Position]:
    """Page 1; page 51, reached by following 50 cursors as a scrolling member would (when the
    history is that long); and the middle and last pages, whose cursors are looked up directly
    because following 1,000 cursors adds nothing. The middle matters as much as the end: how
    deep a page is can change the plan PostgreSQL picks."""
    container = container_of(app)
    viewer = Viewer(Role.MEMBER, member_id)
    found = {"page 1": Position(1, None)}
    if count > FOLLOWED_PAGES * PAGE:
        after = None
        for _ in range(FOLLOWED_PAGES):
            older = await history(HistoryQuery(member_id, PAGE, after), container.deps(viewer))
            after = encode_cursor(older.entries[-1])
        found[f"page {FOLLOWED_PAGES + 1}"] = Position(FOLLOWED_PAGES + 1, after)
    last = -(-count // PAGE)
    for label, page in (("middle", last // 2 + 1), ("last", last)):
        found[label] = Position(page, await _cursor_before(container, member_id, (page - 1) * PAGE))
    return found


async def _cursor_before(container: Container, member_id: int, skipped: int) -> str:
    """The `after` a client holds when it asks for the page past the newest `skipped` entries:
    the cursor of the last entry it has already seen."""
    async with container.engine.connect() as conn:
        entry_id = await conn.scalar(
            select(points_entries.c.id).where(points_entries.c.member_id == member_id)
            .order_by(points_entries.c.created_at.desc(), points_entries.c.id.desc()).offset(skipped - 1).limit(1)
        )
    async with container.uow() as uow:
        entry = await uow.points.entry(entry_id)
    assert entry is not None
    return encode_cursor(entry)


async def _timed(call: Callable[[], Awaitable[int]], samples: int) -> Percentiles:
    for _ in range(WARMUP):
        await call()
    timings = []
    for _ in range(samples):
        started = time.perf_counter()
        got = await call()
        timings.append(time.perf_counter() - started)
        if got == 0:  # an empty page is a broken cursor, not a fast query
            raise RuntimeError("history page came back empty")
    return Percentiles.of_seconds(timings)


async def time_domain(app: Starlette, member_id: int, after: str | None, samples: int) -> Percentiles:
    container = container_of(app)
    viewer = Viewer(Role.MEMBER, member_id)

    async def call() -> int:
        return len((await history(HistoryQuery(member_id, PAGE, after), container.deps(viewer))).entries)

    return await _timed(call, samples)


async def time_graphql(app: Starlette, member_id: int, after: str | None, samples: int) -> Percentiles:
    """The whole request a member app makes: HTTP, JWT check, `me`, the page, serialisation."""
    container = container_of(app)
    token = container.tokens.issue_access(Role.MEMBER, member_id, container.now()).token
    headers = {"authorization": f"Bearer {token}"}
    body = {"query": QUERY, "variables": {"after": after}}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:

        async def call() -> int:
            response = await client.post("/graphql", json=body, headers=headers)
            data = response.json()
            if response.status_code != 200 or "errors" in data:
                raise RuntimeError(f"GraphQL history failed: {response.status_code} {response.text[:300]}")
            return len(data["data"]["me"]["pointsHistory"]["edges"])

        return await _timed(call, samples)
