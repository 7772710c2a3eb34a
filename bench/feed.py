"""Feed benchmark: feed-page latency (p50/p99) with 100k posts, through the real GraphQL endpoint.

    .venv/bin/python -m bench.feed [--quick] [--posts N] [--samples K] [--no-redis]

Figures go to stdout, progress to stderr. See bench/README.md for what the numbers mean.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import functools
import os
import random
import re
import time
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import httpx
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

from api.app import container_of
from api.progress import ProgressBar
from bench.environment import bench_environment, describe, new_members
from bench.seed import _chunks, _insert_returning_ids  # the same batched Core insert the ledger seed uses
from bench.stats import Percentiles, time_calls
from domain.auth.viewer import Role, Viewer
from domain.community.model import FeedFilter
from domain.community.services import feed
from domain.store.tables import comments, group_members, groups, members, post_likes, posts
from tests.support.sql_counter import count_statements

say = functools.partial(print, flush=True)  # progress bars write to stderr; keep the two in order
PAGE = 20
FOLLOWED = 49  # cursors followed to reach page 50, as a member scrolling the app would
DEEP = 0.9  # the deep page starts 90% of the way down the feed
WARMUP = 5  # untimed (and SQL-counted) requests per cell: pool, statement caches, parser caches
GROUPS = 10
STEP = timedelta(seconds=30)  # distinct post times: 100,000 posts span about 35 days
QUERY = """
query Feed($after: String, $group: ID) {
  feed(first: 20, after: $after, groupId: $group) {
    edges { node { id body likeCount commentCount likedByMe author { displayName }
                   comments { nodes { body author { displayName } } } } }
    pageInfo { endCursor }
  }
}
"""


@dataclass(frozen=True)
class Sizes:
    posts: int
    authors: int
    samples: int


FULL = Sizes(posts=100_000, authors=2_000, samples=200)
QUICK = Sizes(posts=10_000, authors=200, samples=30)


def cursor_of(created_at: datetime, post_id: int) -> str:
    """The API's opaque cursor (schema/community.py), built here for pages nobody scrolled to."""
    return base64.urlsafe_b64encode(f"{created_at.isoformat()}|{post_id}".encode()).decode()


def _decode(cursor: str) -> tuple[datetime, int]:
    moment, _, post_id = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
    return datetime.fromisoformat(moment), int(post_id)


