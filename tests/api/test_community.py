"""Community: posting, comments, likes with exact counts, feeds without N+1, moderation."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.client import ApiClient, error_codes
from tests.support.program import configure_program
from tests.support.roles import staff_token
from tests.support.sql_counter import count_statements

POST = """mutation($i: CreatePostInput!) { createPost(input: $i) { post { id body likeCount } } }"""
LIKE = "mutation($p: ID!) { likePost(postId: $p) { post { likeCount } } }"
COMMENT = """mutation($p: ID!, $b: String!, $r: ID) { commentOnPost(postId: $p, body: $b, parentId: $r) {
  comment { id } } }"""
FEED = """query($first: Int!, $after: String, $group: ID, $author: ID, $following: Boolean!) {
  feed(first: $first, after: $after, groupId: $group, authorId: $author, following: $following) {
    edges { node { id body likeCount commentCount likedByMe author { displayName } group { name }
                   comments { nodes { body author { displayName } } } } }
    pageInfo { hasNextPage endCursor } } }"""


@pytest.fixture
async def setup(api: ApiClient):
    await configure_program(api.container)
    staff = await staff_token(api)
    alice = await api.sign_in("13800138000")
    bob = await api.sign_in("13900139000")
    await api.data('mutation { updateProfile(input: {displayName: "Alice"}) { member { id } } }',
                   token=alice.access_token)
    return api, staff, alice, bob


async def feed(api: ApiClient, token: str, **variables: object) -> dict:
    values = {"first": 20, "following": False, **variables}
    return (await api.data(FEED, values, token))["feed"]


async def test_post_comment_like_and_see_it_in_the_feed(setup) -> None:
    api, _staff, alice, bob = setup
    pid = (await api.data(POST, {"i": {"body": "New latte art!", "imageUrls": ["https://img.example.com/1.jpg"]}},
                          alice.access_token))["createPost"]["post"]["id"]
    first = (await api.data(COMMENT, {"p": pid, "b": "Looks great"}, bob.access_token))["commentOnPost"]["comment"]
    await api.data(COMMENT, {"p": pid, "b": "Thanks!", "r": first["id"]}, alice.access_token)
    deep = await api.gql(COMMENT, {"p": pid, "b": "too deep", "r": str(int(first["id"]) + 1)}, bob.access_token)
    assert error_codes(deep) == ["BAD_USER_INPUT"], "replies go one level deep"
    for _ in range(2):
        liked = await api.data(LIKE, {"p": pid}, bob.access_token)
    assert liked["likePost"]["post"]["likeCount"] == 1, "liking twice is one like"
    node = (await feed(api, bob.access_token))["edges"][0]["node"]
    assert node["author"] == {"displayName": "Alice"} and node["likedByMe"] is True
    assert node["commentCount"] == 2
    assert node["comments"]["nodes"][0] == {"body": "Looks great", "author": {"displayName": "Member"}}
    assert (await feed(api, alice.access_token))["edges"][0]["node"]["likedByMe"] is False


async def test_bad_posts_are_refused_and_banned_words_filtered(setup) -> None:
    api, staff, alice, _bob = setup
    cases = [
        {"body": "   "}, {"body": "x" * 2001}, {"body": "hi", "imageUrls": ["https://a.example/x.jpg"] * 10},
        {"body": "hi", "imageUrls": ["javascript:alert(1)"]},
    ]
    for bad in cases:
        assert error_codes(await api.gql(POST, {"i": bad}, alice.access_token)) == ["BAD_USER_INPUT"], bad
    await api.data('mutation { setBannedWords(words: ["scam"]) }', token=staff)
    body = await api.gql(POST, {"i": {"body": "Great SCAM here"}}, alice.access_token)
    assert error_codes(body) == ["CONTENT_REJECTED"]
    assert (await feed(api, alice.access_token))["edges"] == []
    assert error_codes(await api.gql('mutation { setBannedWords(words: ["x"]) }', token=alice.access_token)) == [
        "FORBIDDEN"]


async def test_concurrent_likes_keep_the_count_exact(setup) -> None:
    api, _staff, alice, _bob = setup
    pid = (await api.data(POST, {"i": {"body": "Like me"}}, alice.access_token))["createPost"]["post"]["id"]
    likers = [await api.sign_in(f"1370000{i:04d}") for i in range(12)]
    taps = [api.gql(LIKE, {"p": pid}, m.access_token) for m in likers for _ in range(2)]
    await asyncio.gather(*taps)
    assert (await feed(api, alice.access_token))["edges"][0]["node"]["likeCount"] == 12


async def test_engagement_earns_points_within_daily_caps(setup) -> None:
    api, staff, alice, bob = setup
    rules = """mutation { a: saveEarningRule(input: {kind: ACTIVITY, name: "First post", activity: COMMUNITY_POST,
      points: 5, cap: 5}) { rule { id } }
      b: saveEarningRule(input: {kind: ACTIVITY, name: "Likes", activity: COMMUNITY_LIKE_RECEIVED, points: 2,
      cap: 4}) { rule { id } } }"""
    await api.data(rules, token=staff)
    posts = [(await api.data(POST, {"i": {"body": f"post {i}"}}, alice.access_token))["createPost"]["post"]["id"]
             for i in range(2)]
    likers = [bob] + [await api.sign_in(f"1370000{i:04d}") for i in range(3)]
    for liker in likers:
        await api.data(LIKE, {"p": posts[0]}, liker.access_token)
    await api.data(LIKE, {"p": posts[0]}, alice.access_token)  # own like earns nothing
    total = (await api.data("{ me { points { total } } }", token=alice.access_token))["me"]["points"]["total"]
    assert total == 5 + 4, "one first-post bonus, likes capped at 4 points a day"


async def test_feed_filters_and_pages(setup) -> None:
    api, staff, alice, bob = setup
    group = (await api.data('mutation { saveGroup(input: {name: "Coffee lovers"}) { group { id } } }',
                            token=staff))["saveGroup"]["group"]["id"]
    vip = (await api.data('mutation { saveGroup(input: {name: "Diamond lounge", minTierRank: 3}) { group { id } } }',
                          token=staff))["saveGroup"]["group"]["id"]
    assert error_codes(await api.gql("mutation($g: ID!) { joinGroup(groupId: $g) { group { id } } }", {"g": vip},
                                     alice.access_token)) == ["FORBIDDEN"]
    await api.data("mutation($g: ID!) { joinGroup(groupId: $g) { group { id } } }", {"g": group}, bob.access_token)
    for i in range(5):
        await api.data(POST, {"i": {"body": f"a{i}", "groupId": group if i % 2 == 0 else None}}, alice.access_token)
    await api.data(POST, {"i": {"body": "b0"}}, bob.access_token)
    bodies = []
    after = None
    while True:
        page = await feed(api, bob.access_token, first=2, after=after)
        bodies += [e["node"]["body"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert bodies == ["b0", "a4", "a3", "a2", "a1", "a0"]
    assert [e["node"]["body"] for e in (await feed(api, bob.access_token, group=group))["edges"]] == ["a4", "a2", "a0"]
    assert [e["node"]["body"] for e in (await feed(api, bob.access_token, following=True))["edges"]] == [
        "a4", "a2", "a0"]
    assert [e["node"]["body"] for e in (await feed(api, bob.access_token, author=bob.member_id))["edges"]] == ["b0"]


async def test_a_feed_page_runs_a_bounded_number_of_queries(setup) -> None:
    api, _staff, alice, bob = setup
    members = [alice, bob] + [await api.sign_in(f"1370000{i:04d}") for i in range(4)]

    async def statements_for_page(size: int) -> int:
        with count_statements(api.container.engine) as seen:
            page = await feed(api, bob.access_token, first=size)
        assert len(page["edges"]) == size
        return len(seen)

    for i in range(24):
        author = members[i % len(members)]
        pid = (await api.data(POST, {"i": {"body": f"p{i}"}}, author.access_token))["createPost"]["post"]["id"]
        await api.data(COMMENT, {"p": pid, "b": "nice"}, members[(i + 1) % len(members)].access_token)
        await api.data(LIKE, {"p": pid}, bob.access_token)
    small, large = await statements_for_page(3), await statements_for_page(20)
    # Posts, authors, likes, comments and comment authors: a handful of batched queries whatever the page size
    # (the exact number varies by one with how the loaders' batches happen to line up).
    assert small <= 6 and large <= 6, (small, large)


async def test_moderation_hides_and_restores_and_authors_delete(setup) -> None:
    api, staff, alice, bob = setup
    pid = (await api.data(POST, {"i": {"body": "Buy cheap watches"}}, alice.access_token))["createPost"]["post"]["id"]
    await api.data('mutation($p: ID!) { reportContent(target: POST, id: $p, reason: "spam") { ok } }',
                   {"p": pid}, bob.access_token)
    hide = "mutation($p: ID!, $h: Boolean!) { moderatePost(postId: $p, hidden: $h, reason: \"spam\") { post { id } } }"
    assert error_codes(await api.gql(hide, {"p": pid, "h": True}, bob.access_token)) == ["FORBIDDEN"]
    await api.data(hide, {"p": pid, "h": True}, staff)
    assert (await feed(api, bob.access_token))["edges"] == []
    assert error_codes(await api.gql(LIKE, {"p": pid}, bob.access_token)) == ["NOT_FOUND"]
    assert error_codes(await api.gql(COMMENT, {"p": pid, "b": "x"}, bob.access_token)) == ["NOT_FOUND"]
    await api.data(hide, {"p": pid, "h": False}, staff)
    assert len((await feed(api, bob.access_token))["edges"]) == 1
    delete = "mutation($p: ID!) { deletePost(postId: $p) { ok } }"
    assert error_codes(await api.gql(delete, {"p": pid}, bob.access_token)) == ["NOT_FOUND"]
    await api.data(delete, {"p": pid}, alice.access_token)
    assert (await feed(api, bob.access_token))["edges"] == []
