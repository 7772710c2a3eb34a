"""Coupons: configured by staff, issued on sign-up, upgrade, birthday, by staff and by claiming;
validated and redeemed at the till."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest

from domain.offers.birthday import birthday_rewards
from tests.support.client import ENGLISH, ApiClient, error_codes
from tests.support.program import configure_program
from tests.support.roles import staff_token

SAVE = """mutation($i: SaveCouponTemplateInput!) { saveCouponTemplate(input: $i) { template { id issuedCount } } }"""
SETTINGS = """mutation($i: UpdateProgramSettingsInput!) { updateProgramSettings(input: $i) { settings {
  welcomeCouponTemplateId } } }"""
COUPONS = "query($s: CouponStatus) { me { coupons(status: $s) { nodes { code status source discountCents } } } }"
VALIDATE = """query($i: CouponOrderInput!) { validateCoupon(input: $i) { applies discountCents reason } }"""
REDEEM = """mutation($i: CouponOrderInput!) { redeemCoupon(input: $i) { discountCents coupon { status } } }"""
CLAIM = "mutation($t: ID!) { claimOffer(templateId: $t) { coupon { code source } } }"
ISSUE = """mutation($i: IssueCouponsInput!) { issueCoupons(input: $i) { issued } }"""


@pytest.fixture
async def setup(api: ApiClient):
    await configure_program(api.container)
    staff = await staff_token(api)
    return api, staff


async def template(api: ApiClient, staff: str, **fields: object) -> str:
    values = {"name": "50 off 300", "kind": "SPEND_AND_SAVE", "valueCents": 5_000, "minSpendCents": 30_000,
              "validDays": 30, **fields}
    return (await api.data(SAVE, {"i": values}, staff))["saveCouponTemplate"]["template"]["id"]


def basket(code: str, *items: tuple[str, int], order: str | None = None, store: str = "S1") -> dict:
    return {"i": {"code": code, "storeId": store, "orderId": order,
                  "items": [{"category": c, "amountCents": a} for c, a in items]}}


async def test_welcome_coupon_on_sign_up_then_redeemed_once_at_the_till(setup) -> None:
    api, staff = setup
    welcome = await template(api, staff, name="Welcome 10%", kind="PERCENT_OFF", valueCents=0, percent=10,
                             capCents=2_000, minSpendCents=0)
    await api.data(SETTINGS, {"i": {"welcomeCouponTemplateId": int(welcome)}}, staff)
    member = await api.sign_in("13800138000")
    coupons = (await api.data(COUPONS, token=member.access_token))["me"]["coupons"]["nodes"]
    assert [(c["source"], c["status"]) for c in coupons] == [("WELCOME", "AVAILABLE")]
    code = coupons[0]["code"]
    await api.sign_in("13800138000")  # signing in again gives no second welcome
    assert len((await api.data(COUPONS, token=member.access_token))["me"]["coupons"]["nodes"]) == 1

    check = await api.data(VALIDATE, basket(code, ("fashion", 15_000)), staff)
    assert check["validateCoupon"] == {"applies": True, "discountCents": 1_500, "reason": ""}
    capped = await api.data(VALIDATE, basket(code, ("fashion", 50_000)), staff)
    assert capped["validateCoupon"]["discountCents"] == 2_000
    used = await api.data(REDEEM, basket(code, ("fashion", 15_000), order="O-1"), staff)
    assert used["redeemCoupon"] == {"discountCents": 1_500, "coupon": {"status": "REDEEMED"}}
    retry = await api.data(REDEEM, basket(code, ("fashion", 15_000), order="O-1"), staff)
    assert retry["redeemCoupon"]["discountCents"] == 1_500, "a retried order returns the same result"
    again = await api.gql(REDEEM, basket(code, ("fashion", 15_000), order="O-2"), staff)
    assert error_codes(again) == ["COUPON_NOT_USABLE"]
    redeemed = (await api.data(COUPONS, {"s": "REDEEMED"}, member.access_token))["me"]["coupons"]["nodes"]
    assert [c["status"] for c in redeemed] == ["REDEEMED"]


async def test_discount_kinds_and_conditions(setup) -> None:
    api, staff = setup
    member = await api.sign_in("13800138000")
    kinds = {
        "spend": {"name": "满300减50"},
        "cash": {"name": "20 off", "kind": "CASH_OFF", "valueCents": 2_000, "minSpendCents": 0,
                 "categories": ["dining"]},
        "bogo": {"name": "BOGO coffee", "kind": "BUY_ONE_GET_ONE", "valueCents": 0, "minSpendCents": 0,
                 "categories": ["coffee"]},
        "free": {"name": "Free dessert", "kind": "FREE_ITEM", "valueCents": 3_000, "minSpendCents": 0,
                 "stores": ["S9"]},
    }
    ids = {k: await template(api, staff, **v) for k, v in kinds.items()}
    await api.data(ISSUE, {"i": {"templateId": ids["spend"], "idempotencyKey": "k1", "memberIds": [member.member_id]}},
                   staff)
    for key in ("cash", "bogo", "free"):
        await api.data(ISSUE, {"i": {"templateId": ids[key], "idempotencyKey": "k1",
                                     "memberIds": [member.member_id]}}, staff)
    coupons = (await api.data(COUPONS, token=member.access_token))["me"]["coupons"]["nodes"]
    code = {c: coupons[i]["code"] for i, c in enumerate(["free", "bogo", "cash", "spend"])}

    async def check(key: str, *items: tuple[str, int], store: str = "S1") -> tuple[bool, int]:
        r = (await api.data(VALIDATE, basket(code[key], *items, store=store), staff))["validateCoupon"]
        return r["applies"], r["discountCents"]

    assert await check("spend", ("x", 29_999)) == (False, 0)
    assert await check("spend", ("x", 30_000)) == (True, 5_000)
    assert await check("cash", ("fashion", 10_000)) == (False, 0), "no dining in the basket"
    assert await check("cash", ("dining", 1_500), ("fashion", 9_000)) == (True, 1_500), "never more than eligible"
    assert await check("bogo", ("coffee", 3_200)) == (False, 0)
    assert await check("bogo", ("coffee", 3_200), ("coffee", 2_800)) == (True, 2_800)
    assert await check("free", ("cake", 4_500)) == (False, 0), "wrong store"
    assert await check("free", ("cake", 4_500), store="S9") == (True, 3_000)


async def test_expired_coupons_are_refused(setup, monkeypatch) -> None:
    api, staff = setup
    member = await api.sign_in("13800138000")
    tid = await template(api, staff, validDays=3)
    await api.data(ISSUE, {"i": {"templateId": tid, "idempotencyKey": "e", "memberIds": [member.member_id]}}, staff)
    code = (await api.data(COUPONS, token=member.access_token))["me"]["coupons"]["nodes"][0]["code"]
    later = api.container.now() + timedelta(days=4)
    monkeypatch.setattr(api.container, "now", lambda: later)
    body = await api.gql(REDEEM, basket(code, ("x", 40_000), order="late"), staff, ENGLISH)
    assert error_codes(body) == ["COUPON_NOT_USABLE"] and "expired" in body["errors"][0]["message"]
    expired = await api.data(COUPONS, {"s": "EXPIRED"}, member.access_token)
    assert [c["status"] for c in expired["me"]["coupons"]["nodes"]] == ["EXPIRED"]


async def test_staff_issue_to_a_tier_segment_once_per_key(setup) -> None:
    api, staff = setup
    a = await api.sign_in("13800138000")
    b = await api.sign_in("13900139000")
    purchase = """mutation { recordPurchase(input: {member: {phone: "13900139000"}, orderId: "G", storeId: "S1",
      amountCents: 6000000, items: [{category: "x", amountCents: 6000000}]}) { tierChanged } }"""
    await api.data(purchase, token=staff)
    tid = await template(api, staff, perMemberLimit=None)
    gold = await api.data(ISSUE, {"i": {"templateId": tid, "idempotencyKey": "gold-nov", "tierCodes": ["GOLD"]}},
                          staff)
    assert gold["issueCoupons"]["issued"] == 1
    rerun = await api.data(ISSUE, {"i": {"templateId": tid, "idempotencyKey": "gold-nov", "tierCodes": ["GOLD"]}},
                           staff)
    assert rerun["issueCoupons"]["issued"] == 0, "a rerun with the same key issues nothing twice"
    base = await api.data(ISSUE, {"i": {"templateId": tid, "idempotencyKey": "base", "tierCodes": ["BASE"]}}, staff)
    assert base["issueCoupons"]["issued"] == 1
    assert len((await api.data(COUPONS, token=b.access_token))["me"]["coupons"]["nodes"]) == 1
    assert len((await api.data(COUPONS, token=a.access_token))["me"]["coupons"]["nodes"]) == 1
    bad = await api.gql(ISSUE, {"i": {"templateId": tid, "idempotencyKey": "x", "tierCodes": ["NOPE"]}}, staff)
    assert error_codes(bad) == ["BAD_USER_INPUT"]
    assert error_codes(await api.gql(ISSUE, {"i": {"templateId": tid, "idempotencyKey": "y", "tierCodes": ["GOLD"]}},
                                     a.access_token)) == ["FORBIDDEN"]


async def test_claimable_offer_limits_hold_under_concurrency(setup) -> None:
    api, staff = setup
    tid = await template(api, staff, name="Flash offer", claimable=True, totalQuantity=3, perMemberLimit=1)
    members = [await api.sign_in(f"1380000{i:04d}") for i in range(5)]
    offers = await api.data("{ offers { id name } }", token=members[0].access_token)
    assert offers["offers"] == [{"id": tid, "name": "Flash offer"}]
    # One member tapping five times gets one coupon.
    taps = await asyncio.gather(*(api.gql(CLAIM, {"t": tid}, members[0].access_token) for _ in range(5)))
    assert sum("errors" not in t for t in taps) == 1
    assert {c for t in taps for c in error_codes(t)} == {"LIMIT_EXCEEDED"}
    # Four others race for the two left.
    rest = await asyncio.gather(*(api.gql(CLAIM, {"t": tid}, m.access_token) for m in members[1:]))
    assert sum("errors" not in r for r in rest) == 2
    assert {c for r in rest for c in error_codes(r)} == {"OUT_OF_STOCK"}
    # The offer stays listed, marked: "claimed" for the winner, "sold out" for the others.
    listed = "{ offers { id canClaim notClaimableReason } }"
    assert (await api.data(listed, token=members[0].access_token))["offers"] == [
        {"id": tid, "canClaim": False, "notClaimableReason": "LIMIT_REACHED"}]
    losers = [m for m, r in zip(members[1:], rest, strict=True) if "errors" in r]
    assert (await api.data(listed, token=losers[0].access_token))["offers"] == [
        {"id": tid, "canClaim": False, "notClaimableReason": "SOLD_OUT"}]


async def test_upgrade_coupon_and_birthday_rewards_once_a_year(setup, monkeypatch) -> None:
    api, staff = setup
    upgrade = await template(api, staff, name="Welcome to Gold")
    bday = await template(api, staff, name="Birthday treat")
    await api.data("""mutation($u: ID!, $b: ID!) { updateProgramSettings(input: {upgradeCouponTemplateId: $u,
      birthdayCouponTemplateId: $b}) { settings { upgradeCouponTemplateId } } }""",
                   {"u": int(upgrade), "b": int(bday)}, staff)
    rule = """mutation { saveEarningRule(input: {kind: ACTIVITY, name: "Birthday", activity: BIRTHDAY, points: 100})
      { rule { id } } }"""
    await api.data(rule, token=staff)
    member = await api.sign_in("13800138000")
    await api.data("""mutation { recordPurchase(input: {member: {phone: "13800138000"}, orderId: "U", storeId: "S1",
      amountCents: 5000000, items: [{category: "x", amountCents: 5000000}]}) { tierChanged } }""", token=staff)
    assert [c["source"] for c in (await api.data(COUPONS, token=member.access_token))["me"]["coupons"]["nodes"]] == [
        "TIER_UPGRADE"]

    today = api.container.today()
    await api.data("mutation($b: Date!) { updateProfile(input: {birthday: $b}) { member { id } } }",
                   {"b": today.replace(year=1990).isoformat()}, member.access_token)
    counts = await birthday_rewards(api.container.uow, api.container.now(), today)
    assert counts == {"checked": 1, "granted": 1}
    assert await birthday_rewards(api.container.uow, api.container.now(), today) == {"checked": 1, "granted": 0}
    await api.sign_in("13800138000")  # the sign-in catch-up does not pay again either
    history = await api.data("{ me { pointsHistory(first: 1) { edges { node { amount reason } } } } }",
                             token=member.access_token)
    assert history["me"]["pointsHistory"]["edges"][0]["node"] == {"amount": 125, "reason": "Happy birthday"}, (
        "100 birthday points at Gold's 1.25x")
    sources = [c["source"] for c in (await api.data(COUPONS, token=member.access_token))["me"]["coupons"]["nodes"]]
    assert sorted(sources) == ["BIRTHDAY", "TIER_UPGRADE"]


async def test_sign_in_catches_up_a_birthday_the_job_missed(setup) -> None:
    api, staff = setup
    await api.data("""mutation { saveEarningRule(input: {kind: ACTIVITY, name: "Birthday", activity: BIRTHDAY,
      points: 100}) { rule { id } } }""", token=staff)
    member = await api.sign_in("13800138000")
    today = api.container.today()
    await api.data("mutation($b: Date!) { updateProfile(input: {birthday: $b}) { member { id } } }",
                   {"b": date(1990, today.month, 1).isoformat()}, member.access_token)
    again = await api.sign_in("13800138000")
    points = await api.data("{ me { points { total } } }", token=again.access_token)
    assert points["me"]["points"]["total"] == 100


async def test_template_configuration_is_validated(setup) -> None:
    api, staff = setup
    member = await api.sign_in("13800138000")
    bad = {"name": "bad", "kind": "SPEND_AND_SAVE", "valueCents": 5_000, "minSpendCents": 1_000}
    body = await api.gql(SAVE, {"i": bad}, staff)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert {e["field"] for e in body["errors"][0]["extensions"]["fieldErrors"]} == {"minSpendCents", "validUntil"}
    assert error_codes(await api.gql(SAVE, {"i": {**bad, "minSpendCents": 9_000, "validDays": 3}},
                                     member.access_token)) == ["FORBIDDEN"]


WALLET = """query($first: Int!, $after: String) { me { coupons(first: $first, after: $after) {
  totalCount pageInfo { hasNextPage endCursor }
  edges { cursor node { id name kind valueCents percent capCents minSpendCents categories stores
                        validFrom validUntil usageTerms status discountCents } } } } }"""
OFFERS = "{ offers { id name kind claimedByMe remainingForMe remainingQuantity canClaim notClaimableReason } }"


async def test_the_wallet_shows_what_each_coupon_is_and_pages_by_cursor(setup) -> None:
    api, staff = setup
    member = await api.sign_in("13800138000")
    spend = await template(api, staff)
    percent = await template(api, staff, name="10% beauty", kind="PERCENT_OFF", valueCents=0, percent=10,
                             capCents=2_000, minSpendCents=0, categories=["beauty"], stores=["S1"])
    for tid in (spend, percent):
        await api.data(ISSUE, {"i": {"templateId": tid, "idempotencyKey": "w", "memberIds": [member.member_id]}},
                       staff)
    first = (await api.data(WALLET, {"first": 1}, member.access_token))["me"]["coupons"]
    assert first["totalCount"] == 2 and first["pageInfo"]["hasNextPage"] is True
    newest = first["edges"][0]["node"]
    assert {k: newest[k] for k in ("name", "kind", "percent", "capCents", "minSpendCents", "categories", "stores")} == {
        "name": "10% beauty", "kind": "PERCENT_OFF", "percent": 10, "capCents": 2_000, "minSpendCents": 0,
        "categories": ["beauty"], "stores": ["S1"]}
    assert newest["discountCents"] is None, "a percentage has no fixed value until used"
    assert "10%" in newest["usageTerms"] and "beauty" in newest["usageTerms"]
    rest = (await api.data(WALLET, {"first": 5, "after": first["pageInfo"]["endCursor"]},
                           member.access_token))["me"]["coupons"]
    assert rest["pageInfo"]["hasNextPage"] is False
    older = rest["edges"][0]["node"]
    assert (older["name"], older["kind"], older["valueCents"], older["minSpendCents"]) == (
        "50 off 300", "SPEND_AND_SAVE", 5_000, 30_000)
    assert older["discountCents"] == 5_000, "a fixed-value coupon says what it takes off"


async def test_offers_say_what_the_member_claimed_and_whether_they_can_claim_again(setup) -> None:
    api, staff = setup
    member = await api.sign_in("13800138000")
    tid = await template(api, staff, name="Claim me", claimable=True, totalQuantity=10, perMemberLimit=1)
    before = (await api.data(OFFERS, token=member.access_token))["offers"]
    assert before == [{"id": tid, "name": "Claim me", "kind": "SPEND_AND_SAVE", "claimedByMe": 0, "remainingForMe": 1,
                       "remainingQuantity": 10, "canClaim": True, "notClaimableReason": None}]
    await api.data(CLAIM, {"t": tid}, member.access_token)
    after = (await api.data(OFFERS, token=member.access_token))["offers"]
    assert after[0]["claimedByMe"] == 1 and after[0]["remainingForMe"] == 0
    assert after[0]["remainingQuantity"] == 9
    assert after[0]["canClaim"] is False and after[0]["notClaimableReason"] == "LIMIT_REACHED"
