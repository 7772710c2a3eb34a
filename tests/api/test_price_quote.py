"""The member price quote: the tier's member price (an entitlement) and the member's best valid
coupon under the stacking rules; the POS and the mini-program get the same total."""

from __future__ import annotations

import pytest

from tests.support.client import ApiClient, error_codes
from tests.support.program import configure_program
from tests.support.roles import staff_token

SAVE_KIND = "mutation($i: SaveEntitlementKindInput!) { saveEntitlementKind(input: $i) { kind { id } } }"
SET_TIER = """mutation($i: SetTierEntitlementsInput!) { setTierEntitlements(input: $i) {
  grants { kind { code } discountPct categories } } }"""
PURCHASE = """mutation($m: String!, $o: String!, $c: Int!) { recordPurchase(input: {
  member: {phone: $m}, orderId: $o, storeId: "S1", amountCents: $c, items: [{category: "x", amountCents: $c}]
  }) { pointsEarned } }"""
TEMPLATE = "mutation($i: SaveCouponTemplateInput!) { saveCouponTemplate(input: $i) { template { id } } }"
ISSUE = "mutation($i: IssueCouponsInput!) { issueCoupons(input: $i) { issued } }"
STACKING = "mutation($k: [CouponKind!]!) { setCouponStacking(withMemberPrice: $k) { kind withMemberPrice } }"
QUOTE = """query($i: PriceQuoteInput!) { priceQuote(input: $i) {
  tier { code } lines { category amountCents memberDiscountCents } listCents memberPriceApplied
  memberDiscountCents coupon { code kind } couponDiscountCents totalDiscountCents payableCents } }"""
REDEEM = """mutation($i: CouponOrderInput!) { redeemCoupon(input: $i) { discountCents } }"""
PHONE = "13800138000"


@pytest.fixture
async def setup(api: ApiClient):
    tiers = await configure_program(api.container)
    staff = await staff_token(api)
    await api.data(SAVE_KIND, {"i": {"code": "MEMBER_PRICE", "nameZh": "会员价", "nameEn": "Member price",
                                     "unitZh": "%", "unitEn": "%"}}, staff)
    await api.data(SET_TIER, {"i": {"tierId": str(tiers["DIAMOND"].id), "grants": [
        {"kindCode": "MEMBER_PRICE", "discountPct": 5, "categories": ["美妆", "服饰"]}]}}, staff)
    member = await api.sign_in(PHONE)
    await api.data(PURCHASE, {"m": PHONE, "o": "big", "c": 20_000_000}, staff)  # Diamond
    return api, staff, member


async def issue(api: ApiClient, staff: str, member_id: int, key: str, **fields: object) -> None:
    values = {"name": "满300减50", "kind": "SPEND_AND_SAVE", "valueCents": 5_000, "minSpendCents": 30_000,
              "validDays": 30, **fields}
    tid = (await api.data(TEMPLATE, {"i": values}, staff))["saveCouponTemplate"]["template"]["id"]
    await api.data(ISSUE, {"i": {"templateId": tid, "idempotencyKey": key, "memberIds": [member_id]}}, staff)


def order(*lines: tuple[str, int], member: bool = False) -> dict:
    return {"i": {"storeId": "S1", "member": {"phone": PHONE} if member else None,
                  "lines": [{"category": c, "amountCents": a} for c, a in lines]}}


async def test_member_price_and_a_combining_coupon_add_up_and_pos_and_app_agree(setup) -> None:
    api, staff, member = setup
    await issue(api, staff, member.member_id, "a")
    await issue(api, staff, member.member_id, "b", name="九折", kind="PERCENT_OFF", percent=10, capCents=2_000,
                valueCents=0, minSpendCents=0)
    app = (await api.data(QUOTE, order(("美妆", 20_000), ("食品", 15_000)), member.access_token))["priceQuote"]
    assert app["tier"]["code"] == "DIAMOND"
    assert [line["memberDiscountCents"] for line in app["lines"]] == [1_000, 0]
    # 34,000 at member prices still reaches the 30,000 threshold: 5,000 off beats 10% (capped at 2,000).
    assert (app["memberPriceApplied"], app["memberDiscountCents"], app["coupon"]["kind"],
            app["couponDiscountCents"], app["payableCents"]) == (True, 1_000, "SPEND_AND_SAVE", 5_000, 29_000)
    pos = (await api.data(QUOTE, order(("美妆", 20_000), ("食品", 15_000), member=True), staff))["priceQuote"]
    assert pos == app


