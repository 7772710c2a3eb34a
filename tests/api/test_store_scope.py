"""Store scope: a store clerk records, checks and redeems only at the stores assigned to them, and
sees only those stores' purchases; HQ staff act for every store. Runs on PostgreSQL."""

from __future__ import annotations

import pytest

from domain.auth.viewer import StaffRole
from tests.support.catalog import add_reward
from tests.support.client import ApiClient, error_codes
from tests.support.program import configure_program
from tests.support.roles import staff_token

pytestmark = pytest.mark.postgres

PURCHASE = """mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned } }"""
REFUND = """mutation($i: RecordRefundInput!) { recordRefund(input: $i) { refund { refundId } } }"""
PURCHASES = """query($p: String!) { member(phone: $p) { purchases(first: 10) { totalCount
  edges { node { orderId storeId } } } } }"""
TEMPLATE = """mutation($i: SaveCouponTemplateInput!) { saveCouponTemplate(input: $i) { template { id } } }"""
ISSUE = """mutation($i: IssueCouponsInput!) { issueCoupons(input: $i) { issued } }"""
COUPONS = "query { me { coupons { nodes { code } } } }"
VALIDATE = """query($i: CouponOrderInput!) { validateCoupon(input: $i) { applies } }"""
REDEEM = """mutation($i: CouponOrderInput!) { redeemCoupon(input: $i) { discountCents } }"""
REDEEM_REWARD = """mutation($r: ID!) { redeemReward(input: {rewardId: $r, idempotencyKey: "k"}) {
  redemption { voucherCode } } }"""
USE_VOUCHER = """mutation($c: String!, $s: String) { useVoucher(code: $c, storeId: $s) { redemption { status } } }"""
PHONE = "13800138000"


def purchase(order: str, store: str, cents: int = 10_000) -> dict:
    return {"i": {"member": {"phone": PHONE}, "orderId": order, "storeId": store, "amountCents": cents,
                  "items": [{"category": "fashion", "amountCents": cents}]}}


@pytest.fixture
async def shop(pg_api: ApiClient):
    await configure_program(pg_api.container)
    hq = await staff_token(pg_api)
    clerk = await staff_token(pg_api, "clerk-li", role=StaffRole.STORE_CLERK, stores=["SH-01", "SH-02"])
    member = await pg_api.sign_in(PHONE)
    return pg_api, hq, clerk, member


async def test_a_clerk_records_purchases_and_refunds_only_at_their_stores(shop) -> None:
    api, hq, clerk, _member = shop
    assert (await api.data(PURCHASE, purchase("A-1", "SH-01"), clerk))["recordPurchase"]["pointsEarned"] > 0
    elsewhere = await api.gql(PURCHASE, purchase("B-1", "BJ-01"), clerk)
    assert error_codes(elsewhere) == ["FORBIDDEN"] and elsewhere["data"] is None
    await api.data(PURCHASE, purchase("B-1", "BJ-01"), hq)  # HQ records anywhere
    refund = {"i": {"storeId": "BJ-01", "orderId": "B-1", "refundId": "R-1", "amountCents": 1_000}}
    assert error_codes(await api.gql(REFUND, refund, clerk)) == ["FORBIDDEN"]

    seen_by_clerk = (await api.data(PURCHASES, {"p": PHONE}, clerk))["member"]["purchases"]
    assert seen_by_clerk["totalCount"] == 1
    assert [e["node"]["storeId"] for e in seen_by_clerk["edges"]] == ["SH-01"]
    seen_by_hq = (await api.data(PURCHASES, {"p": PHONE}, hq))["member"]["purchases"]
    assert sorted(e["node"]["storeId"] for e in seen_by_hq["edges"]) == ["BJ-01", "SH-01"]


async def test_a_clerk_checks_and_redeems_coupons_only_at_their_stores(shop) -> None:
    api, hq, clerk, member = shop
    tid = (await api.data(TEMPLATE, {"i": {"name": "满300减50", "kind": "SPEND_AND_SAVE", "valueCents": 5_000,
                                            "minSpendCents": 30_000, "validDays": 30}}, hq))["saveCouponTemplate"]
    await api.data(ISSUE, {"i": {"templateId": tid["template"]["id"], "idempotencyKey": "all",
                                 "tierCodes": ["BASE"]}}, hq)
    code = (await api.data(COUPONS, token=member.access_token))["me"]["coupons"]["nodes"][0]["code"]
    order = {"code": code, "items": [{"category": "fashion", "amountCents": 40_000}]}
    assert error_codes(await api.gql(VALIDATE, {"i": {**order, "storeId": "BJ-01"}}, clerk)) == ["FORBIDDEN"]
    assert error_codes(await api.gql(REDEEM, {"i": {**order, "storeId": "BJ-01", "orderId": "O-1"}},
                                     clerk)) == ["FORBIDDEN"]
    assert (await api.data(VALIDATE, {"i": {**order, "storeId": "SH-02"}}, clerk))["validateCoupon"]["applies"]
    used = await api.data(REDEEM, {"i": {**order, "storeId": "SH-02", "orderId": "O-1"}}, clerk)
    assert used["redeemCoupon"]["discountCents"] == 5_000


