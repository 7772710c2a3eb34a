"""Journeys a member app makes through the public API, with the `gql` client over HTTP and
graphql-transport-ws, on PostgreSQL + Redis: each screen is built from the SDL alone."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from gql import GraphQLRequest

from tests.contract.conftest import App
from tests.support.catalog import add_reward

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

PHONE = "+8613800138000"
ADJUST = """mutation($m: ID!, $a: Int!, $k: String!) {
  adjustPoints(input: {memberId: $m, amount: $a, reason: "contract", idempotencyKey: $k}) { entry { id } } }"""
SIGN_IN_HOME = """mutation SignIn($phone: String!, $code: String!) {
  signIn(phone: $phone, code: $code) {
    isNewMember
    session { accessToken refreshToken }
    member { id displayName points { available pending total } tier { current { code name } next { code } }
             coupons(first: 5) { totalCount nodes { name } } availableCouponsCount }
  } }"""


async def sign_up(app: App, phone: str = PHONE) -> tuple[str, str]:
    """(access token, member id) of a member who signed up through the app's two calls."""
    await app.run("mutation($p: String!) { requestLoginCode(phone: $p) { maskedPhone } }", {"p": phone})
    data = await app.run(SIGN_IN_HOME, {"phone": phone, "code": app.code_for(phone)})
    return data["signIn"]["session"]["accessToken"], data["signIn"]["member"]["id"]


async def test_sign_up_and_paint_the_home_screen_from_the_sign_in_payload(app: App) -> None:
    await app.run("mutation($p: String!) { requestLoginCode(phone: $p) { maskedPhone } }", {"p": PHONE})
    data = (await app.run(SIGN_IN_HOME, {"phone": PHONE, "code": app.code_for(PHONE)}))["signIn"]
    assert data["isNewMember"] is True and data["session"]["accessToken"] and data["session"]["refreshToken"]
    home = data["member"]
    assert home["points"] == {"available": 0, "pending": 0, "total": 0}
    assert home["tier"]["current"]["code"] == "BASE" and home["tier"]["next"]["code"] == "GOLD"
    assert home["coupons"]["totalCount"] == 0 and home["availableCouponsCount"] == 0
    me = await app.run("{ me { id } }", token=data["session"]["accessToken"])
    assert me["me"]["id"] == home["id"]


async def test_history_pages_forwards_then_back(app: App) -> None:
    token, member_id = await sign_up(app)
    for i in range(7):
        await app.run(ADJUST, {"m": member_id, "a": 10 + i, "k": f"h{i}"}, app.staff)
    page = """query($first: Int, $after: String, $last: Int, $before: String) { me {
      pointsHistory(first: $first, after: $after, last: $last, before: $before) {
        edges { cursor node { amount balanceAfter } }
        pageInfo { hasNextPage endCursor hasPreviousPage startCursor } } } }"""
    first = (await app.run(page, {"first": 3}, token))["me"]["pointsHistory"]
    assert [e["node"]["amount"] for e in first["edges"]] == [16, 15, 14]
    assert [e["node"]["balanceAfter"] for e in first["edges"]] == [91, 75, 60]
    second = (await app.run(page, {"first": 3, "after": first["pageInfo"]["endCursor"]}, token))["me"]["pointsHistory"]
    assert [e["node"]["amount"] for e in second["edges"]] == [13, 12, 11]
    assert second["pageInfo"]["hasNextPage"] is True and second["pageInfo"]["hasPreviousPage"] is True
    back = (await app.run(page, {"last": 2, "before": second["pageInfo"]["startCursor"]}, token))["me"]
    assert [e["node"]["amount"] for e in back["pointsHistory"]["edges"]] == [15, 14]
    assert back["pointsHistory"]["pageInfo"]["hasPreviousPage"] is True


