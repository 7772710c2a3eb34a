"""Attacks across role boundaries (issue #13 items 1, 4, 7, 8, 9; issue #14 item 6), through the API only."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.support.client import ApiClient, error_codes
from tests.support.program import configure_program
from tests.support.roles import staff_token

CREATE = """mutation($i: CreatePartnerInput!) { createPartner(input: $i) { clientSecret partner { id clientId } } }"""
TOKEN = """mutation($c: String!, $s: String!) { partnerToken(clientId: $c, clientSecret: $s) { accessToken } }"""
LINK = """mutation($p: ID!) { linkPartner(partnerId: $p) { memberRef } }"""
EARN = """mutation($m: String!, $t: String!, $a: Int!) { partnerEarn(memberRef: $m, transactionId: $t,
  partnerAmount: $a) { points } }"""
MEMBER = 'query($m: String!) { partnerMember(memberRef: $m) { tierRank } }'
STATEMENT = """query($p: ID!) { partnerStatement(partnerId: $p, from: "2026-01-01T00:00:00Z",
  to: "2026-02-01T00:00:00Z") { day } }"""
PURCHASE = "mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned } }"
POINTS = "{ me { points { total } } }"
GIFT = "mutation($i: GiftPointsInput!) { giftPoints(input: $i) { entry { amount } } }"
ADJUST = "mutation($i: AdjustPointsInput!) { adjustPoints(input: $i) { entry { amount } } }"
SETTINGS = """mutation($i: UpdateProgramSettingsInput!) { updateProgramSettings(input: $i) {
  settings { giftDailyLimitPoints } } }"""


def order(order_id: str, member: dict, yuan: int) -> dict:
    return {"member": member, "orderId": order_id, "storeId": "S1", "amountCents": yuan * 100,
            "items": [{"category": "apparel", "amountCents": yuan * 100}]}


async def make_partner(api: ApiClient, staff: str, name: str = "Coffee Co", earn_cap: int = 1_000) -> tuple[str, str]:
    made = (await api.data(CREATE, {"i": {"name": name, "partnerUnits": 1, "programPoints": 1,
                                          "dailyEarnCap": earn_cap, "dailyBurnCap": 1_000}}, staff))["createPartner"]
    token = (await api.data(TOKEN, {"c": made["partner"]["clientId"], "s": made["clientSecret"]}))["partnerToken"]
    return made["partner"]["id"], token["accessToken"]


@pytest.fixture
async def setup(make_client):
    api = make_client(partner_requests_per_minute=1_000)
    await configure_program(api.container)
    staff = await staff_token(api)
    alice = await api.sign_in("13800138000")
    return api, staff, alice


async def test_a_partner_token_cannot_mint_points_with_record_purchase(setup) -> None:
    """#13.1: recordPurchase took partner tokens with no link, consent, cap or limit."""
    api, staff, alice = setup
    partner_id, partner = await make_partner(api, staff)
    await api.data(LINK, {"p": partner_id}, alice.access_token)  # even a linked member is out of reach this way
    member_answer = await api.gql(PURCHASE, {"i": order("X1", {"phone": "13800138000"}, 10_000_000)}, partner)
    by_id = await api.gql(PURCHASE, {"i": order("X2", {"id": alice.member_id}, 10_000_000)}, partner)
    stranger = await api.gql(PURCHASE, {"i": order("X3", {"phone": "13999999999"}, 10)}, partner)
    assert error_codes(member_answer) == error_codes(by_id) == ["FORBIDDEN"]
    assert error_codes(stranger) == error_codes(member_answer), "the answer must not tell a member from a stranger"
    assert member_answer["data"] is None
    assert (await api.data(POINTS, token=alice.access_token))["me"]["points"]["total"] == 0


async def test_partner_answers_are_the_same_for_unlinked_members_and_unknown_refs(setup) -> None:
    """#13.1: a partner learns nothing about members it is not linked to."""
    api, staff, alice = setup
    a_id, partner_a = await make_partner(api, staff, "A")
    _b_id, partner_b = await make_partner(api, staff, "B")
    ref = (await api.data(LINK, {"p": a_id}, alice.access_token))["linkPartner"]["memberRef"]
    other = await api.gql(EARN, {"m": ref, "t": "T1", "a": 10}, partner_b)
    unknown = await api.gql(EARN, {"m": "pm_doesnotexist", "t": "T2", "a": 10}, partner_b)
    phone = await api.gql(EARN, {"m": "13800138000", "t": "T3", "a": 10}, partner_b)
    assert error_codes(other) == error_codes(unknown) == error_codes(phone) == ["NOT_FOUND"]
    assert other["errors"][0]["message"] == unknown["errors"][0]["message"] == phone["errors"][0]["message"]
    assert (await api.data(POINTS, token=alice.access_token))["me"]["points"]["total"] == 0
    await api.data(EARN, {"m": ref, "t": "T4", "a": 10}, partner_a)
    assert (await api.data(POINTS, token=alice.access_token))["me"]["points"]["total"] == 10


