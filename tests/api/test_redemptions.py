"""Members spend points on rewards and get vouchers; POS uses them once; cancelling gives all back."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from domain.benefits.model import LimitPeriod
from tests.support.books import assert_books_balance
from tests.support.catalog import add_reward
from tests.support.client import ApiClient, error_codes
from tests.support.program import configure_program
from tests.support.roles import staff_token

REDEEM = """mutation($r: ID!, $q: Int!, $k: String!) {
  redeemReward(input: {rewardId: $r, quantity: $q, idempotencyKey: $k}) {
    redemption { id voucherCode status pointsSpent quantity reward { name stock } } } }"""
USE = "mutation($c: String!) { useVoucher(code: $c) { redemption { status usedAt } } }"
CANCEL = "mutation($id: ID!) { cancelRedemption(id: $id) { redemption { status } } }"
POINTS = "{ me { points { available total } } }"
ADJUST = """mutation($m: ID!, $a: Int!, $k: String!) {
  adjustPoints(input: {memberId: $m, amount: $a, reason: "seed", idempotencyKey: $k}) { entry { id } } }"""


@pytest.fixture
async def setup(api: ApiClient):
    await configure_program(api.container)
    member = await api.sign_in("13800138000")
    staff = await staff_token(api)
    await api.data(ADJUST, {"m": member.member_id, "a": 1000, "k": "seed"}, staff)
    return api, member, staff


async def test_redeem_use_and_retry(setup) -> None:
    api, member, staff = setup
    reward = await add_reward(api.container, price=150, stock=3)
    data = await api.data(REDEEM, {"r": reward.id, "q": 2, "k": "r-1"}, member.access_token)
    redemption = data["redeemReward"]["redemption"]
    assert redemption["pointsSpent"] == 300 and redemption["status"] == "ISSUED"
    assert redemption["reward"] == {"name": "Coffee voucher", "stock": 1}
    assert len(redemption["voucherCode"]) == 12
    retry = await api.data(REDEEM, {"r": reward.id, "q": 2, "k": "r-1"}, member.access_token)
    assert retry["redeemReward"]["redemption"]["id"] == redemption["id"], "the retry returns the same voucher"
    assert (await api.data(POINTS, token=member.access_token))["me"]["points"] == {"available": 700, "total": 700}

    used = await api.data(USE, {"c": redemption["voucherCode"].lower()}, staff)
    assert used["useVoucher"]["redemption"]["status"] == "USED"
    again = await api.gql(USE, {"c": redemption["voucherCode"]}, staff)
    assert error_codes(again) == ["VOUCHER_NOT_USABLE"]
    assert error_codes(await api.gql(CANCEL, {"id": redemption["id"]}, member.access_token)) == ["VOUCHER_NOT_USABLE"]
    assert error_codes(await api.gql(USE, {"c": "NOSUCHCODE22"}, staff)) == ["NOT_FOUND"]
    assert error_codes(await api.gql(USE, {"c": redemption["voucherCode"]}, member.access_token)) == ["FORBIDDEN"]
    await assert_books_balance(api.container.engine)


async def test_cancel_gives_points_and_stock_back(setup) -> None:
    api, member, _staff = setup
    reward = await add_reward(api.container, price=400, stock=1)
    data = await api.data(REDEEM, {"r": reward.id, "q": 1, "k": "c-1"}, member.access_token)
    rid = data["redeemReward"]["redemption"]["id"]
    other = await api.sign_in("13900139000")
    assert error_codes(await api.gql(CANCEL, {"id": rid}, other.access_token)) == ["NOT_FOUND"]
    cancelled = await api.data(CANCEL, {"id": rid}, member.access_token)
    assert cancelled["cancelRedemption"]["redemption"]["status"] == "CANCELLED"
    assert (await api.data(POINTS, token=member.access_token))["me"]["points"]["available"] == 1000
    again = await api.data(REDEEM, {"r": reward.id, "q": 1, "k": "c-2"}, member.access_token)
    assert again["redeemReward"]["redemption"]["reward"]["stock"] == 0, "the stock came back and was taken again"
    await assert_books_balance(api.container.engine)


async def test_refusals_change_nothing(setup) -> None:
    api, member, staff = setup
    pricey = await add_reward(api.container, "Handbag", price=5000, stock=5)
    gone = await add_reward(api.container, "Sold out", price=10, stock=0)
    gold_only = await add_reward(api.container, "Lounge", price=10, stock=None, min_tier_rank=1)
    limited = await add_reward(api.container, "One per month", price=10, stock=None, per_member_limit=1,
                               limit_period=LimitPeriod.MONTH)
    inactive = await add_reward(api.container, "Retired", price=10, active=False)
    await api.data(REDEEM, {"r": limited.id, "q": 1, "k": "lim-1"}, member.access_token)
    cases = [
        ({"r": pricey.id, "q": 1, "k": "a"}, "INSUFFICIENT_POINTS"),
        ({"r": gone.id, "q": 1, "k": "b"}, "OUT_OF_STOCK"),
        ({"r": gold_only.id, "q": 1, "k": "c"}, "NOT_ELIGIBLE"),
        ({"r": limited.id, "q": 1, "k": "d"}, "LIMIT_EXCEEDED"),
        ({"r": inactive.id, "q": 1, "k": "e"}, "NOT_FOUND"),
        ({"r": 999999, "q": 1, "k": "f"}, "NOT_FOUND"),
        ({"r": pricey.id, "q": 0, "k": "g"}, "BAD_USER_INPUT"),
        ({"r": pricey.id, "q": 21, "k": "h"}, "BAD_USER_INPUT"),
    ]
    for variables, code in cases:
        assert error_codes(await api.gql(REDEEM, variables, member.access_token)) == [code], variables
    assert (await api.data(POINTS, token=member.access_token))["me"]["points"]["available"] == 990
    stock = await api.data("{ rewards(first: 50) { edges { node { name stock } } } }", token=member.access_token)
    assert {e["node"]["name"]: e["node"]["stock"] for e in stock["rewards"]["edges"]}["Handbag"] == 5
    assert error_codes(await api.gql(REDEEM, {"r": pricey.id, "q": 1, "k": "s"}, staff)) == ["FORBIDDEN"]


async def test_expired_vouchers_cannot_be_used(setup, monkeypatch) -> None:
    api, member, staff = setup
    reward = await add_reward(api.container, price=10, voucher_valid_days=7)
    code = (await api.data(REDEEM, {"r": reward.id, "q": 1, "k": "x"}, member.access_token))[
        "redeemReward"]["redemption"]["voucherCode"]
    later = api.container.now() + timedelta(days=8)
    monkeypatch.setattr(api.container, "now", lambda: later)
    body = await api.gql(USE, {"c": code}, staff)
    assert error_codes(body) == ["VOUCHER_NOT_USABLE"] and body["errors"][0]["extensions"]["status"] == "EXPIRED"
    mine = await api.data("{ me { redemptions { nodes { status } } } }", token=member.access_token)
    assert mine["me"]["redemptions"]["nodes"] == [{"status": "EXPIRED"}]


async def test_catalog_browsing_filters_sorts_and_pages(setup) -> None:
    api, member, _staff = setup
    for i, (price, category) in enumerate([(50, "dining"), (500, "dining"), (1500, "beauty"), (900, "dining"),
                                           (20, "charity")]):
        await add_reward(api.container, f"R{i}", price=price, category=category)
    await add_reward(api.container, "Diamond lounge", price=10, min_tier_rank=3, category="lounge")
    query = """query($after: String, $cat: String, $aff: Boolean!, $tier: String, $sort: RewardSort!) {
      rewards(first: 2, after: $after, category: $cat, affordableNow: $aff, tier: $tier, sort: $sort) {
        edges { node { name pointsPrice } } pageInfo { hasNextPage endCursor } } }"""
    names: list[str] = []
    after = None
    while True:
        page = (await api.data(query, {"after": after, "aff": False, "tier": "BASE", "sort": "PRICE_ASC"},
                               member.access_token))["rewards"]
        names += [e["node"]["name"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert names == ["R4", "R0", "R1", "R3", "R2"], "base tier does not see the Diamond lounge"
    affordable = await api.data(query, {"aff": True, "sort": "PRICE_DESC"}, member.access_token)
    assert [e["node"]["pointsPrice"] for e in affordable["rewards"]["edges"]] == [900, 500]
    dining = await api.data(query, {"cat": "dining", "aff": False, "sort": "NEWEST"}, member.access_token)
    assert [e["node"]["name"] for e in dining["rewards"]["edges"]] == ["R3", "R1"]
    bad = await api.gql(query, {"aff": False, "tier": "NOPE", "sort": "NEWEST"}, member.access_token)
    assert error_codes(bad) == ["BAD_USER_INPUT"]


async def test_benefits_show_what_the_tier_gives_and_the_next_adds(setup) -> None:
    api, member, _ = setup
    data = await api.data("{ me { benefits { current nextTierAdds } } }", token=member.access_token)
    assert data["me"]["benefits"] == {"current": [], "nextTierAdds": ["Free parking 2h"]}


async def test_reward_configuration_is_staff_only_and_validated(setup) -> None:
    api, member, staff = setup
    save = """mutation($i: SaveRewardInput!) { saveReward(input: $i) { reward { id name stock } } }"""
    good = {"name": "Tote bag", "category": "goods", "kind": "GOODS", "pointsPrice": 800, "stock": 50}
    assert error_codes(await api.gql(save, {"i": good}, member.access_token)) == ["FORBIDDEN"]
    bad = {**good, "pointsPrice": 0, "imageUrls": ["ftp://x"], "stock": -1}
    body = await api.gql(save, {"i": bad}, staff)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert {e["field"] for e in body["errors"][0]["extensions"]["fieldErrors"]} == {"pointsPrice", "imageUrls", "stock"}
    assert (await api.data(save, {"i": good}, staff))["saveReward"]["reward"]["stock"] == 50


@pytest.mark.postgres
async def test_a_hundred_members_racing_for_the_last_five_never_oversell(pg_api: ApiClient) -> None:
    api = pg_api
    await configure_program(api.container)
    staff = await staff_token(api)
    reward = await add_reward(api.container, "Limited sneaker", price=100, stock=5)
    members = []
    for i in range(100):
        s = await api.sign_in(f"1380000{i:04d}")
        await api.data(ADJUST, {"m": s.member_id, "a": 150, "k": f"seed-{i}"}, staff)
        members.append(s)
    bodies = await asyncio.gather(*(api.gql(REDEEM, {"r": reward.id, "q": 1, "k": "race"}, m.access_token)
                                    for m in members))
    winners = [b for b in bodies if "errors" not in b]
    assert len(winners) == 5
    assert {c for b in bodies if "errors" in b for c in error_codes(b)} == {"OUT_OF_STOCK"}
    balances = await assert_books_balance(api.container.engine)
    assert sorted(balances.values()).count(50) == 5 and sorted(balances.values()).count(150) == 95
    stock = await api.data("{ rewards(first: 5) { edges { node { stock } } } }", token=members[0].access_token)
    assert stock["rewards"]["edges"][0]["node"]["stock"] == 0


REWARD = "query($id: ID!) { reward(id: $id) { id name pointsPrice eligibleForMe remainingForMe notEligibleReason } }"
REDEMPTION = "query($id: ID!) { redemption(id: $id) { id voucherCode status reward { name } } }"


async def test_reward_detail_says_whether_and_how_often_the_member_can_still_redeem(setup) -> None:
    api, member, _staff = setup
    reward = await add_reward(api.container, price=300, stock=5, per_member_limit=2)
    gold_only = await add_reward(api.container, name="Lounge", price=10, min_tier_rank=1)
    pricey = await add_reward(api.container, name="Bike", price=5_000)

    def view(data: dict) -> tuple:
        r = data["reward"]
        return r["eligibleForMe"], r["remainingForMe"], r["notEligibleReason"]

    token = member.access_token
    assert view(await api.data(REWARD, {"id": reward.id}, token)) == (True, 2, None)
    await api.data(REDEEM, {"r": reward.id, "q": 2, "k": "two"}, token)
    assert view(await api.data(REWARD, {"id": reward.id}, token)) == (False, 0, "LIMIT_REACHED")
    assert view(await api.data(REWARD, {"id": gold_only.id}, token))[2] == "TIER_TOO_LOW"
    assert view(await api.data(REWARD, {"id": pricey.id}, token))[2] == "NOT_ENOUGH_POINTS"
    assert error_codes(await api.gql(REWARD, {"id": "999999"}, token)) == ["NOT_FOUND"]


async def test_a_member_sees_their_own_redemption_and_not_anothers(setup) -> None:
    api, member, _staff = setup
    reward = await add_reward(api.container, price=100)
    made = (await api.data(REDEEM, {"r": reward.id, "q": 1, "k": "mine"}, member.access_token))["redeemReward"]
    rid = made["redemption"]["id"]
    mine = (await api.data(REDEMPTION, {"id": rid}, member.access_token))["redemption"]
    assert mine["voucherCode"] == made["redemption"]["voucherCode"] and mine["reward"]["name"] == reward.name
    other = await api.sign_in("13900139000")
    assert error_codes(await api.gql(REDEMPTION, {"id": rid}, other.access_token)) == ["NOT_FOUND"]


VOUCHERS = """query($after: String) { me { redemptions(first: 2, after: $after) {
  totalCount pageInfo { hasNextPage endCursor } edges { node { pointsSpent } } } } }"""


async def test_the_voucher_list_pages_by_cursor(setup) -> None:
    api, member, _staff = setup
    reward = await add_reward(api.container, price=10)
    for i in range(3):
        await api.data(REDEEM, {"r": reward.id, "q": i + 1, "k": f"v{i}"}, member.access_token)
    first = (await api.data(VOUCHERS, token=member.access_token))["me"]["redemptions"]
    assert first["totalCount"] == 3 and first["pageInfo"]["hasNextPage"] is True
    assert [e["node"]["pointsSpent"] for e in first["edges"]] == [30, 20]
    rest = (await api.data(VOUCHERS, {"after": first["pageInfo"]["endCursor"]}, member.access_token))["me"]
    assert [e["node"]["pointsSpent"] for e in rest["redemptions"]["edges"]] == [10]
    assert rest["redemptions"]["pageInfo"]["hasNextPage"] is False