async def test_wallet_with_coupon_details(app: App) -> None:
    token, member_id = await sign_up(app)
    template = (await app.run("""mutation { saveCouponTemplate(input: {name: "满300减50", kind: SPEND_AND_SAVE,
      valueCents: 5000, minSpendCents: 30000, validDays: 14, categories: ["beauty"]}) { template { id } } }""",
                              token=app.staff))["saveCouponTemplate"]["template"]["id"]
    await app.run("""mutation($t: ID!, $m: ID!) { issueCoupons(input: {templateId: $t, idempotencyKey: "w",
      memberIds: [$m]}) { issued } }""", {"t": template, "m": member_id}, app.staff)
    wallet = (await app.run("""{ me { availableCouponsCount coupons(first: 10) { totalCount edges { node {
      id name kind valueCents minSpendCents categories validUntil usageTerms status discountCents } } } } }""",
                            token=token))["me"]
    assert wallet["availableCouponsCount"] == 1 and wallet["coupons"]["totalCount"] == 1
    card = wallet["coupons"]["edges"][0]["node"]
    assert (card["name"], card["kind"], card["valueCents"], card["minSpendCents"], card["status"]) == (
        "满300减50", "SPEND_AND_SAVE", 5_000, 30_000, "AVAILABLE")
    assert card["discountCents"] == 5_000 and card["categories"] == ["beauty"] and card["usageTerms"]
    detail = await app.run("query($id: ID!) { coupon(id: $id) { id name } }", {"id": card["id"]}, token)
    assert detail["coupon"] == {"id": card["id"], "name": "满300减50"}


async def test_catalog_to_reward_detail_to_redeem_to_voucher(app: App) -> None:
    token, member_id = await sign_up(app)
    await app.run(ADJUST, {"m": member_id, "a": 1_000, "k": "seed"}, app.staff)
    await add_reward(app.api.container, name="Latte", price=300, per_member_limit=2)
    catalog = (await app.run("""{ rewards(affordableNow: true, first: 10) { edges { node { id name pointsPrice
      eligibleForMe } } } }""", token=token))["rewards"]["edges"]
    latte = next(e["node"] for e in catalog if e["node"]["name"] == "Latte")
    assert latte["eligibleForMe"] is True
    detail = (await app.run("""query($id: ID!) { reward(id: $id) { name remainingForMe notEligibleReason } }""",
                            {"id": latte["id"]}, token))["reward"]
    assert detail == {"name": "Latte", "remainingForMe": 2, "notEligibleReason": None}
    redeemed = (await app.run("""mutation($r: ID!) { redeemReward(input: {rewardId: $r, idempotencyKey: "r1"}) {
      redemption { id voucherCode status } } }""", {"r": latte["id"]}, token))["redeemReward"]["redemption"]
    voucher = (await app.run("""query($id: ID!) { redemption(id: $id) { voucherCode status reward { name } } }""",
                             {"id": redeemed["id"]}, token))["redemption"]
    assert voucher == {"voucherCode": redeemed["voucherCode"], "status": "ISSUED", "reward": {"name": "Latte"}}
    after = (await app.run("query($id: ID!) { reward(id: $id) { remainingForMe } me { points { available } } }",
                           {"id": latte["id"]}, token))
    assert after["reward"]["remainingForMe"] == 1 and after["me"]["points"]["available"] == 700


async def test_post_detail_with_comments(app: App) -> None:
    token, _ = await sign_up(app)
    friend, _ = await sign_up(app, "+8613900139000")
    post = (await app.run('mutation { createPost(input: {body: "New in store"}) { post { id } } }',
                          token=token))["createPost"]["post"]["id"]
    for i in range(4):
        await app.run("mutation($p: ID!, $b: String!) { commentOnPost(postId: $p, body: $b) { comment { id } } }",
                      {"p": post, "b": f"c{i}"}, friend)
    detail = """query($id: ID!, $after: String) { post(id: $id) { id body
      comments(first: 3, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { body } } } }"""
    first = (await app.run(detail, {"id": post}, friend))["post"]
    assert first["body"] == "New in store" and first["comments"]["totalCount"] == 4
    more = (await app.run(detail, {"id": post, "after": first["comments"]["pageInfo"]["endCursor"]}, friend))
    assert [c["body"] for c in first["comments"]["nodes"] + more["post"]["comments"]["nodes"]] == [
        "c0", "c1", "c2", "c3"]
    node = await app.run("query($id: ID!) { node(id: $id) { ... on Post { body } } }", {"id": post}, friend)
    assert node["node"]["body"] == "New in store"