async def seed(engine: AsyncEngine, sizes: Sizes, reader: int, now: datetime) -> int:
    """Authors, groups, posts, comments and likes, written with Core (the use cases would take
    an hour). Counters on each post equal its rows, as the repository keeps them. Half the
    authors joined one group and put 3 posts in 4 there. Returns the busiest group's id."""
    rng = random.Random(7)  # same data every run, so runs compare
    bar = ProgressBar(sizes.authors + sizes.posts, f"loading {sizes.posts:,} posts (members, posts, comments, likes)")
    async with engine.begin() as conn:
        group_ids = list((await conn.execute(insert(groups).returning(groups.c.id), [
            dict(name=f"Bench group {g}", description="", created_at=now - timedelta(days=400)) for g in range(GROUPS)
        ])).scalars())
        authors = await _insert_returning_ids(conn, members, [
            dict(phone=f"137{i:08d}", member_code=f"F{i:07d}", display_name=f"Author {i}", tags=[],
                 joined_at=now - timedelta(days=400)) for i in range(sizes.authors)], bar)
        group_of = {a: group_ids[i // 2 % GROUPS] for i, a in enumerate(authors) if i % 2 == 0}
        await conn.execute(insert(group_members), [dict(group_id=g, member_id=a, joined_at=now - timedelta(days=300))
                                                   for a, g in group_of.items()])
        start = now - timedelta(minutes=1) - STEP * sizes.posts
        plan = []
        for j in range(sizes.posts):
            author = rng.choice(authors)
            group = group_of.get(author) if rng.random() < 0.75 else None
            likers = rng.sample(authors, rng.randint(1, 5)) if j % 3 == 0 else []
            likers += [reader] if j % 7 == 0 else []  # so likedByMe is sometimes true
            talkers = [rng.choice(authors) for _ in range(rng.randint(1, 4))] if j % 10 == 0 else []
            plan.append((dict(author_id=author, group_id=group, body=f"Post {j}: " + "lorem ipsum " * 8, image_urls=[],
                              like_count=len(likers), comment_count=len(talkers), status="VISIBLE",
                              created_at=start + STEP * j), likers, talkers))
        post_ids = await _insert_returning_ids(conn, posts, [row for row, _, _ in plan], bar)
        children: list[tuple] = []
        for post_id, (row, likers, talkers) in zip(post_ids, plan, strict=True):
            at = row["created_at"]
            children += [(post_likes, dict(post_id=post_id, member_id=m, created_at=at)) for m in likers]
            children += [(comments, dict(post_id=post_id, author_id=m, body=f"Comment {k}", status="VISIBLE",
                                         created_at=at + timedelta(seconds=k + 1))) for k, m in enumerate(talkers)]
        for table in (post_likes, comments):
            for chunk in _chunks([row for t, row in children if t is table]):
                await conn.execute(insert(table), chunk)
        for table in (members, groups, group_members, posts, comments, post_likes):
            await conn.exec_driver_sql(f"ANALYZE {table.name}")  # as autovacuum soon would after a bulk load
    busiest = Counter(row["group_id"] for row, _, _ in plan if row["group_id"]).most_common(1)[0][0]
    await verify(engine, sizes.posts)
    return busiest


async def verify(engine: AsyncEngine, count: int) -> None:
    """Fails loudly rather than timing a feed the application could never have produced."""
    async with engine.connect() as conn:
        found = (await conn.execute(select(func.count(), func.sum(posts.c.like_count), func.sum(posts.c.comment_count))
                                    .where(posts.c.status == "VISIBLE"))).one()
        likes = await conn.scalar(select(func.count()).select_from(post_likes))
        said = await conn.scalar(select(func.count()).select_from(comments))
    if (found[0], found[1], found[2]) != (count, likes, said):
        raise RuntimeError(f"seeded feed is inconsistent: posts/likes/comments {tuple(found)} vs rows {likes}/{said}")


async def cursor_at(engine: AsyncEngine, page: int, group: int | None) -> str | None:
    """The `after` a client holds for `page`: the cursor of the last post of the page before."""
    if page == 1:
        return None
    query = select(posts.c.created_at, posts.c.id).where(posts.c.status == "VISIBLE")
    if group is not None:
        query = query.where(posts.c.group_id == group)
    async with engine.connect() as conn:
        row = (await conn.execute(query.order_by(posts.c.created_at.desc(), posts.c.id.desc())
                                  .offset((page - 1) * PAGE - 1).limit(1))).one()
    return cursor_of(row.created_at, row.id)


class Client:
    """One member's GraphQL session on the real app; checks every page it is given."""

    def __init__(self, app: Starlette, member_id: int) -> None:
        container = container_of(app)
        token = container.tokens.issue_access(Role.MEMBER, member_id, container.now()).token
        self.headers = {"authorization": f"Bearer {token}"}
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench")

    async def page(self, after: str | None, group: int | None) -> dict:
        response = await self.http.post("/graphql", headers=self.headers, json={
            "query": QUERY, "variables": {"after": after, "group": str(group) if group else None}})
        data = response.json()
        if response.status_code != 200 or "errors" in data:
            raise RuntimeError(f"GraphQL feed failed: {response.status_code} {response.text[:300]}")
        found = data["data"]["feed"]
        if len(found["edges"]) != PAGE or any(not e["node"]["author"]["displayName"] for e in found["edges"]):
            raise RuntimeError(f"feed page is short or anonymous: {len(found['edges'])} posts")
        return found


async def follow(client: Client, pages: int, group: int | None) -> str | None:
    after = None
    for _ in range(pages):
        after = (await client.page(after, group))["pageInfo"]["endCursor"]
    return after


@dataclass(frozen=True)
class Cell:
    graphql: Percentiles
    domain: Percentiles
    statements: tuple[int, int]  # fewest and most SQL statements in one request
    tables: Counter[str]  # statements of the last counted request, by the table they read first


async def measure(app: Starlette, client: Client, reader: int, after: str | None, group: int | None,
                  samples: int) -> Cell:
    container = container_of(app)
    counts, tables = [], Counter[str]()
    for _ in range(WARMUP):  # counted here, not while timing, so the listener costs the timings nothing
        with count_statements(container.engine) as seen:
            await client.page(after, group)
        counts.append(len(seen))
        tables = Counter(m.group(1) if (m := re.search(r"\bFROM\s+(\w+)", s)) else s.split()[0] for s in seen)
    before, viewer, flt = (_decode(after) if after else None), Viewer(Role.MEMBER, reader), FeedFilter(group_id=group)
    graphql = await time_calls(lambda: client.page(after, group), samples)
    # The keyset query alone, through the use case: what is left of a request's cost is loaders,
    # Strawberry and HTTP.
    domain = await time_calls(lambda: feed(container.uow(), viewer, flt, PAGE, before), samples)
    return Cell(graphql, domain, (min(counts), max(counts)), tables)


async def run(sizes: Sizes, use_redis: bool) -> None:
    started = time.perf_counter()
    async with bench_environment(use_redis) as bench:
        container = bench.container
        # Other work on the machine moves p95/p99 most; the load average says how busy it was.
        say(f"{await describe(container)}, cache: {bench.cache_backend}, {os.cpu_count()} CPUs, "
            f"load average {os.getloadavg()[0]:.1f}")
        [reader] = await new_members(container, 1)
        group = await seed(container.engine, sizes, reader, container.now())
        async with container.engine.connect() as conn:
            in_group = await conn.scalar(select(func.count()).select_from(posts).where(posts.c.group_id == group))
        client = Client(bench.app, reader)
        deep, group_deep = int(sizes.posts * DEEP) // PAGE + 1, int(in_group * DEEP) // PAGE + 1
        followed = await follow(client, FOLLOWED, None)
        if followed != await cursor_at(container.engine, FOLLOWED + 1, None):  # keyset and OFFSET must agree
            raise RuntimeError("following 49 cursors did not reach page 50")
        cells = {"all     page 1": (None, None),
                 f"all     page {FOLLOWED + 1}": (followed, None),
                 f"all     page {deep:,}": (await cursor_at(container.engine, deep, None), None),
                 "group   page 1": (None, group),
                 f"group   page {group_deep:,}": (await cursor_at(container.engine, group_deep, group), group)}
        say(f"\nFeed page latency: {PAGE} posts a page with author, likedByMe and 3 comments each; "
            f"{sizes.posts:,} posts by {sizes.authors:,} authors; busiest group has {in_group:,} posts; "
            f"{sizes.samples} sequential requests per cell, ms")
        say(f"{'feed    page':26}{'graphql p50     p95     p99':>26}  {'domain p50     p95     p99':>26}  sql/request")
        measured = {}
        for label, (after, grp) in cells.items():
            cell = measured[label] = await measure(bench.app, client, reader, after, grp, sizes.samples)
            low, high = cell.statements
            say(f"{label:26}{cell.graphql.ms():>26}  {cell.domain.ms():>26}  {low if low == high else f'{low}-{high}'}")
        say("  statements in one page-1 request, by the table each reads first: "
            + ", ".join(f"{t} {n}" for t, n in sorted(next(iter(measured.values())).tables.items())))
        say(f"  all: {-(-sizes.posts // PAGE):,} pages, group {group}: {-(-in_group // PAGE):,} pages; page "
            f"{FOLLOWED + 1} reached by following {FOLLOWED} endCursors, pages {deep:,} and {group_deep:,} "
            f"({DEEP:.0%} down) from a cursor built from the post before them")
        await client.http.aclose()
    say(f"\ndone in {time.perf_counter() - started:.0f} s")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.feed", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 posts, 30 samples: about 5 seconds")
    parser.add_argument("--posts", type=int, help="posts to load")
    parser.add_argument("--samples", type=int, help="timed requests per cell")
    parser.add_argument("--no-redis", action="store_true", help="in-process cache instead of a redis-server")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    sizes = replace(sizes, posts=args.posts or sizes.posts, samples=args.samples or sizes.samples)
    if sizes.posts < 100 * PAGE:
        parser.error(f"--posts must be at least {100 * PAGE} so page 50 is not the deep page")
    asyncio.run(run(sizes, use_redis=not args.no_redis))


if __name__ == "__main__":
    main()
