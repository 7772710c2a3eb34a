"""Shareable coupons (#16): a member gives an unused coupon to a friend once, to a member at once or
through a link accepted after sign-up; the giver's code stops working; every step is audited."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from domain.store.tables import audit_log, coupon_shares
from tests.support.client import ApiClient, error_codes
from tests.support.program import configure_program
from tests.support.roles import staff_token

SAVE = """mutation($i: SaveCouponTemplateInput!) { saveCouponTemplate(input: $i) { template { id shareable } } }"""
ISSUE = """mutation($i: IssueCouponsInput!) { issueCoupons(input: $i) { issued } }"""
WALLET = "{ me { coupons { nodes { id code status source canShare } } } }"
SHARE = """mutation($c: ID!, $p: String) { shareCoupon(input: {couponId: $c, phone: $p}) {
  share { id status sentTo } shareToken } }"""
ACCEPT = "mutation($t: String!) { acceptSharedCoupon(shareToken: $t) { coupon { id code source status } } }"
CANCEL = "mutation($s: ID!) { cancelCouponShare(shareId: $s) { share { status } } }"
REDEEM = """mutation($i: CouponOrderInput!) { redeemCoupon(input: $i) { discountCents } }"""


@pytest.fixture
async def setup(api: ApiClient):
    await configure_program(api.container)
    staff = await staff_token(api)
    return api, staff


async def give_coupon(api: ApiClient, staff: str, member_id: int, shareable: bool = True, key: str = "k") -> dict:
    values = {"name": "咖啡买一送一", "kind": "CASH_OFF", "valueCents": 1_000, "minSpendCents": 0, "validDays": 30,
              "shareable": shareable}
    tid = (await api.data(SAVE, {"i": values}, staff))["saveCouponTemplate"]["template"]["id"]
    await api.data(ISSUE, {"i": {"templateId": tid, "memberIds": [str(member_id)], "idempotencyKey": key}}, staff)
    return tid


async def wallet(api: ApiClient, token: str) -> list[dict]:
    return (await api.data(WALLET, token=token))["me"]["coupons"]["nodes"]


def till(code: str, order: str) -> dict:
    return {"i": {"code": code, "storeId": "S1", "orderId": order, "items": [{"category": "c", "amountCents": 5_000}]}}


async def test_a_member_gives_a_coupon_to_a_member_friend_once_and_the_old_code_stops(setup) -> None:
    api, staff = setup
    giver = await api.sign_in("13800138000")
    friend = await api.sign_in("13900139000")
    await give_coupon(api, staff, giver.member_id)
    [mine] = await wallet(api, giver.access_token)
    assert mine["canShare"] is True
    given = (await api.data(SHARE, {"c": mine["id"], "p": "139 0013 9000"}, giver.access_token))["shareCoupon"]
    assert given["share"]["status"] == "ACCEPTED" and given["shareToken"] is None
    assert given["share"]["sentTo"] != "+8613900139000", "the phone is masked"
    [theirs] = await wallet(api, friend.access_token)
    assert (theirs["source"], theirs["status"], theirs["canShare"]) == ("SHARE", "AVAILABLE", False)
    assert theirs["code"] != mine["code"]
    [old] = await wallet(api, giver.access_token)
    assert (old["status"], old["canShare"]) == ("SHARED", False)
    assert error_codes(await api.gql(REDEEM, till(mine["code"], "O-1"), staff)) == ["COUPON_NOT_USABLE"]
    assert (await api.data(REDEEM, till(theirs["code"], "O-2"), staff))["redeemCoupon"]["discountCents"] == 1_000
    again = await api.gql(SHARE, {"c": mine["id"], "p": "13700137000"}, giver.access_token)
    assert error_codes(again) == ["COUPON_NOT_USABLE"]
    onward = await api.gql(SHARE, {"c": theirs["id"], "p": "13800138000"}, friend.access_token)
    assert error_codes(onward) == ["COUPON_NOT_USABLE"], "a received coupon cannot be given on"
    async with api.container.engine.connect() as conn:
        actions = [r.action for r in await conn.execute(select(audit_log.c.action).order_by(audit_log.c.id))]
    assert "coupon.shared" in actions


async def test_a_link_is_accepted_after_sign_up_by_the_named_phone_only(setup) -> None:
    api, staff = setup
    giver = await api.sign_in("13800138000")
    await give_coupon(api, staff, giver.member_id)
    [mine] = await wallet(api, giver.access_token)
    given = (await api.data(SHARE, {"c": mine["id"], "p": "13700137000"}, giver.access_token))["shareCoupon"]
    assert given["share"]["status"] == "PENDING" and given["shareToken"]
    token = given["shareToken"]
    stranger = await api.sign_in("13600136000")
    assert error_codes(await api.gql(ACCEPT, {"t": token}, stranger.access_token)) == ["NOT_FOUND"]
    newcomer = await api.sign_in("13700137000")  # signs up through the link
    got = (await api.data(ACCEPT, {"t": token}, newcomer.access_token))["acceptSharedCoupon"]["coupon"]
    assert (got["source"], got["status"]) == ("SHARE", "AVAILABLE")
    repeat = (await api.data(ACCEPT, {"t": token}, newcomer.access_token))["acceptSharedCoupon"]["coupon"]
    assert repeat["id"] == got["id"]
    assert error_codes(await api.gql(CANCEL, {"s": given["share"]["id"]}, giver.access_token)) == [
        "COUPON_NOT_USABLE"]
    assert error_codes(await api.gql(ACCEPT, {"t": "not-a-token"}, newcomer.access_token)) == ["NOT_FOUND"]


async def test_an_open_link_taken_back_returns_the_coupon_which_cannot_be_given_again(setup) -> None:
    api, staff = setup
    giver = await api.sign_in("13800138000")
    await give_coupon(api, staff, giver.member_id)
    [mine] = await wallet(api, giver.access_token)
    given = (await api.data(SHARE, {"c": mine["id"]}, giver.access_token))["shareCoupon"]
    assert error_codes(await api.gql(ACCEPT, {"t": given["shareToken"]}, giver.access_token)) == [
        "COUPON_NOT_USABLE"], "the giver cannot accept their own link"
    taken_back = await api.data(CANCEL, {"s": given["share"]["id"]}, giver.access_token)
    assert taken_back["cancelCouponShare"]["share"]["status"] == "CANCELLED"
    [back] = await wallet(api, giver.access_token)
    assert (back["status"], back["canShare"]) == ("AVAILABLE", True)
    late = await api.sign_in("13600136000")
    assert error_codes(await api.gql(ACCEPT, {"t": given["shareToken"]}, late.access_token)) == [
        "COUPON_NOT_USABLE"]
    assert error_codes(await api.gql(SHARE, {"c": mine["id"]}, giver.access_token)) == ["COUPON_NOT_USABLE"]
    assert (await api.data(REDEEM, till(mine["code"], "O-3"), staff))["redeemCoupon"]["discountCents"] == 1_000


async def test_only_shareable_own_unused_coupons_can_be_given(setup) -> None:
    api, staff = setup
    giver = await api.sign_in("13800138000")
    other = await api.sign_in("13900139000")
    await give_coupon(api, staff, giver.member_id, shareable=False)
    [mine] = await wallet(api, giver.access_token)
    assert mine["canShare"] is False
    refused = await api.gql(SHARE, {"c": mine["id"], "p": "13900139000"}, giver.access_token)
    assert error_codes(refused) == ["COUPON_NOT_USABLE"]
    assert error_codes(await api.gql(SHARE, {"c": mine["id"]}, other.access_token)) == ["NOT_FOUND"]
    assert error_codes(await api.gql(SHARE, {"c": mine["id"], "p": "12345"}, giver.access_token)) == [
        "BAD_USER_INPUT"]
    assert error_codes(await api.gql(SHARE, {"c": mine["id"], "p": "13800138000"}, giver.access_token)) == [
        "BAD_USER_INPUT"], "not to oneself"
    assert error_codes(await api.gql(SHARE, {"c": mine["id"]}, staff)) == ["FORBIDDEN"]


@pytest.mark.postgres
async def test_a_till_and_a_share_racing_for_one_coupon_one_wins(pg_api: ApiClient) -> None:
    api = pg_api
    await configure_program(api.container)
    staff = await staff_token(api)
    givers = [await api.sign_in(f"1380000{i:04d}") for i in range(8)]
    await api.sign_in("13900139000")
    for n, g in enumerate(givers):
        await give_coupon(api, staff, g.member_id, key=f"k{n}")
    coupons = [(await wallet(api, g.access_token))[0] for g in givers]
    calls = []
    for n, (g, c) in enumerate(zip(givers, coupons, strict=True)):
        calls += [api.gql(SHARE, {"c": c["id"], "p": "13900139000"}, g.access_token),
                  api.gql(REDEEM, till(c["code"], f"R-{n}"), staff)]
    bodies = await asyncio.gather(*calls)
    for n in range(len(givers)):
        pair = bodies[2 * n:2 * n + 2]
        assert len([b for b in pair if "errors" not in b]) == 1, pair


async def test_erasing_the_friend_forgets_the_phone_the_coupon_was_sent_to(setup) -> None:
    api, staff = setup
    giver = await api.sign_in("13800138000")
    await give_coupon(api, staff, giver.member_id)
    [mine] = await wallet(api, giver.access_token)
    await api.data(SHARE, {"c": mine["id"], "p": "13700137000"}, giver.access_token)
    friend = await api.sign_in("13700137000")
    erase = "mutation($c: String!) { requestErasure(input: {confirmation: $c}) { alreadyErased } }"
    await api.data(erase, {"c": "ERASE MY DATA"}, friend.access_token)
    async with api.container.engine.connect() as conn:
        phones = [r[0] for r in await conn.execute(select(coupon_shares.c.to_phone))]
    assert phones == [None]
