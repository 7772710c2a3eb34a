"""Detail screens: one post with its comments paged, a group, an event with my sign-up, and any
entity again by its global id through `node` / `nodes`."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.support.client import ApiClient, error_codes
from tests.support.program import configure_program
from tests.support.roles import staff_token

POST = """mutation($i: CreatePostInput!) { createPost(input: $i) { post { id } } }"""
COMMENT = "mutation($p: ID!, $b: String!) { commentOnPost(postId: $p, body: $b) { comment { id } } }"
POST_DETAIL = """query($id: ID!, $first: Int!, $after: String) { post(id: $id) { id body commentCount
  comments(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor }
    edges { node { body author { displayName } } } } } }"""
SAVE_GROUP = """mutation($i: SaveGroupInput!) { saveGroup(input: $i) { group { id } } }"""
GROUP = "query($id: ID!) { group(id: $id) { id name minTierRank openToMe } }"
SAVE_EVENT = """mutation($i: SaveEventInput!) { saveEvent(input: $i) { id } }"""
EVENT = "query($id: ID!) { event(id: $id) { id title seatsLeft signupOpen mySignup { status checkinCode } } }"
SIGN_UP = "mutation($e: ID!) { signUpForEvent(eventId: $e) { status } }"


@pytest.fixture
async def setup(api: ApiClient):
    await configure_program(api.container)
    staff = await staff_token(api)
    alice = await api.sign_in("13800138000")
    bob = await api.sign_in("13900139000")
    return api, staff, alice, bob


async def test_post_detail_pages_through_all_its_comments(setup) -> None:
    api, _staff, alice, bob = setup
    post = (await api.data(POST, {"i": {"body": "My haul"}}, alice.access_token))["createPost"]["post"]["id"]
    for i in range(5):
        await api.data(COMMENT, {"p": post, "b": f"comment {i}"}, bob.access_token)
    first = (await api.data(POST_DETAIL, {"id": post, "first": 3}, bob.access_token))["post"]
    assert first["commentCount"] == 5 and first["comments"]["totalCount"] == 5
    assert [e["node"]["body"] for e in first["comments"]["edges"]] == ["comment 0", "comment 1", "comment 2"]
    assert first["comments"]["pageInfo"]["hasNextPage"] is True
    rest = (await api.data(POST_DETAIL, {"id": post, "first": 3, "after": first["comments"]["pageInfo"]["endCursor"]},
                           bob.access_token))["post"]["comments"]
    assert [e["node"]["body"] for e in rest["edges"]] == ["comment 3", "comment 4"]
    assert rest["pageInfo"]["hasNextPage"] is False
    assert error_codes(await api.gql(POST_DETAIL, {"id": "999999", "first": 3}, bob.access_token)) == ["NOT_FOUND"]


async def test_group_detail_says_whether_the_members_tier_may_join(setup) -> None:
    api, staff, alice, _bob = setup
    open_group = (await api.data(SAVE_GROUP, {"i": {"name": "Runners"}}, staff))["saveGroup"]["group"]["id"]
    saved = await api.data(SAVE_GROUP, {"i": {"name": "Gold lounge", "minTierRank": 1}}, staff)
    gold = saved["saveGroup"]["group"]["id"]
    assert (await api.data(GROUP, {"id": open_group}, alice.access_token))["group"]["openToMe"] is True
    assert (await api.data(GROUP, {"id": gold}, alice.access_token))["group"] == {
        "id": gold, "name": "Gold lounge", "minTierRank": 1, "openToMe": False}


async def test_event_detail_shows_seats_and_my_sign_up(setup) -> None:
    api, staff, alice, bob = setup
    now = api.container.now()
    event = (await api.data(SAVE_EVENT, {"i": {
        "title": "Tasting", "capacity": 10, "startsAt": (now + timedelta(days=7)).isoformat(),
        "signupOpensAt": (now - timedelta(days=1)).isoformat(),
        "signupClosesAt": (now + timedelta(days=6)).isoformat()}}, staff))["saveEvent"]["id"]
    before = (await api.data(EVENT, {"id": event}, alice.access_token))["event"]
    assert before == {"id": event, "title": "Tasting", "seatsLeft": 10, "signupOpen": True, "mySignup": None}
    await api.data(SIGN_UP, {"e": event}, alice.access_token)
    after = (await api.data(EVENT, {"id": event}, alice.access_token))["event"]
    assert after["seatsLeft"] == 9 and after["mySignup"]["status"] == "SIGNED_UP" and after["mySignup"]["checkinCode"]
    assert (await api.data(EVENT, {"id": event}, bob.access_token))["event"]["mySignup"] is None


NODE = """query($id: ID!) { node(id: $id) { __typename id
  ... on Post { body } ... on Group { name } ... on Event { title } } }"""
NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }"


async def test_entities_come_back_by_global_id_through_node_and_nodes(setup) -> None:
    api, staff, alice, bob = setup
    post = (await api.data(POST, {"i": {"body": "Hello"}}, alice.access_token))["createPost"]["post"]["id"]
    group = (await api.data(SAVE_GROUP, {"i": {"name": "Runners"}}, staff))["saveGroup"]["group"]["id"]
    assert post != group, "ids are global: a post and a group never share one"
    assert (await api.data(NODE, {"id": post}, bob.access_token))["node"] == {"__typename": "Post", "id": post,
                                                                             "body": "Hello"}
    assert (await api.data(NODE, {"id": group}, bob.access_token))["node"]["name"] == "Runners"
    listed = (await api.data(NODES, {"ids": [group, post]}, bob.access_token))["nodes"]
    assert [(n["__typename"], n["id"]) for n in listed] == [("Group", group), ("Post", post)]
    assert error_codes(await api.gql(NODE, {"id": "bm90LWFuLWlk"}, bob.access_token)) == ["BAD_USER_INPUT"]


async def test_an_anonymous_nodes_call_answers_null_for_posts_and_still_answers_the_rest(setup) -> None:
    """`nodes` is open to anyone (catalogue pages refetch rewards signed out); a post id among the ids
    must answer null in its place, not refuse the whole call."""
    api, staff, alice, _bob = setup
    post = (await api.data(POST, {"i": {"body": "Hello"}}, alice.access_token))["createPost"]["post"]["id"]
    group = (await api.data(SAVE_GROUP, {"i": {"name": "Runners"}}, staff))["saveGroup"]["group"]["id"]
    listed = (await api.data(NODES, {"ids": [post, group]}))["nodes"]
    assert listed == [None, {"__typename": "Group", "id": group}]


async def test_node_applies_the_same_rules_as_the_detail_queries(setup) -> None:
    from tests.support.catalog import add_reward

    api, staff, alice, bob = setup
    await api.data("""mutation($m: ID!) { adjustPoints(input: {memberId: $m, amount: 500, reason: "seed",
      idempotencyKey: "seed"}) { entry { id } } }""", {"m": alice.member_id}, staff)
    reward = await add_reward(api.container, price=100)
    made = await api.data("""mutation($r: ID!) { redeemReward(input: {rewardId: $r, idempotencyKey: "k"}) {
      redemption { id reward { id } } } }""", {"r": str(reward.id)}, alice.access_token)
    redemption = made["redeemReward"]["redemption"]
    assert (await api.data(NODE, {"id": redemption["id"]}, alice.access_token))["node"]["__typename"] == "Redemption"
    assert error_codes(await api.gql(NODE, {"id": redemption["id"]}, bob.access_token)) == ["NOT_FOUND"]
    reward_node = (await api.data(NODE, {"id": redemption["reward"]["id"]}, bob.access_token))["node"]
    assert reward_node == {"__typename": "Reward", "id": redemption["reward"]["id"]}


ISSUE = """mutation($i: IssueCouponsInput!) { issueCoupons(input: $i) { issued } }"""
COUPON_TEMPLATE = """mutation { saveCouponTemplate(input: {name: "Thanks", kind: CASH_OFF, valueCents: 500,
  validDays: 30, perMemberLimit: null}) { template { id } } }"""
MY_COUPONS = "{ me { coupons(first: 10) { nodes { id } } } }"
REDEEM = """mutation($r: ID!, $k: String!) { redeemReward(input: {rewardId: $r, idempotencyKey: $k}) {
  redemption { id reward { id } } } }"""


async def test_nodes_costs_the_same_statements_for_any_number_of_ids_and_hides_what_is_not_mine(setup) -> None:
    from schema.refs import global_id
    from tests.support.catalog import add_reward
    from tests.support.sql_counter import count_statements

    api, staff, alice, bob = setup
    for who in (alice, bob):
        await api.data("""mutation($m: ID!, $k: String!) { adjustPoints(input: {memberId: $m, amount: 1000,
          reason: "seed", idempotencyKey: $k}) { entry { id } } }""", {"m": who.member_id, "k": who.member_id}, staff)
    rewards = [await add_reward(api.container, name=f"Reward {i}", price=100) for i in range(2)]
    reward_ids = [str(global_id("Reward", r.id)) for r in rewards]
    redemptions = [(await api.data(REDEEM, {"r": reward_ids[i], "k": f"a{i}"}, alice.access_token))
                   ["redeemReward"]["redemption"]["id"] for i in range(2)]
    bobs_redeemed = await api.data(REDEEM, {"r": reward_ids[0], "k": "b"}, bob.access_token)
    bobs = bobs_redeemed["redeemReward"]["redemption"]["id"]
    template = (await api.data(COUPON_TEMPLATE, token=staff))["saveCouponTemplate"]["template"]["id"]
    for key in ("c1", "c2"):
        await api.data(ISSUE, {"i": {"templateId": template, "idempotencyKey": key,
                                     "memberIds": [alice.member_id, bob.member_id]}}, staff)
    coupons = [n["id"] for n in (await api.data(MY_COUPONS, token=alice.access_token))["me"]["coupons"]["nodes"]]
    bob_coupon = (await api.data(MY_COUPONS, token=bob.access_token))["me"]["coupons"]["nodes"][0]["id"]
    posts = [(await api.data(POST, {"i": {"body": f"Post {i}"}}, bob.access_token))["createPost"]["post"]["id"]
             for i in range(2)]
    groups = [(await api.data(SAVE_GROUP, {"i": {"name": f"Group {i}"}}, staff))["saveGroup"]["group"]["id"]
              for i in range(2)]
    assert len(coupons) == 2

    one_each = [reward_ids[0], redemptions[0], coupons[0], posts[0], groups[0]]
    ten = [reward_ids[0], redemptions[1], coupons[1], posts[1], groups[1], reward_ids[1], redemptions[0],
           bobs, bob_coupon, str(global_id("Post", 999_999))]
    query = "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }"
    counts = []
    for ids in (one_each, ten):
        with count_statements(api.container.engine) as seen:
            answer = (await api.data(query, {"ids": ids}, alice.access_token))["nodes"]
        counts.append(len(seen))
        assert len(answer) == len(ids)
    assert counts[0] == counts[1], f"statements for 5 ids vs 10 ids: {counts}"
    assert counts[1] <= 8, f"one query per type, not per id: {counts}"
    assert [n and n["id"] for n in answer] == [*ten[:7], None, None, None], (
        "someone else's redemption and coupon, and an unknown post, answer null; the rest come back in order")
    assert [n["__typename"] for n in answer[:7]] == ["Reward", "Redemption", "Coupon", "Post", "Group", "Reward",
                                                     "Redemption"]
    # Staff see every member's redemptions and coupons.
    as_staff = (await api.data(query, {"ids": [bobs, bob_coupon]}, staff))["nodes"]
    assert [n["id"] for n in as_staff] == [bobs, bob_coupon]
    # A post of a group above the member's tier is hidden from `nodes` exactly as from `node`.
    lounge = (await api.data(SAVE_GROUP, {"i": {"name": "Lounge"}}, staff))["saveGroup"]["group"]["id"]
    inside = (await api.data(POST, {"i": {"body": "Inside", "groupId": lounge}}, bob.access_token))
    inside_id = inside["createPost"]["post"]["id"]
    assert (await api.data(query, {"ids": [inside_id, posts[0]]}, alice.access_token))["nodes"][0] is not None
    await api.data(SAVE_GROUP, {"i": {"id": lounge, "name": "Lounge", "minTierRank": 1}}, staff)
    hidden = (await api.data(query, {"ids": [inside_id, posts[0]]}, alice.access_token))["nodes"]
    assert hidden == [None, {"__typename": "Post", "id": posts[0]}]
    assert error_codes(await api.gql(NODE, {"id": inside_id}, alice.access_token)) == ["NOT_FOUND"]
    # Events come back too (read one by one until domain/meetups offers a batched read); unknown: null.
    now = api.container.now()
    event = (await api.data(SAVE_EVENT, {"i": {
        "title": "Tasting", "capacity": 10, "startsAt": (now + timedelta(days=7)).isoformat(),
        "signupOpensAt": (now - timedelta(days=1)).isoformat(),
        "signupClosesAt": (now + timedelta(days=6)).isoformat()}}, staff))["saveEvent"]["id"]
    events = (await api.data(query, {"ids": [event, str(global_id("Event", 999_999)), event]},
                             alice.access_token))["nodes"]
    assert events == [{"__typename": "Event", "id": event}, None, {"__typename": "Event", "id": event}]