@pytest.mark.parametrize("document", [
    STATEMENT,
    MEMBER,
    """query { validateCoupon(input: {code: "WELCOME", storeId: "S1", items: []}) { applies } }""",
    "{ tiers { code } }",
])
async def test_the_partner_rate_limit_covers_every_field_a_partner_token_calls(make_client, document) -> None:
    """#13.4: recordPurchase, validateCoupon and partnerStatement did not count against the partner's budget."""
    api = make_client(partner_requests_per_minute=3)
    await configure_program(api.container)
    staff = await staff_token(api)
    partner_id, partner = await make_partner(api, staff)
    variables = {"p": partner_id, "m": "pm_x"}
    answers = [error_codes(await api.gql(document, variables, partner)) for _ in range(3)]
    assert all("RATE_LIMITED" not in codes for codes in answers)
    assert "RATE_LIMITED" in error_codes(await api.gql(document, variables, partner))
    assert error_codes(await api.gql(STATEMENT, variables, partner)) == ["RATE_LIMITED"], "one budget for all fields"


@pytest.mark.parametrize("document", [
    "{ feed { edges { node { id body } } } }",
    "{ pointsLeaderboard(period: WEEK) { edges { node { rank } } } }",
    "{ upcomingEvents { id } }",
    "{ groups { id } }",
    "{ offers { id } }",
    """query { validateCoupon(input: {code: "WELCOME", storeId: "S1", items: [{category: "a", amountCents: 1}]})
       { applies } }""",
])
async def test_partner_tokens_do_not_reach_member_or_community_fields(setup, document) -> None:
    """#13.9: feed, pointsLeaderboard, upcomingEvents and validateCoupon answered partner tokens."""
    api, staff, _alice = setup
    _partner_id, partner = await make_partner(api, staff)
    body = await api.gql(document, token=partner)
    assert error_codes(body) == ["FORBIDDEN"] and body["data"] is None


async def restricted_group(api: ApiClient, staff: str) -> tuple[str, str, str]:
    """A Gold-only group with one post by a Gold member; returns (group id, post id, gold member token)."""
    gold = await api.sign_in("13700137000")
    await api.data(PURCHASE, {"i": order("GOLD", {"phone": "13700137000"}, 60_000)}, staff)
    group = (await api.data('mutation { saveGroup(input: {name: "Gold lounge", minTierRank: 1}) { group { id } } }',
                            token=staff))["saveGroup"]["group"]["id"]
    post = (await api.data("mutation($i: CreatePostInput!) { createPost(input: $i) { post { id } } }",
                           {"i": {"body": "gold only secret sale", "groupId": group}}, gold.access_token))
    return group, post["createPost"]["post"]["id"], gold.access_token


async def test_tier_restricted_group_posts_stay_inside_the_tier(setup) -> None:
    """#13.8: a base-tier member read a Gold group's feed and commented on its posts."""
    api, staff, alice = setup
    group, post, gold = await restricted_group(api, staff)
    feed_of = "query($g: ID) { feed(groupId: $g) { edges { node { id body } } } }"
    assert error_codes(await api.gql(feed_of, {"g": group}, alice.access_token)) == ["FORBIDDEN"]
    everything = (await api.data(feed_of, {"g": None}, alice.access_token))["feed"]["edges"]
    assert post not in [e["node"]["id"] for e in everything]
    by_author = await api.data("query($a: ID) { feed(authorId: $a) { edges { node { id } } } }",
                               {"a": (await api.data("{ me { id } }", token=gold))["me"]["id"]}, alice.access_token)
    assert by_author["feed"]["edges"] == []
    for attempt in [
        ('mutation($p: ID!) { commentOnPost(postId: $p, body: "me too") { comment { id } } }', {"p": post}),
        ("mutation($p: ID!) { likePost(postId: $p) { post { likeCount } } }", {"p": post}),
        ("mutation($p: ID!) { unlikePost(postId: $p) { post { likeCount } } }", {"p": post}),
        ('mutation($p: ID!) { reportContent(target: POST, id: $p, reason: "x") { ok } }', {"p": post}),
    ]:
        body = await api.gql(*attempt, token=alice.access_token)
        assert error_codes(body) == ["NOT_FOUND"], attempt[0]
    # The Gold member and staff still see it.
    assert [e["node"]["id"] for e in (await api.data(feed_of, {"g": group}, gold))["feed"]["edges"]] == [post]
    assert [e["node"]["id"] for e in (await api.data(feed_of, {"g": group}, staff))["feed"]["edges"]] == [post]
    await api.data('mutation($p: ID!) { commentOnPost(postId: $p, body: "yes") { comment { id } } }', {"p": post},
                   gold)