async def test_a_coupon_that_does_not_combine_competes_with_the_member_price(setup) -> None:
    api, staff, member = setup
    await issue(api, staff, member.member_id, "a")
    await api.data(STACKING, {"k": ["CASH_OFF"]}, staff)  # 满减 no longer on top of member prices
    q = (await api.data(QUOTE, order(("美妆", 20_000), ("食品", 15_000)), member.access_token))["priceQuote"]
    assert (q["memberPriceApplied"], q["couponDiscountCents"], q["totalDiscountCents"], q["payableCents"]) == (
        False, 5_000, 5_000, 30_000)
    assert [line["memberDiscountCents"] for line in q["lines"]] == [0, 0]
    small = (await api.data(QUOTE, order(("美妆", 20_000)), member.access_token))["priceQuote"]
    assert (small["memberPriceApplied"], small["coupon"], small["payableCents"]) == (True, None, 19_000)


async def test_min_spend_counts_member_prices_when_the_coupon_combines(setup) -> None:
    api, staff, member = setup
    await issue(api, staff, member.member_id, "a")
    # List 30,500 reaches the threshold, member prices 29,500 do not: the coupon alone (5,000) wins.
    q = (await api.data(QUOTE, order(("美妆", 20_000), ("食品", 10_500)), member.access_token))["priceQuote"]
    assert (q["memberPriceApplied"], q["couponDiscountCents"], q["payableCents"]) == (False, 5_000, 25_500)


async def test_member_discount_rounds_down_per_line_and_used_coupons_are_left_out(setup) -> None:
    api, staff, member = setup
    q = (await api.data(QUOTE, order(("美妆", 1_999), ("服饰", 1_999), ("食品", 999)),
                        member.access_token))["priceQuote"]
    assert [line["memberDiscountCents"] for line in q["lines"]] == [99, 99, 0]  # 99.95 rounds down
    assert (q["listCents"], q["totalDiscountCents"], q["payableCents"]) == (4_997, 198, 4_799)
    await issue(api, staff, member.member_id, "a")
    code = (await api.data(QUOTE, order(("食品", 40_000)), member.access_token))["priceQuote"]["coupon"]["code"]
    await api.data(REDEEM, {"i": {"code": code, "storeId": "S1", "orderId": "o1",
                                  "items": [{"category": "食品", "amountCents": 40_000}]}}, staff)
    after = (await api.data(QUOTE, order(("食品", 40_000)), member.access_token))["priceQuote"]
    assert (after["coupon"], after["payableCents"]) == (None, 40_000)


async def test_quote_refusals(setup) -> None:
    api, staff, member = setup
    other = await api.sign_in("13900139000")
    assert error_codes(await api.gql(QUOTE, order(("食品", 100), member=True), other.access_token)) == ["NOT_FOUND"]
    assert error_codes(await api.gql(QUOTE, order(("食品", 100)), staff)) == ["BAD_USER_INPUT"]
    bad = await api.gql(QUOTE, {"i": {"storeId": "S 1", "lines": [{"category": "", "amountCents": 0}]}},
                        member.access_token)
    assert {e["field"] for e in bad["errors"][0]["extensions"]["fieldErrors"]} == {
        "storeId", "lines.0.category", "lines.0.amountCents"}
    assert error_codes(await api.gql(QUOTE, order(("食品", 100)))) == ["UNAUTHENTICATED"]
    assert error_codes(await api.gql(STACKING, {"k": []}, member.access_token)) == ["FORBIDDEN"]
