"""Webhooks for every domain event: the unit of work writes the outbox rows from the events a use
case raised; operator endpoints get whole payloads, a partner's endpoints only its linked members'
events with the fields their consent allows. Runs on PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from domain.webhooks.catalogue import EVENT_TYPES
from tests.support.catalog import add_reward
from tests.support.client import ApiClient, error_codes
from tests.support.program import configure_program
from tests.support.roles import staff_token

pytestmark = pytest.mark.postgres

PARTNER = """mutation($n: String!) { createPartner(input: {name: $n, partnerUnits: 1, programPoints: 1,
  dailyEarnCap: 1000, dailyBurnCap: 1000}) { partner { id } } }"""
HOOK = """mutation($u: String!, $t: [String!]!, $p: ID) { addWebhook(url: $u, eventTypes: $t, partnerId: $p) {
  secret } }"""
LINK = "mutation($p: ID!, $s: Boolean!) { linkPartner(partnerId: $p, sharePhone: $s) { memberRef } }"
PURCHASE = """mutation($p: String!, $o: String!) { recordPurchase(input: {member: {phone: $p}, orderId: $o,
  storeId: "SH-01", amountCents: 10000, items: [{category: "x", amountCents: 10000}]}) { pointsEarned } }"""
RENAME = "mutation($n: String!) { updateProfile(input: {displayName: $n}) { member { id } } }"
OPERATOR_URL = "https://crm.example.com/hook"
PARTNER_A_URL = "https://a.example.com/hook"
PARTNER_B_URL = "https://b.example.com/hook"


async def sent(api: ApiClient) -> dict[str, list[dict]]:
    """url -> the bodies due for it, in order."""
    async with api.container.uow() as uow:
        due = await uow.webhooks.due(api.container.now() + timedelta(seconds=1), 500)
    bodies: dict[str, list[dict]] = {}
    for item in due:
        bodies.setdefault(item.url, []).append(json.loads(item.body))
    return bodies


async def test_partners_get_only_their_linked_members_events_and_only_consented_fields(pg_api: ApiClient) -> None:
    api = pg_api
    await configure_program(api.container)
    staff = await staff_token(api)
    a = (await api.data(PARTNER, {"n": "咖啡A"}, staff))["createPartner"]["partner"]["id"]
    b = (await api.data(PARTNER, {"n": "书店B"}, staff))["createPartner"]["partner"]["id"]
    sharing = await api.sign_in("13800138001")
    private = await api.sign_in("13800138002")
    await api.sign_in("13800138003")  # linked to nobody
    ref_sharing = (await api.data(LINK, {"p": a, "s": True}, sharing.access_token))["linkPartner"]["memberRef"]
    ref_private = (await api.data(LINK, {"p": a, "s": False}, private.access_token))["linkPartner"]["memberRef"]
    wanted = ["member.updated", "purchase.recorded", "points.earned"]
    await api.data(HOOK, {"u": OPERATOR_URL, "t": wanted}, staff)
    await api.data(HOOK, {"u": PARTNER_A_URL, "t": wanted, "p": a}, staff)
    await api.data(HOOK, {"u": PARTNER_B_URL, "t": wanted, "p": b}, staff)

    for phone, order in (("13800138001", "O1"), ("13800138002", "O2"), ("13800138003", "O3")):
        await api.data(PURCHASE, {"p": phone, "o": order}, staff)
    await api.data(RENAME, {"n": "小林"}, sharing.access_token)
    await api.data(RENAME, {"n": "小周"}, private.access_token)

    bodies = await sent(api)
    operator = bodies[OPERATOR_URL]
    assert [e["type"] for e in operator] == ["points.earned", "purchase.recorded"] * 3 + ["member.updated"] * 2
    assert all(e["version"] == 1 and isinstance(e["id"], int) for e in operator)
    assert operator[0]["data"]["memberId"] == int(sharing.member_id)
    assert operator[-2]["data"]["phone"] == "+8613800138001", "operator endpoints get the whole payload"

    partner_a = bodies[PARTNER_A_URL]
    assert [(e["type"], e["data"]["memberRef"]) for e in partner_a] == [
        ("points.earned", ref_sharing), ("purchase.recorded", ref_sharing),
        ("points.earned", ref_private), ("purchase.recorded", ref_private),
        ("member.updated", ref_sharing), ("member.updated", ref_private)]
    for event in partner_a:
        assert "memberId" not in event["data"] and "memberCode" not in event["data"]
    purchase = partner_a[1]["data"]
    assert set(purchase) == {"memberRef", "purchaseId", "amountCents", "points"}, "no store or order of others"
    shared, withheld = partner_a[-2]["data"], partner_a[-1]["data"]
    assert shared["phone"] == "+8613800138001" and shared["displayName"] == "小林"
    assert "phone" not in withheld and withheld["displayName"] == "小周"
    assert {e["id"] for e in partner_a} <= {e["id"] for e in operator}, "one event id per event, for every endpoint"
    assert PARTNER_B_URL not in bodies, "partner B has no linked member"


async def test_every_catalogued_type_can_be_subscribed_and_the_lifecycle_is_sent(pg_api: ApiClient) -> None:
    api = pg_api
    await configure_program(api.container)
    staff = await staff_token(api)
    await api.data(HOOK, {"u": OPERATOR_URL, "t": list(EVENT_TYPES)}, staff)
    bad = await api.gql(HOOK, {"u": OPERATOR_URL, "t": ["points.stolen"]}, staff)
    assert error_codes(bad) == ["BAD_USER_INPUT"]
    member = await api.sign_in("13800138000")
    await api.data(PURCHASE, {"p": "13800138000", "o": "O1"}, staff)
    await api.data("""mutation { recordRefund(input: {storeId: "SH-01", orderId: "O1", refundId: "R1",
      amountCents: 10000}) { refund { refundId } } }""", token=staff)
    await api.data("""mutation($m: ID!) { adjustPoints(input: {memberId: $m, amount: 300, reason: "补偿",
      idempotencyKey: "k"}) { entry { id } } }""", {"m": member.member_id}, staff)
    reward = await add_reward(api.container)
    voucher = await api.data("""mutation($r: ID!) { redeemReward(input: {rewardId: $r, idempotencyKey: "r"}) {
      redemption { id voucherCode } } }""", {"r": str(reward.id)}, member.access_token)
    await api.data('mutation($c: String!) { useVoucher(code: $c) { redemption { status } } }',
                   {"c": voucher["redeemReward"]["redemption"]["voucherCode"]}, staff)
    await api.data("""mutation($m: ID!) { eraseMember(input: {memberId: $m, confirmation: "ERASE MY DATA",
      reason: "letter"}) { memberId } }""", {"m": member.member_id}, staff)
    types = [e["type"] for e in (await sent(api))[OPERATOR_URL]]
    for expected in ("member.created", "purchase.recorded", "points.earned", "purchase.refunded",
                     "points.adjusted", "redemption.created", "points.spent", "redemption.used", "member.erased"):
        assert expected in types, f"{expected} missing from {types}"
    assert types.index("member.created") < types.index("purchase.recorded") < types.index("purchase.refunded")


async def test_a_refused_change_leaves_no_outbox_row(pg_api: ApiClient) -> None:
    api = pg_api
    await configure_program(api.container)
    staff = await staff_token(api)
    await api.data(HOOK, {"u": OPERATOR_URL, "t": ["purchase.refunded", "points.adjusted"]}, staff)
    await api.sign_in("13800138000")
    await api.data(PURCHASE, {"p": "13800138000", "o": "O1"}, staff)
    too_much = await api.gql("""mutation { recordRefund(input: {storeId: "SH-01", orderId: "O1", refundId: "R1",
      amountCents: 10001}) { refund { refundId } } }""", token=staff)
    assert error_codes(too_much) == ["BAD_USER_INPUT"]
    assert OPERATOR_URL not in await sent(api)


async def test_only_hq_points_an_operator_endpoint_anywhere(api: ApiClient) -> None:
    """An operator endpoint receives every member's whole payload (phones, birthdays): a partner
    manager may set up partners' endpoints, not one of those (it failed before: any staff role with
    addWebhook could)."""
    from domain.auth.viewer import StaffRole

    manager = await staff_token(api, "pm-li", role=StaffRole.PARTNER_MANAGER)
    refused = await api.gql(HOOK, {"u": "https://collector.example/hook", "t": ["member.created"], "p": None}, manager)
    assert error_codes(refused) == ["FORBIDDEN"]
    admin = await staff_token(api)
    made = await api.gql(HOOK, {"u": "https://crm.example/hook", "t": ["member.created"], "p": None}, admin)
    assert "errors" not in made