async def test_gift_answers_do_not_tell_members_from_strangers(setup) -> None:
    """#13.7: LIMIT_EXCEEDED / INSUFFICIENT_POINTS for members but NOT_FOUND for unknown phones, at no cost."""
    api, staff, alice = setup
    await api.sign_in("13900139000")
    member, stranger = {"phone": "13900139000"}, {"phone": "13999999999"}

    async def both(amount: int, key: str) -> tuple[dict, dict]:
        return (await api.gql(GIFT, {"i": {"recipient": member, "amount": amount, "idempotencyKey": key + "m"}},
                              alice.access_token),
                await api.gql(GIFT, {"i": {"recipient": stranger, "amount": amount, "idempotencyKey": key + "s"}},
                              alice.access_token))

    poor = await both(10, "poor")
    assert error_codes(poor[0]) == error_codes(poor[1]) == ["INSUFFICIENT_POINTS"]
    await api.data(ADJUST, {"i": {"memberId": alice.member_id, "amount": 1_000, "reason": "seed",
                                  "idempotencyKey": "seed"}}, staff)
    await api.data(SETTINGS, {"i": {"giftDailyLimitPoints": 100}}, staff)
    over = await both(101, "over")
    assert error_codes(over[0]) == error_codes(over[1]) == ["LIMIT_EXCEEDED"]
    assert over[0]["errors"][0]["message"] == over[1]["errors"][0]["message"]
    assert over[0]["errors"][0]["extensions"] == over[1]["errors"][0]["extensions"]


async def test_gift_recipient_lookups_are_throttled(make_client) -> None:
    """#13.7: a sender who can afford it probes phones one after another; lookups are budgeted."""
    api = make_client(gift_recipient_lookups_per_hour=3)
    await configure_program(api.container)
    staff = await staff_token(api)
    alice = await api.sign_in("13800138000")
    await api.data(ADJUST, {"i": {"memberId": alice.member_id, "amount": 1_000, "reason": "seed",
                                  "idempotencyKey": "seed"}}, staff)
    answers = [error_codes(await api.gql(GIFT, {"i": {"recipient": {"phone": f"1399999990{i}"}, "amount": 1,
                                                      "idempotencyKey": f"k{i}"}}, alice.access_token))
               for i in range(5)]
    assert answers[:3] == [["NOT_FOUND"]] * 3
    assert answers[3:] == [["RATE_LIMITED"]] * 2


async def test_partner_daily_caps_count_program_days(setup, monkeypatch) -> None:
    """#14.6: the cap reset at 00:00 UTC (08:00 in Shanghai), not at the program's midnight."""
    api, staff, alice = setup
    partner_id, partner = await make_partner(api, staff, earn_cap=100)
    ref = (await api.data(LINK, {"p": partner_id}, alice.access_token))["linkPartner"]["memberRef"]

    def at(moment: datetime) -> None:
        monkeypatch.setattr(api.container, "now", lambda: moment)

    at(datetime(2026, 12, 1, 15, 30, tzinfo=UTC))  # 23:30 on 1 December in Shanghai
    await api.data(EARN, {"m": ref, "t": "D1", "a": 100}, partner)
    at(datetime(2026, 12, 1, 16, 30, tzinfo=UTC))  # 00:30 on 2 December in Shanghai: a new program day
    assert (await api.data(EARN, {"m": ref, "t": "D2a", "a": 100}, partner))["partnerEarn"]["points"] == 100
    at(datetime(2026, 12, 2, 0, 30, tzinfo=UTC))  # 08:30 on 2 December in Shanghai: same program day
    assert error_codes(await api.gql(EARN, {"m": ref, "t": "D2b", "a": 1}, partner)) == ["LIMIT_EXCEEDED"]