async def test_event_detail_and_sign_up(app: App) -> None:
    token, _ = await sign_up(app)
    now = app.api.container.now()
    event = (await app.run("""mutation($i: SaveEventInput!) { saveEvent(input: $i) { id } }""", {"i": {
        "title": "Tasting", "capacity": 5, "startsAt": (now + timedelta(days=3)).isoformat(),
        "signupOpensAt": (now - timedelta(hours=1)).isoformat(),
        "signupClosesAt": (now + timedelta(days=2)).isoformat()}}, app.staff))["saveEvent"]["id"]
    listed = (await app.run("{ upcomingEvents { id title } }", token=token))["upcomingEvents"]
    assert {"id": event, "title": "Tasting"} in listed
    query = "query($id: ID!) { event(id: $id) { seatsLeft signupOpen mySignup { status checkinCode } } }"
    assert (await app.run(query, {"id": event}, token))["event"] == {"seatsLeft": 5, "signupOpen": True,
                                                                    "mySignup": None}
    await app.run("mutation($e: ID!) { signUpForEvent(eventId: $e) { status } }", {"e": event}, token)
    after = (await app.run(query, {"id": event}, token))["event"]
    assert after["seatsLeft"] == 4 and after["mySignup"]["status"] == "SIGNED_UP"


POINTS_CHANGED = """subscription($after: String) { pointsChanged(after: $after) {
  kind cursor entry { amount balanceAfter } balance { total } } }"""


async def _long_history(app: App, member_id: int, count: int) -> None:
    from sqlalchemy import insert

    from domain.store.tables import points_entries

    now = app.api.container.now()
    async with app.api.container.engine.begin() as conn:
        await conn.execute(insert(points_entries), [
            dict(member_id=member_id, kind="ADJUST", amount=1 if i % 2 == 0 else -1, reason="history",
                 source_type="test", source_ref=str(i), idempotency_key=f"long:{i}", details={}, created_at=now)
            for i in range(count)])


async def test_subscription_connect_without_and_with_after_on_a_long_history(app: App) -> None:
    token, member_id = await sign_up(app)
    await _long_history(app, int(member_id), 1_104)
    async with app.ws(token) as session:
        updates = session.subscribe(GraphQLRequest(POINTS_CHANGED))
        current = (await asyncio.wait_for(anext(updates), 5))["pointsChanged"]
        assert current["kind"] == "CURRENT" and current["entry"] is None and current["balance"]["total"] == 0
        await app.run(ADJUST, {"m": member_id, "a": 40, "k": "live"}, app.staff)
        live = (await asyncio.wait_for(anext(updates), 2))["pointsChanged"]
        assert live["kind"] == "ITEM" and live["entry"] == {"amount": 40, "balanceAfter": 40}
        await updates.aclose()
    # Offline for two changes, then resume from the cursor: exactly those, in order.
    await app.run(ADJUST, {"m": member_id, "a": 5, "k": "offline-1"}, app.staff)
    await app.run(ADJUST, {"m": member_id, "a": -3, "k": "offline-2"}, app.staff)
    async with app.ws(token) as session:
        updates = session.subscribe(GraphQLRequest(POINTS_CHANGED, variable_values={"after": live["cursor"]}))
        missed = [(await asyncio.wait_for(anext(updates), 5))["pointsChanged"] for _ in range(2)]
        assert [(m["entry"]["amount"], m["entry"]["balanceAfter"]) for m in missed] == [(5, 45), (-3, 42)]
        await updates.aclose()
    # Resuming from the very start of a long history: one RESYNC, not 1,100 replayed entries.
    async with app.ws(token) as session:
        updates = session.subscribe(GraphQLRequest(POINTS_CHANGED, variable_values={"after": "1"}))
        resync = (await asyncio.wait_for(anext(updates), 5))["pointsChanged"]
        assert resync["kind"] == "RESYNC" and resync["balance"]["total"] == 42
        await updates.aclose()