async def test_a_clerk_accepts_vouchers_naming_one_of_their_stores(shop) -> None:
    api, hq, clerk, member = shop
    await api.data("""mutation($m: ID!) { adjustPoints(input: {memberId: $m, amount: 500, reason: "seed",
      idempotencyKey: "seed"}) { entry { id } } }""", {"m": member.member_id}, hq)
    reward = await add_reward(api.container)
    voucher = (await api.data(REDEEM_REWARD, {"r": str(reward.id)}, member.access_token))
    code = voucher["redeemReward"]["redemption"]["voucherCode"]
    unnamed = await api.gql(USE_VOUCHER, {"c": code}, clerk)
    assert error_codes(unnamed) == ["BAD_USER_INPUT"]
    assert error_codes(await api.gql(USE_VOUCHER, {"c": code, "s": "BJ-01"}, clerk)) == ["FORBIDDEN"]
    used = await api.data(USE_VOUCHER, {"c": code, "s": "SH-01"}, clerk)
    assert used["useVoucher"]["redemption"]["status"] == "USED"


async def test_a_clerk_sees_only_the_vouchers_used_at_their_stores(shop) -> None:
    api, hq, clerk, member = shop
    await api.data("""mutation($m: ID!) { adjustPoints(input: {memberId: $m, amount: 500, reason: "seed",
      idempotencyKey: "seed"}) { entry { id } } }""", {"m": member.member_id}, hq)
    reward = await add_reward(api.container)
    ids = {}
    for key, store in (("a", "SH-01"), ("b", "BJ-01"), ("c", None)):
        made = await api.data("""mutation($r: ID!, $k: String!) { redeemReward(input: {rewardId: $r,
          idempotencyKey: $k}) { redemption { id voucherCode } } }""", {"r": str(reward.id), "k": key},
                              member.access_token)
        ids[key] = made["redeemReward"]["redemption"]["id"]
        if store:
            await api.data(USE_VOUCHER, {"c": made["redeemReward"]["redemption"]["voucherCode"], "s": store}, hq)
    one = "query($id: ID!) { redemption(id: $id) { id } }"
    assert (await api.data(one, {"id": ids["a"]}, clerk))["redemption"]["id"] == ids["a"]
    for other in ("b", "c"):
        assert error_codes(await api.gql(one, {"id": ids[other]}, clerk)) == ["NOT_FOUND"]
        assert (await api.data(one, {"id": ids[other]}, hq))["redemption"]["id"] == ids[other]
    listed = """query($p: String!) { member(phone: $p) { redemptions(first: 10) { totalCount nodes { id } } } }"""
    seen = (await api.data(listed, {"p": PHONE}, clerk))["member"]["redemptions"]
    assert seen["totalCount"] == 1 and [n["id"] for n in seen["nodes"]] == [ids["a"]]
    assert (await api.data(listed, {"p": PHONE}, hq))["member"]["redemptions"]["totalCount"] == 3


REPORT = """query($s: String!, $f: Date!, $t: Date!) { storeReport(storeId: $s, from: $f, to: $t) {
  storeId orders members salesCents refundedCents pointsAwarded couponsRedeemed vouchersUsed } }"""


async def test_per_store_reports_count_each_stores_own_orders_and_clerks_read_only_theirs(shop) -> None:
    api, hq, clerk, _member = shop
    await api.sign_in("13900139000")
    earned = (await api.data(PURCHASE, purchase("A-1", "SH-01", 10_000), clerk))["recordPurchase"]["pointsEarned"]
    second = {"i": {**purchase("A-2", "SH-01", 25_000)["i"], "member": {"phone": "13900139000"}}}
    earned += (await api.data(PURCHASE, second, clerk))["recordPurchase"]["pointsEarned"]
    await api.data(PURCHASE, purchase("B-1", "BJ-01", 70_000), hq)
    await api.data(REFUND, {"i": {"storeId": "SH-01", "orderId": "A-2", "refundId": "R-1", "amountCents": 5_000}},
                   clerk)
    today = api.container.now().astimezone(api.container.clock.zone).date().isoformat()
    days = {"f": today, "t": today}
    sh = (await api.data(REPORT, {"s": "SH-01", **days}, clerk))["storeReport"]
    assert (sh["orders"], sh["members"], sh["salesCents"], sh["refundedCents"]) == (2, 2, 35_000, 5_000)
    assert sh["pointsAwarded"] == earned > 0
    bj = (await api.data(REPORT, {"s": "BJ-01", **days}, hq))["storeReport"]
    assert (bj["orders"], bj["salesCents"], bj["refundedCents"]) == (1, 70_000, 0)
    refused = await api.gql(REPORT, {"s": "BJ-01", **days}, clerk)
    assert error_codes(refused) == ["FORBIDDEN"] and refused["data"] is None
