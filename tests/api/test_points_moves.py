"""Gifts, staff adjustments, history pages and the leaderboard."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from domain.store.tables import audit_log
from tests.support.client import ENGLISH, ApiClient, error_codes
from tests.support.program import configure_program
from tests.support.roles import staff_token

ADJUST = """mutation($i: AdjustPointsInput!) {
  adjustPoints(input: $i) { entry { id amount kind reason } balance { total } }
}"""
GIFT = """mutation($i: GiftPointsInput!) { giftPoints(input: $i) { entry { amount kind } balance { available } } }"""
POINTS = "{ me { points { available pending total } } }"
HISTORY = """query($first: Int!, $after: String, $kinds: [PointsEntryKind!]) {
  me { pointsHistory(first: $first, after: $after, kinds: $kinds) {
    edges { cursor node { id kind amount reason } } pageInfo { hasNextPage endCursor } } }
}"""
SETTINGS = """mutation($i: UpdateProgramSettingsInput!) { updateProgramSettings(input: $i) {
  settings { giftDailyLimitPoints giftMinTierRank } } }"""


@pytest.fixture
async def setup(api: ApiClient):
    await configure_program(api.container)
    alice = await api.sign_in("13800138000")
    bob = await api.sign_in("13900139000")
    staff = await staff_token(api)
    return api, alice, bob, staff


async def adjust(api: ApiClient, staff: str, member_id: str, amount: int, key: str, reason: str = "goodwill") -> dict:
    return await api.gql(ADJUST, {"i": {"memberId": member_id, "amount": amount, "reason": reason,
                                        "idempotencyKey": key}}, staff)


async def test_gift_moves_points_between_members_and_both_see_it(setup) -> None:
    api, alice, bob, staff = setup
    await adjust(api, staff, alice.member_id, 1000, "seed")
    code = (await api.data("{ me { memberCode } }", token=bob.access_token))["me"]["memberCode"]
    sent = await api.data(GIFT, {"i": {"recipient": {"memberCode": code}, "amount": 300, "idempotencyKey": "g-1",
                                       "message": "Happy birthday"}}, alice.access_token)
    assert sent["giftPoints"] == {"entry": {"amount": -300, "kind": "GIFT_OUT"}, "balance": {"available": 700}}
    retry = await api.data(GIFT, {"i": {"recipient": {"memberCode": code}, "amount": 300, "idempotencyKey": "g-1",
                                        "message": "Happy birthday"}}, alice.access_token)
    assert retry["giftPoints"]["balance"]["available"] == 700, "a retried gift moves points once"
    assert (await api.data(POINTS, token=bob.access_token))["me"]["points"]["available"] == 300
    bob_history = (await api.data(HISTORY, {"first": 5}, bob.access_token))["me"]["pointsHistory"]["edges"]
    assert [(e["node"]["kind"], e["node"]["amount"], e["node"]["reason"]) for e in bob_history] == [
        ("GIFT_IN", 300, "Happy birthday")]


async def test_gift_refusals_change_nothing(setup) -> None:
    api, alice, bob, staff = setup
    await adjust(api, staff, alice.member_id, 1000, "seed")
    to_bob = {"phone": "13900139000"}
    cases = [
        ({"recipient": {"phone": "13800138000"}, "amount": 10, "idempotencyKey": "self"}, "BAD_USER_INPUT"),
        ({"recipient": to_bob, "amount": 0, "idempotencyKey": "zero"}, "BAD_USER_INPUT"),
        ({"recipient": to_bob, "amount": -5, "idempotencyKey": "neg"}, "BAD_USER_INPUT"),
        ({"recipient": to_bob, "amount": 1001, "idempotencyKey": "much"}, "INSUFFICIENT_POINTS"),
        ({"recipient": {"phone": "13700137000"}, "amount": 1, "idempotencyKey": "nobody"}, "NOT_FOUND"),
        ({"recipient": to_bob, "amount": 1, "idempotencyKey": "bad key!"}, "BAD_USER_INPUT"),
    ]
    for gift, code in cases:
        assert error_codes(await api.gql(GIFT, {"i": gift}, alice.access_token)) == [code], gift
    await api.data(SETTINGS, {"i": {"giftDailyLimitPoints": 500}}, staff)
    await api.data(GIFT, {"i": {"recipient": to_bob, "amount": 400, "idempotencyKey": "ok"}}, alice.access_token)
    over = await api.gql(GIFT, {"i": {"recipient": to_bob, "amount": 101, "idempotencyKey": "over"}},
                         alice.access_token)
    assert error_codes(over) == ["LIMIT_EXCEEDED"]
    await api.data(SETTINGS, {"i": {"giftMinTierRank": 1}}, staff)
    low = await api.gql(GIFT, {"i": {"recipient": to_bob, "amount": 1, "idempotencyKey": "tier"}}, alice.access_token,
                        ENGLISH)
    assert error_codes(low) == ["FORBIDDEN"] and "Gold" in low["errors"][0]["message"]
    assert (await api.data(POINTS, token=alice.access_token))["me"]["points"]["total"] == 600
    assert (await api.data(POINTS, token=bob.access_token))["me"]["points"]["total"] == 400


async def test_staff_adjustments_need_a_reason_are_audited_and_cannot_overdraw(setup) -> None:
    api, alice, _bob, staff = setup
    assert error_codes(await adjust(api, staff, alice.member_id, 100, "r0", reason=" ")) == ["BAD_USER_INPUT"]
    assert error_codes(await adjust(api, staff, alice.member_id, 0, "r1")) == ["BAD_USER_INPUT"]
    assert error_codes(await adjust(api, alice.access_token, alice.member_id, 100, "r2")) == ["FORBIDDEN"]
    assert error_codes(await adjust(api, staff, "999999", 100, "r3")) == ["NOT_FOUND"]
    ok = await adjust(api, staff, alice.member_id, 250, "r4", reason="Compensation for broken gift")
    assert ok["data"]["adjustPoints"]["balance"]["total"] == 250
    assert error_codes(await adjust(api, staff, alice.member_id, -251, "r5")) == ["INSUFFICIENT_POINTS"]
    down = await adjust(api, staff, alice.member_id, -50, "r6", reason="Duplicate credit")
    assert down["data"]["adjustPoints"]["balance"]["total"] == 200
    async with api.container.engine.connect() as conn:
        rows = await conn.execute(select(audit_log).where(audit_log.c.action == "points.adjusted"))
        actions = [(r.action, r.detail["amount"]) for r in rows]
    assert actions == [("points.adjusted", 250), ("points.adjusted", -50)]


async def test_history_pages_with_cursors_and_filters(setup) -> None:
    api, alice, _bob, staff = setup
    for i in range(25):
        await adjust(api, staff, alice.member_id, i + 1, f"h{i}")
    await adjust(api, staff, alice.member_id, -3, "spend")
    seen: list[int] = []
    after = None
    pages = 0
    while True:
        page = (await api.data(HISTORY, {"first": 10, "after": after}, alice.access_token))["me"]["pointsHistory"]
        seen += [e["node"]["amount"] for e in page["edges"]]
        pages += 1
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert pages == 3
    assert seen == [-3, *range(25, 0, -1)], "newest first, nothing skipped or repeated"
    # Mixed kinds, so the filter has something to leave out.
    await api.data(GIFT, {"i": {"recipient": {"phone": "13900139000"}, "amount": 7, "idempotencyKey": "mix"}},
                   alice.access_token)
    adjusts = (await api.data(HISTORY, {"first": 10, "kinds": ["ADJUST"]}, alice.access_token))
    assert [e["node"]["amount"] for e in adjusts["me"]["pointsHistory"]["edges"]] == [-3, *range(25, 16, -1)]
    gifts = (await api.data(HISTORY, {"first": 10, "kinds": ["GIFT_OUT"]}, alice.access_token))
    assert [(e["node"]["kind"], e["node"]["amount"]) for e in gifts["me"]["pointsHistory"]["edges"]] == [
        ("GIFT_OUT", -7)]
    bad = await api.gql(HISTORY, {"first": 10, "after": "garbage"}, alice.access_token)
    assert error_codes(bad) == ["BAD_USER_INPUT"]
    assert error_codes(await api.gql(HISTORY, {"first": 500}, alice.access_token)) == ["BAD_USER_INPUT"]


async def test_staff_read_any_members_ledger_members_only_their_own(setup) -> None:
    api, alice, bob, staff = setup
    await adjust(api, staff, alice.member_id, 10, "x")
    lookup = """query($p: String!) {
      member(phone: $p) { points { total } pointsHistory(first: 5) { edges { node { amount } } } }
    }"""
    data = await api.data(lookup, {"p": "13800138000"}, staff)
    assert data["member"]["points"]["total"] == 10
    assert error_codes(await api.gql(lookup, {"p": "13800138000"}, bob.access_token)) == ["FORBIDDEN"]


async def test_leaderboard_ranks_earners_and_respects_opt_out(setup) -> None:
    api, alice, bob, staff = setup
    purchase = """mutation($p: String!, $o: String!, $c: Int!) { recordPurchase(input: {
      member: {phone: $p}, orderId: $o, storeId: "S1", amountCents: $c, items: [{category: "x", amountCents: $c}]
    }) { pointsEarned } }"""
    await api.data(purchase, {"p": "13800138000", "o": "L1", "c": 20_000}, staff)
    await api.data(purchase, {"p": "13900139000", "o": "L2", "c": 50_000}, staff)
    await api.data('mutation { updateProfile(input: {displayName: "Alice"}) { member { id } } }',
                   token=alice.access_token)
    board = "{ pointsLeaderboard(period: MONTH) { nodes { rank displayName points isMe } } }"
    rows = (await api.data(board, token=alice.access_token))["pointsLeaderboard"]["nodes"]
    assert [(r["rank"], r["points"], r["isMe"]) for r in rows] == [(1, 500, False), (2, 200, True)]
    paged = """query($after: String) { pointsLeaderboard(period: MONTH, first: 1, after: $after) {
      edges { node { rank points } } pageInfo { hasNextPage endCursor } } }"""
    top = (await api.data(paged, token=alice.access_token))["pointsLeaderboard"]
    assert [e["node"] for e in top["edges"]] == [{"rank": 1, "points": 500}] and top["pageInfo"]["hasNextPage"]
    second = (await api.data(paged, {"after": top["pageInfo"]["endCursor"]}, alice.access_token))["pointsLeaderboard"]
    assert [e["node"] for e in second["edges"]] == [{"rank": 2, "points": 200}]
    assert second["pageInfo"]["hasNextPage"] is False
    assert rows[1]["displayName"] == "A***", "names are masked"
    await api.data("mutation { updateProfile(input: {showOnLeaderboard: false}) { member { showOnLeaderboard } } }",
                   token=bob.access_token)
    rows = (await api.data(board, token=alice.access_token))["pointsLeaderboard"]["nodes"]
    assert [(r["rank"], r["points"]) for r in rows] == [(1, 200)]
    assert error_codes(await api.gql(board)) == ["UNAUTHENTICATED"]


@pytest.mark.postgres
async def test_concurrent_spends_never_overdraw(pg_api: ApiClient) -> None:
    api = pg_api
    await configure_program(api.container)
    alice = await api.sign_in("13800138000")
    await api.sign_in("13900139000")
    staff = await staff_token(api)
    await adjust(api, staff, alice.member_id, 1000, "seed")
    gifts = [api.gql(GIFT, {"i": {"recipient": {"phone": "13900139000"}, "amount": 70, "idempotencyKey": f"c{i}"}},
                     alice.access_token) for i in range(40)]
    bodies = await asyncio.gather(*gifts)
    ok = [b for b in bodies if "errors" not in b]
    assert len(ok) == 14, "1000 // 70 gifts fit"
    assert {c for b in bodies if "errors" in b for c in error_codes(b)} == {"INSUFFICIENT_POINTS"}
    assert (await api.data(POINTS, token=alice.access_token))["me"]["points"]["total"] == 1000 - 14 * 70


async def test_expiring_points_are_reported_and_expired_by_the_job(setup, monkeypatch) -> None:
    api, alice, _bob, staff = setup
    from domain.points.expiry import expire_points

    await adjust(api, staff, alice.member_id, 100, "old")
    moment = api.container.now() + timedelta(days=200)
    monkeypatch.setattr(api.container, "now", lambda: moment)
    await adjust(api, staff, alice.member_id, 40, "newer")
    soon = "{ me { points { available expiringSoon(days: 200) } } }"
    assert (await api.data(soon, token=alice.access_token))["me"]["points"] == {"available": 140, "expiringSoon": 100}

    expired_at = api.container.now() + timedelta(days=200)
    monkeypatch.setattr(api.container, "now", lambda: expired_at)
    counts = await expire_points(api.container.uow, expired_at)
    assert counts == {"members": 1, "lots": 1, "points": 100}
    assert await expire_points(api.container.uow, expired_at) == {"members": 0, "lots": 0, "points": 0}
    points = (await api.data(POINTS, token=alice.access_token))["me"]["points"]
    assert points == {"available": 40, "pending": 0, "total": 40}
    kinds = (await api.data(HISTORY, {"first": 1}, alice.access_token))["me"]["pointsHistory"]["edges"]
    assert kinds[0]["node"]["kind"] == "EXPIRE" and kinds[0]["node"]["amount"] == -100
