"""Purchases earn points that stay pending through the return window; refunds take them back."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from domain.store.tables import points_entries
from tests.support.client import ApiClient, error_codes
from tests.support.program import configure_program
from tests.support.roles import staff_token

PURCHASE = """mutation($i: RecordPurchaseInput!) {
  recordPurchase(input: $i) {
    pointsEarned tierChanged
    purchase { id orderId amountCents pointsAwarded refundedCents pointsReversed shortfallPoints }
  }
}"""
REFUND = """mutation($i: RecordRefundInput!) {
  recordRefund(input: $i) {
    refund { refundId amountCents pointsReversed shortfallPoints }
    purchase { refundedCents pointsReversed shortfallPoints }
  }
}"""
POINTS = "{ me { points { available pending total expiringSoon(days: 365) } } }"
GIFT = """mutation($i: GiftPointsInput!) { giftPoints(input: $i) { entry { amount kind } balance { available } } }"""


def order(order_id: str, phone: str, yuan: int, category: str = "apparel", store: str = "S1") -> dict:
    cents = yuan * 100
    return {"member": {"phone": phone}, "orderId": order_id, "storeId": store, "amountCents": cents,
            "items": [{"category": category, "amountCents": cents}]}


@pytest.fixture
async def setup(api: ApiClient):
    await configure_program(api.container)
    member = await api.sign_in("13800138000")
    staff = await staff_token(api)
    return api, member, staff


def later(api: ApiClient, monkeypatch, days: float) -> None:
    moment = api.container.now() + timedelta(days=days)
    monkeypatch.setattr(api.container, "now", lambda: moment)


async def test_purchase_points_are_pending_then_available(setup, monkeypatch) -> None:
    api, member, staff = setup
    data = await api.data(PURCHASE, {"i": order("A-1", "13800138000", 388)}, staff)
    assert data["recordPurchase"]["pointsEarned"] == 388
    points = (await api.data(POINTS, token=member.access_token))["me"]["points"]
    assert points == {"available": 0, "pending": 388, "total": 388, "expiringSoon": 0}

    later(api, monkeypatch, 7.01)
    points = (await api.data(POINTS, token=member.access_token))["me"]["points"]
    assert points == {"available": 388, "pending": 0, "total": 388, "expiringSoon": 388}
    # expiringSoon is its own figure, not a copy of available: 30 days ahead nothing expires yet
    # (the points last 12 months), and the same points are counted once they are inside the window.
    soon = "{ me { points { available expiringSoon(days: 30) } } }"
    assert (await api.data(soon, token=member.access_token))["me"]["points"] == {
        "available": 388, "expiringSoon": 0}
    later(api, monkeypatch, 340)
    assert (await api.data(soon, token=member.access_token))["me"]["points"] == {
        "available": 388, "expiringSoon": 388}


async def test_a_retried_purchase_earns_once_and_a_changed_one_is_refused(setup) -> None:
    api, member, staff = setup
    first = await api.data(PURCHASE, {"i": order("A-1", "13800138000", 100)}, staff)
    again = await api.data(PURCHASE, {"i": order("A-1", "13800138000", 100)}, staff)
    assert again["recordPurchase"]["purchase"]["id"] == first["recordPurchase"]["purchase"]["id"]
    changed = await api.gql(PURCHASE, {"i": order("A-1", "13800138000", 999)}, staff)
    assert error_codes(changed) == ["IDEMPOTENCY_CONFLICT"]
    # The same order id from another store is another order.
    await api.data(PURCHASE, {"i": order("A-1", "13800138000", 50, store="S2")}, staff)
    assert (await api.data(POINTS, token=member.access_token))["me"]["points"]["total"] == 150


async def test_bad_purchases_change_nothing(setup) -> None:
    api, member, staff = setup
    cases = [
        {**order("B-1", "13800138000", 10), "amountCents": 0},
        {**order("B-2", "13800138000", 10), "amountCents": 999},  # items do not add up
        {**order("B-3", "13800138000", 10), "items": []},
        {**order("B-4", "13800138000", 10), "orderId": "has space"},
        {**order("B-5", "13800138000", 10), "member": {"phone": "13800138000", "memberCode": "X"}},
    ]
    for bad in cases:
        assert error_codes(await api.gql(PURCHASE, {"i": bad}, staff)) == ["BAD_USER_INPUT"], bad
    unknown = await api.gql(PURCHASE, {"i": order("B-6", "13999999999", 10)}, staff)
    assert error_codes(unknown) == ["NOT_FOUND"]
    assert error_codes(await api.gql(PURCHASE, {"i": order("B-7", "13800138000", 10)}, member.access_token)) == [
        "FORBIDDEN"]
    assert (await api.data(POINTS, token=member.access_token))["me"]["points"]["total"] == 0


async def test_partial_and_full_refunds_reverse_proportionally(setup) -> None:
    api, member, staff = setup
    await api.data(PURCHASE, {"i": order("R-1", "13800138000", 333)}, staff)
    one = await api.data(REFUND, {"i": {"orderId": "R-1", "storeId": "S1", "refundId": "RF-1",
                                        "amountCents": 10_000}}, staff)
    assert one["recordRefund"]["refund"]["pointsReversed"] == 100
    retry = await api.data(REFUND, {"i": {"orderId": "R-1", "storeId": "S1", "refundId": "RF-1",
                                          "amountCents": 10_000}}, staff)
    assert retry["recordRefund"]["purchase"]["refundedCents"] == 10_000, "a retried refund reverses once"
    too_much = await api.gql(REFUND, {"i": {"orderId": "R-1", "storeId": "S1", "refundId": "RF-2",
                                            "amountCents": 30_000}}, staff)
    assert error_codes(too_much) == ["BAD_USER_INPUT"]
    rest = await api.data(REFUND, {"i": {"orderId": "R-1", "storeId": "S1", "refundId": "RF-2",
                                         "amountCents": 23_300}}, staff)
    assert rest["recordRefund"]["purchase"]["pointsReversed"] == 333
    assert (await api.data(POINTS, token=member.access_token))["me"]["points"] == {
        "available": 0, "pending": 0, "total": 0, "expiringSoon": 0}
    unknown = await api.gql(REFUND, {"i": {"orderId": "NOPE", "storeId": "S1", "refundId": "X",
                                           "amountCents": 1}}, staff)
    assert error_codes(unknown) == ["NOT_FOUND"]


async def test_refund_after_the_points_were_spent_claws_back_what_is_left(setup, monkeypatch) -> None:
    api, member, staff = setup
    friend = await api.sign_in("13900139000")
    await api.data(PURCHASE, {"i": order("S-1", "13800138000", 500)}, staff)
    later(api, monkeypatch, 8)
    await api.data(GIFT, {"i": {"recipient": {"phone": "13900139000"}, "amount": 400, "idempotencyKey": "g1"}},
                   member.access_token)
    data = await api.data(REFUND, {"i": {"orderId": "S-1", "storeId": "S1", "refundId": "RF",
                                         "amountCents": 50_000}}, staff)
    assert data["recordRefund"]["refund"]["pointsReversed"] == 500
    assert data["recordRefund"]["refund"]["shortfallPoints"] == 400
    assert (await api.data(POINTS, token=member.access_token))["me"]["points"]["total"] == 0
    assert (await api.data(POINTS, token=friend.access_token))["me"]["points"]["total"] == 400


async def test_rules_multiply_base_category_tier_and_campaigns(setup) -> None:
    api, member, staff = setup
    save = """mutation($i: SaveEarningRuleInput!) { saveEarningRule(input: $i) { rule { id } } }"""
    await api.data(save, {"i": {"kind": "CATEGORY", "name": "Beauty x2", "category": "beauty",
                                "multiplierPct": 200, "cap": 500}}, staff)
    await api.data(save, {"i": {"kind": "CAMPAIGN", "name": "Double points every day", "multiplierPct": 200,
                                "cap": 100}}, staff)
    purchase = {"member": {"phone": "13800138000"}, "orderId": "M-1", "storeId": "S1", "amountCents": 50_000,
                "items": [{"category": "beauty", "amountCents": 30_000}, {"category": "food", "amountCents": 20_000}]}
    data = await api.data(PURCHASE, {"i": purchase}, staff)
    # beauty 300 yuan * 2 = 600, capped at 500; food 200; base 700; campaign doubles but adds at most 100.
    assert data["recordPurchase"]["pointsEarned"] == 800
    assert error_codes(await api.gql(save, {"i": {"kind": "CAMPAIGN", "name": "x", "multiplierPct": 5000}},
                                     staff)) == ["BAD_USER_INPUT"]
    assert error_codes(await api.gql(save, {"i": {"kind": "CAMPAIGN", "name": "x"}}, member.access_token)) == [
        "FORBIDDEN"]


async def test_two_hundred_concurrent_retries_of_one_order_earn_once(setup) -> None:
    api, member, staff = setup
    bodies = await asyncio.gather(*(api.gql(PURCHASE, {"i": order("C-1", "13800138000", 100)}, staff)
                                    for _ in range(200)))
    assert all("errors" not in b for b in bodies), [b["errors"] for b in bodies if "errors" in b][:3]
    assert len({b["data"]["recordPurchase"]["purchase"]["id"] for b in bodies}) == 1
    from sqlalchemy import func, select

    async with api.container.engine.connect() as conn:
        count = await conn.scalar(select(func.count()).select_from(points_entries))
    assert count == 1
    assert (await api.data(POINTS, token=member.access_token))["me"]["points"]["total"] == 100


MY_PURCHASES = """query($after: String) { me {
  purchases(first: 1, after: $after) { totalCount pageInfo { hasNextPage endCursor }
    edges { node { orderId amountCents pointsAwarded items { category amountCents } } } }
  points { expirySchedule(first: 5) { expiresAt points } }
  pointsHistory(first: 5) { edges { node { amount pending availableAt } } } } }"""


async def test_members_see_their_own_purchases_pending_points_and_when_points_expire(setup) -> None:
    api, member, pos = setup
    await api.data(PURCHASE, {"i": order("MP-1", "13800138000", 100, "beauty")}, pos)
    await api.data(PURCHASE, {"i": order("MP-2", "13800138000", 250)}, pos)
    await api.sign_in("13900139000")
    await api.data(PURCHASE, {"i": order("OTHER", "13900139000", 999)}, pos)
    me = (await api.data(MY_PURCHASES, token=member.access_token))["me"]
    page = me["purchases"]
    assert page["totalCount"] == 2 and page["pageInfo"]["hasNextPage"] is True
    assert page["edges"][0]["node"]["orderId"] == "MP-2"
    older = (await api.data(MY_PURCHASES, {"after": page["pageInfo"]["endCursor"]}, member.access_token))["me"]
    assert [e["node"]["orderId"] for e in older["purchases"]["edges"]] == ["MP-1"]
    assert older["purchases"]["edges"][0]["node"]["items"] == [{"category": "beauty", "amountCents": 10_000}]
    # Purchase points stay pending through the return window, and say until when.
    entries = [e["node"] for e in me["pointsHistory"]["edges"]]
    assert all(e["pending"] is True and e["availableAt"] for e in entries)
    schedule = me["points"]["expirySchedule"]
    assert sum(s["points"] for s in schedule) == sum(e["amount"] for e in entries) > 0
    assert [s["expiresAt"] for s in schedule] == sorted(s["expiresAt"] for s in schedule)
