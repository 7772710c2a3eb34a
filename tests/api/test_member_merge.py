"""Member merge (#18): staff find duplicates and merge B into A; balance = ledger on both, lots keep
their expiry, identities/coupons/purchases move, the tier is recomputed, B is signed out, audited;
a merge is final."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from domain.store.tables import audit_log, members, points_lots
from tests.support.books import assert_books_balance
from tests.support.client import ApiClient, error_codes
from tests.support.program import configure_program
from tests.support.roles import staff_token

ADJUST = """mutation($i: AdjustPointsInput!) { adjustPoints(input: $i) { balance { total } } }"""
PURCHASE = """mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned } }"""
LINK = """mutation($i: LinkIdentityInput!) { linkIdentity(input: $i) { identity { externalId } } }"""
SAVE = """mutation($i: SaveCouponTemplateInput!) { saveCouponTemplate(input: $i) { template { id } } }"""
ISSUE = """mutation($i: IssueCouponsInput!) { issueCoupons(input: $i) { issued } }"""
CANDIDATES = "{ memberMergeCandidates { firstMemberId secondMemberId reason } }"
MERGE = """mutation($i: MergeMembersInput!) { mergeMembers(input: $i) { merge {
  keptMemberId mergedMemberId pointsMoved lotsMoved identitiesMoved couponsMoved purchasesMoved } } }"""
ME = """{ me { points { total } tier { current { code } } identities { channel externalId }
  coupons { nodes { name } } } }"""
REFRESH = "mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken } }"


@pytest.fixture
async def setup(api: ApiClient):
    await configure_program(api.container)
    staff = await staff_token(api)
    a = await api.sign_in("13800138000")
    b = await api.sign_in("13900139000")
    async with api.container.engine.begin() as conn:
        await conn.execute(update(members).where(members.c.id.in_([int(a.member_id), int(b.member_id)]))
                           .values(display_name="王小明", birthday=__import__("datetime").date(1990, 5, 1)))
    return api, staff, a, b


async def test_merging_b_into_a_moves_everything_and_both_ledgers_balance(setup) -> None:
    api, staff, a, b = setup
    await api.data(ADJUST, {"i": {"memberId": a.member_id, "amount": 100, "reason": "x", "idempotencyKey": "a"}},
                   staff)
    await api.data(ADJUST, {"i": {"memberId": b.member_id, "amount": 700, "reason": "x", "idempotencyKey": "b"}},
                   staff)
    await api.data(PURCHASE, {"i": {"member": {"phone": "13900139000"}, "orderId": "O-1", "storeId": "S1",
                                    "amountCents": 5_000_000, "items": [{"category": "c", "amountCents": 5_000_000}]}},
                   staff)
    await api.data(LINK, {"i": {"channel": "POS_CARD", "externalId": "CARD-B", "memberId": b.member_id}}, staff)
    tid = (await api.data(SAVE, {"i": {"name": "满300减50", "kind": "CASH_OFF", "valueCents": 5_000,
                                       "validDays": 30}}, staff))["saveCouponTemplate"]["template"]["id"]
    await api.data(ISSUE, {"i": {"templateId": tid, "memberIds": [b.member_id], "idempotencyKey": "c"}}, staff)
    before = await assert_books_balance(api.container.engine)
    async with api.container.engine.connect() as conn:
        b_expiries = sorted(r for r, in await conn.execute(
            select(points_lots.c.expires_at).where(points_lots.c.member_id == int(b.member_id),
                                                   points_lots.c.remaining > 0)))

    pairs = (await api.data(CANDIDATES, token=staff))["memberMergeCandidates"]
    assert pairs == [{"firstMemberId": a.member_id, "secondMemberId": b.member_id,
                      "reason": "SAME_NAME_AND_BIRTHDAY"}]
    done = (await api.data(MERGE, {"i": {"keepMemberId": a.member_id, "mergeMemberId": b.member_id,
                                          "reason": "同一人，两个手机号"}}, staff))["mergeMembers"]["merge"]
    b_points = before[int(b.member_id)]
    assert done["pointsMoved"] == b_points and done["lotsMoved"] == len(b_expiries)
    assert (done["identitiesMoved"], done["couponsMoved"], done["purchasesMoved"]) == (1, 1, 1)

    after = await assert_books_balance(api.container.engine)
    assert after[int(b.member_id)] == 0 and after[int(a.member_id)] == 100 + b_points
    async with api.container.engine.connect() as conn:
        a_expiries = sorted(r for r, in await conn.execute(
            select(points_lots.c.expires_at).where(points_lots.c.member_id == int(a.member_id),
                                                   points_lots.c.remaining > 0)))
        actions = [r for r, in await conn.execute(select(audit_log.c.action))]
    assert all(e in a_expiries for e in b_expiries), "moved lots keep their expiry"
    assert "member.merged" in actions and "member.merge-received" in actions
    me = (await api.data(ME, token=a.access_token))["me"]
    assert me["points"]["total"] == 100 + b_points
    assert me["tier"]["current"]["code"] == "GOLD", "the tier is recomputed on the combined spend"
    assert {"channel": "POS_CARD", "externalId": "CARD-B"} in me["identities"]
    assert [c["name"] for c in me["coupons"]["nodes"]] == ["满300减50"]
    assert error_codes(await api.gql(REFRESH, {"t": b.refresh_token})) != [], "B's sessions are revoked"
    again_b = await api.sign_in("13900139000")
    assert again_b.member_id == a.member_id, "B's phone now signs in to the kept member"

    assert (await api.data(CANDIDATES, token=staff))["memberMergeCandidates"] == []
    again = await api.gql(MERGE, {"i": {"keepMemberId": a.member_id, "mergeMemberId": b.member_id,
                                        "reason": "again"}}, staff)
    assert error_codes(again) == ["CONFLICT"], "a merge is final and happens once"
    back = await api.gql(MERGE, {"i": {"keepMemberId": b.member_id, "mergeMemberId": a.member_id,
                                       "reason": "undo"}}, staff)
    assert error_codes(back) == ["CONFLICT"]
    assert await assert_books_balance(api.container.engine) == after


async def test_merge_input_is_checked_and_staff_only(setup) -> None:
    api, staff, a, b = setup
    same = await api.gql(MERGE, {"i": {"keepMemberId": a.member_id, "mergeMemberId": a.member_id,
                                       "reason": "x"}}, staff)
    assert error_codes(same) == ["BAD_USER_INPUT"]
    no_reason = await api.gql(MERGE, {"i": {"keepMemberId": a.member_id, "mergeMemberId": b.member_id,
                                            "reason": " "}}, staff)
    assert error_codes(no_reason) == ["BAD_USER_INPUT"]
    unknown = await api.gql(MERGE, {"i": {"keepMemberId": a.member_id, "mergeMemberId": "987654",
                                          "reason": "x"}}, staff)
    assert error_codes(unknown) == ["NOT_FOUND"]
    member = await api.gql(MERGE, {"i": {"keepMemberId": a.member_id, "mergeMemberId": b.member_id,
                                         "reason": "x"}}, a.access_token)
    assert error_codes(member) == ["FORBIDDEN"]
    assert error_codes(await api.gql("{ memberMergeCandidates(first: 0) { reason } }", token=staff)) == [
        "BAD_USER_INPUT"]


async def test_a_member_with_a_points_payment_in_progress_is_not_merged_away(setup) -> None:
    """Held points belong to an open payment at a till; merging them away would strand what the
    release gives back on the merged account (it failed before: the merge went ahead)."""
    from tests.api.test_points_payments import ADJUST, AUTHORIZE, RELEASE, order

    api, staff, a, b = setup
    phone = (await api.data("{ me { phone } }", token=b.access_token))["me"]["phone"]
    await api.data(ADJUST, {"m": b.member_id, "a": 5_000, "k": "merge-hold-seed"}, staff)
    await api.data(AUTHORIZE, {"i": order("M-HOLD-1", 1_000, phone=phone)}, staff)
    refused = await api.gql(MERGE, {"i": {"keepMemberId": a.member_id, "mergeMemberId": b.member_id,
                                          "reason": "same person"}}, staff)
    assert error_codes(refused) == ["CONFLICT"]
    await api.data(RELEASE, {"s": "S1", "o": "M-HOLD-1"}, staff)
    merged = await api.gql(MERGE, {"i": {"keepMemberId": a.member_id, "mergeMemberId": b.member_id,
                                         "reason": "same person"}}, staff)
    assert "errors" not in merged, merged
    await assert_books_balance(api.container.engine)


async def test_cancelling_a_voucher_bought_before_a_merge_credits_the_kept_member(setup) -> None:
    """The voucher moves to A; its points came from B's lots. Cancelling it gives the points to A as a
    lot of A's (it failed before: they went back into B's lot while A's balance rose, so A's balance
    no longer equalled A's lots)."""
    from tests.api.test_redemptions import CANCEL, REDEEM
    from tests.support.catalog import add_reward

    api, staff, a, b = setup
    reward = await add_reward(api.container, price=300, stock=5)
    await api.data("""mutation($m: ID!) { adjustPoints(input: {memberId: $m, amount: 500, reason: "seed",
      idempotencyKey: "merge-cancel-seed"}) { entry { id } } }""", {"m": b.member_id}, staff)
    bought = await api.data(REDEEM, {"r": reward.id, "q": 1, "k": "before-merge"}, b.access_token)
    redemption = bought["redeemReward"]["redemption"]["id"]
    await api.data(MERGE, {"i": {"keepMemberId": a.member_id, "mergeMemberId": b.member_id,
                                 "reason": "same person"}}, staff)
    before = (await api.data("{ me { points { total } } }", token=a.access_token))["me"]["points"]["total"]
    await api.data(CANCEL, {"id": redemption}, staff)
    after = (await api.data("{ me { points { total } } }", token=a.access_token))["me"]["points"]["total"]
    assert after == before + 300
    balances = await assert_books_balance(api.container.engine)
    assert balances[int(b.member_id)] == 0
