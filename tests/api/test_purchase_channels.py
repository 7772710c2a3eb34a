"""Purchases carry a channel and item quantities; members and staff read them back."""

from __future__ import annotations

import pytest

from tests.support.client import ApiClient, error_codes
from tests.support.program import configure_program
from tests.support.roles import staff_token

PURCHASE = """mutation($i: RecordPurchaseInput!) {
  recordPurchase(input: $i) { pointsEarned purchase { id channel items { category amountCents quantity sku } } }
}"""
MINE = "{ me { purchases(first: 10) { edges { node { orderId channel items { category quantity } } } } } }"


def order(order_id: str, **extra: object) -> dict:
    return {"member": {"phone": "13800138000"}, "orderId": order_id, "storeId": "S1", "amountCents": 30_000,
            "items": [{"category": "beauty", "amountCents": 20_000, "quantity": 2, "sku": "LIP-01"},
                      {"category": "apparel", "amountCents": 10_000}], **extra}


@pytest.fixture
async def setup(api: ApiClient):
    await configure_program(api.container)
    member = await api.sign_in("13800138000")
    return api, member, await staff_token(api)


async def test_a_purchase_keeps_its_channel_and_quantities(setup) -> None:
    api, member, staff = setup
    data = (await api.data(PURCHASE, {"i": order("C-1", channel="MINI_PROGRAM")}, staff))["recordPurchase"]
    assert data["purchase"]["channel"] == "MINI_PROGRAM"
    assert [i["quantity"] for i in data["purchase"]["items"]] == [2, 1]
    # Points still follow the line amounts, not the units.
    assert data["pointsEarned"] > 0
    await api.data(PURCHASE, {"i": order("C-2")}, staff)
    mine = [e["node"] for e in (await api.data(MINE, token=member.access_token))["me"]["purchases"]["edges"]]
    assert {p["orderId"]: p["channel"] for p in mine} == {"C-1": "MINI_PROGRAM", "C-2": "POS"}
    assert next(p for p in mine if p["orderId"] == "C-1")["items"][0] == {"category": "beauty", "quantity": 2}


async def test_a_replay_needs_the_same_channel(setup) -> None:
    api, _member, staff = setup
    first = await api.data(PURCHASE, {"i": order("C-3", channel="APP")}, staff)
    again = await api.data(PURCHASE, {"i": order("C-3", channel="APP")}, staff)
    assert again["recordPurchase"]["purchase"]["id"] == first["recordPurchase"]["purchase"]["id"]
    assert error_codes(await api.gql(PURCHASE, {"i": order("C-3", channel="ECOMMERCE")}, staff)) == [
        "IDEMPOTENCY_CONFLICT"]


async def test_bad_quantities_and_channels_are_refused(setup) -> None:
    api, member, staff = setup
    zero = order("C-4")
    zero["items"][1]["quantity"] = 0
    answer = await api.gql(PURCHASE, {"i": zero}, staff)
    assert error_codes(answer) == ["BAD_USER_INPUT"]
    assert answer["errors"][0]["extensions"]["fieldErrors"][0]["field"] == "items"
    assert error_codes(await api.gql(PURCHASE, {"i": order("C-5", channel="FAX")}, staff)) == ["BAD_USER_INPUT"]
    mine = await api.data(MINE, token=member.access_token)
    assert mine["me"]["purchases"]["edges"] == []
