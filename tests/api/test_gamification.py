"""Gamification through GraphQL: points draws that are paid once, checkable after the draw and never
oversell a prize; badges and titles that appear once their rule is met; challenges with progress
and a reward paid once."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from domain.gamification.badges import STANDARD_BADGES
from domain.store.tables import member_badges
from tests.support.books import assert_books_balance
from tests.support.client import SIGN_IN, ApiClient, error_codes
from tests.support.program import configure_program
from tests.support.roles import staff_token

ADJUST = """mutation($m: ID!, $a: Int!, $k: String!) {
  adjustPoints(input: {memberId: $m, amount: $a, reason: "seed", idempotencyKey: $k}) { entry { id } } }"""
CREATE_DRAW = "mutation($i: DrawInput!) { createDraw(input: $i) { id seedHash seed prizes { id name stock } } }"
ENTER = """mutation($d: ID!, $k: String!) { enterDraw(drawId: $d, idempotencyKey: $k) {
  ticket { id roll pickedPrizeId claimCode prize { id name kind points } } draw { prizes { id stock } } } }"""
DRAW = "query($id: ID!) { draw(id: $id) { seed seedHash prizes { id chanceBp stock } } }"
POINTS = "{ me { points { total available } } }"
PURCHASE = """mutation($m: String!, $o: String!, $c: Int!) { recordPurchase(input: {
  member: {phone: $m}, orderId: $o, storeId: "S1", amountCents: $c, items: [{category: "x", amountCents: $c}] }) {
  pointsEarned } }"""
BADGES = "{ me { badges { title badges { badge { code name title } period current } } } }"
AWARD = "mutation { awardBadges }"
CHECK_IN = "mutation { checkIn { streak } }"


SAVE_BADGE = "mutation($i: BadgeInput!) { saveBadge(input: $i) { code threshold title } }"


async def standard_badges(api: ApiClient, staff: str) -> None:
    """What the demo program starts with, saved through the API as an operator would."""
    for b in STANDARD_BADGES:
        await api.data(SAVE_BADGE, {"i": {"code": b.code, "name": b.name, "nameEn": b.name_en, "title": b.title,
                                          "titleEn": b.title_en, "rule": b.rule.value, "threshold": b.threshold,
                                          "rank": b.rank}}, staff)


@pytest.fixture
async def setup(api: ApiClient):
    await configure_program(api.container)
    staff = await staff_token(api)
    await standard_badges(api, staff)
    return api, staff


def draw_input(api: ApiClient, prizes: list[dict], **extra: object) -> dict:
    now = api.container.now()
    return {"name": "双12积分抽奖", "ticketPoints": 100, "startsAt": (now - timedelta(hours=1)).isoformat(),
            "endsAt": (now + timedelta(days=1)).isoformat(), "prizes": prizes, **extra}


async def funded(api: ApiClient, staff: str, phone: str, points: int):
    member = await api.sign_in(phone)
    await api.data(ADJUST, {"m": member.member_id, "a": points, "k": f"fund-{phone}"}, staff)
    return member


async def test_a_ticket_is_paid_once_and_every_roll_can_be_checked_after_the_draw(setup, monkeypatch) -> None:
    api, staff = setup
    prizes = [{"name": "200积分", "kind": "POINTS", "chanceBp": 5000, "stock": 100, "points": 200},
              {"name": "保温杯", "kind": "GOODS", "chanceBp": 5000, "stock": 100}]
    draw = (await api.data(CREATE_DRAW, {"i": draw_input(api, prizes)}, staff))["createDraw"]
    assert draw["seed"] is None, "the seed stays secret while tickets are sold"
    alice = await funded(api, staff, "13800138000", 1_000)
    tickets = []
    for key in ("t-1", "t-2", "t-3", "t-4"):
        body = await api.data(ENTER, {"d": draw["id"], "k": key}, alice.access_token)
        tickets.append((key, body["enterDraw"]["ticket"]))
    retry = await api.data(ENTER, {"d": draw["id"], "k": "t-1"}, alice.access_token)
    assert retry["enterDraw"]["ticket"] == tickets[0][1], "a retry returns the same ticket"

    won_points = sum(t["prize"]["points"] for _k, t in tickets if t["prize"]["kind"] == "POINTS")
    goods = [t for _k, t in tickets if t["prize"]["kind"] == "GOODS"]
    assert all(t["claimCode"] and len(t["claimCode"]) == 10 for t in goods)
    points = (await api.data(POINTS, token=alice.access_token))["me"]["points"]
    assert points["total"] == 1_000 - 4 * 100 + won_points, "four tickets paid, the retry paid nothing"
    await assert_books_balance(api.container.engine)

    later = api.container.now() + timedelta(days=2)
    monkeypatch.setattr(api.container, "now", lambda: later)
    revealed = (await api.data(DRAW, {"id": draw["id"]}, alice.access_token))["draw"]
    seed = revealed["seed"]
    assert seed and hashlib.sha256(seed.encode()).hexdigest() == draw["seedHash"]
    draw_row_id = int(__import__("base64").urlsafe_b64decode(draw["id"]).decode().split(":")[1])
    ranges, floor = [], 0
    for p in revealed["prizes"]:
        ranges.append((floor, floor + p["chanceBp"], p["id"]))
        floor += p["chanceBp"]
    for key, ticket in tickets:
        digest = hmac.new(seed.encode(), f"{draw_row_id}:{alice.member_id}:{key}".encode(), hashlib.sha256).digest()
        assert ticket["roll"] == int.from_bytes(digest[:8], "big") % 10_000, "anyone can recompute the roll"
        assert ticket["pickedPrizeId"] == next(pid for lo, hi, pid in ranges if lo <= ticket["roll"] < hi)
    assert error_codes(await api.gql(ENTER, {"d": draw["id"], "k": "t-9"}, alice.access_token)) == ["NOT_ELIGIBLE"]


async def test_ticket_limits_points_and_bad_prize_tables_are_refused_and_change_nothing(setup) -> None:
    api, staff = setup
    bad = draw_input(api, [{"name": "A", "kind": "POINTS", "chanceBp": 6000, "stock": 1, "points": 10},
                           {"name": "B", "kind": "GOODS", "chanceBp": 6000, "stock": -1}], ticketPoints=0)
    body = await api.gql(CREATE_DRAW, {"i": bad}, staff)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    member = await api.sign_in("13900139000")
    assert error_codes(await api.gql(CREATE_DRAW, {"i": bad}, member.access_token)) == ["FORBIDDEN"]
    prizes = [{"name": "谢谢参与", "kind": "POINTS", "chanceBp": 1, "stock": 0, "points": 1}]
    draw = (await api.data(CREATE_DRAW, {"i": draw_input(api, prizes, ticketsPerMember=2)}, staff))["createDraw"]
    poor = await funded(api, staff, "13700137000", 250)
    for key in ("a", "b"):
        assert "errors" not in await api.gql(ENTER, {"d": draw["id"], "k": key}, poor.access_token)
    assert error_codes(await api.gql(ENTER, {"d": draw["id"], "k": "c"}, poor.access_token)) == ["LIMIT_EXCEEDED"]
    other = (await api.data(CREATE_DRAW, {"i": draw_input(api, prizes)}, staff))["createDraw"]
    assert error_codes(await api.gql(ENTER, {"d": other["id"], "k": "x"}, poor.access_token)) == [
        "INSUFFICIENT_POINTS"]
    assert (await api.data(POINTS, token=poor.access_token))["me"]["points"]["total"] == 50
    await assert_books_balance(api.container.engine)


@pytest.mark.postgres
async def test_forty_members_racing_for_three_prizes_never_oversell(pg_api: ApiClient) -> None:
    api = pg_api
    await configure_program(api.container)
    staff = await staff_token(api)
    prizes = [{"name": "iPhone", "kind": "GOODS", "chanceBp": 10_000, "stock": 3}]
    draw = (await api.data(CREATE_DRAW, {"i": draw_input(api, prizes)}, staff))["createDraw"]
    members = [await funded(api, staff, f"1380000{i:04d}", 100) for i in range(40)]
    bodies = await asyncio.gather(*(api.gql(ENTER, {"d": draw["id"], "k": "go"}, m.access_token) for m in members))
    assert all("errors" not in b for b in bodies), [b.get("errors") for b in bodies if "errors" in b][:2]
    tickets = [b["data"]["enterDraw"]["ticket"] for b in bodies]
    winners = [t for t in tickets if t["prize"] is not None]
    assert len(winners) == 3, "exactly the stock is won"
    assert all(t["pickedPrizeId"] == draw["prizes"][0]["id"] for t in tickets), "every roll picked the prize"
    assert len({t["claimCode"] for t in winners}) == 3
    stock = (await api.data(DRAW, {"id": draw["id"]}, staff))["draw"]["prizes"][0]["stock"]
    assert stock == 0
    balances = await assert_books_balance(api.container.engine)
    assert sorted(balances[int(m.member_id)] for m in members) == [0] * 40, "every ticket was paid"


async def test_streak_badge_appears_once_the_seventh_day_is_checked_in(setup, monkeypatch) -> None:
    api, staff = setup
    alice = await api.sign_in("13800138000")
    start = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    for day in range(7):
        moment = start + timedelta(days=day)
        monkeypatch.setattr(api.container, "now", lambda moment=moment: moment)
        await api.data(CHECK_IN, token=alice.access_token)
        await api.data(AWARD, token=staff)
        held = (await api.data(BADGES, token=alice.access_token))["me"]["badges"]["badges"]
        assert [b["badge"]["code"] for b in held] == (["STREAK_7"] if day == 6 else []), day
    assert await api.data(AWARD, token=staff) == {"awardBadges": 0}, "a second run awards nothing"
    bad = await api.gql(SAVE_BADGE, {"i": {"code": "x", "name": "", "nameEn": "A", "title": "头衔",
                                           "rule": "CHECKIN_STREAK", "threshold": 0}}, staff)
    assert {e["field"] for e in bad["errors"][0]["extensions"]["fieldErrors"]} == {"code", "name", "titleEn",
                                                                                  "threshold"}
    english = await api.post(BADGES, token=alice.access_token, headers={"Accept-Language": "en"})
    assert english.json()["data"]["me"]["badges"]["badges"][0]["badge"]["name"] == "7-Day Streak"

    # The award is announced in the member's inbox, in their language.
    from domain.messaging.model import SendPolicy
    from domain.messaging.sending import send_due_messages
    from domain.messaging.triggers import run_message_triggers

    assert (await run_message_triggers(api.container.uow, api.container.clock))["badge-awarded"] > 0
    assert (await run_message_triggers(api.container.uow, api.container.clock))["badge-awarded"] == 0
    await send_due_messages(api.container.uow, {}, SendPolicy(None, daily_cap=10, weekly_cap=20),
                            api.container.clock)
    inbox = await api.gql("{ me { notifications(first: 5) { edges { node { kind body } } } } }",
                          token=alice.access_token, headers={"Accept-Language": "en"})
    assert [e["node"] for e in inbox["data"]["me"]["notifications"]["edges"]] == [
        {"kind": "BADGE_AWARDED", "body": "Congratulations! You earned the 7-Day Streak badge."}]

    erase = """mutation($m: ID!) { eraseMember(input: {memberId: $m, confirmation: "ERASE MY DATA",
      reason: "hotline"}) { alreadyErased } }"""
    await api.data(erase, {"m": alice.member_id}, staff)
    async with api.container.engine.connect() as conn:
        held = await conn.scalar(select(func.count()).select_from(member_badges)
                                 .where(member_badges.c.member_id == int(alice.member_id)))
    assert held == 0, "erasure takes the badges (and the title on their posts) with it"


async def test_the_months_top_earners_carry_the_points_hero_title_through_the_next_month(setup, monkeypatch) -> None:
    api, staff = setup
    phones = {"13800138000": 90_000, "13900139000": 50_000, "13700137000": 70_000}
    # Signed in before the clock moves: tokens are checked against the real time.
    sessions = {p: await api.sign_in(p) for p in phones}
    november = datetime(2026, 11, 10, 4, 0, tzinfo=UTC)
    monkeypatch.setattr(api.container, "now", lambda: november)
    for phone, cents in phones.items():
        await api.data(PURCHASE, {"m": phone, "o": f"N-{phone}", "c": cents}, staff)
    hero = next(b for b in STANDARD_BADGES if b.code == "POINTS_HERO")
    saved = await api.data(SAVE_BADGE, {"i": {"code": "POINTS_HERO", "name": hero.name, "nameEn": hero.name_en,
                                              "title": "积分英雄", "titleEn": "Points Hero",
                                              "rule": "TOP_EARNERS_OF_MONTH", "threshold": 2, "rank": 30}}, staff)
    assert saved["saveBadge"]["threshold"] == 2, "saving an existing code changes that badge"
    await api.data(AWARD, token=staff)
    assert (await api.data(BADGES, token=sessions["13800138000"].access_token))["me"]["badges"]["title"] is None, \
        "November's heroes are named once November is over"

    december = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 09:00 on 1 December in Shanghai
    monkeypatch.setattr(api.container, "now", lambda: december)
    await api.data(PURCHASE, {"m": "13900139000", "o": "D-1", "c": 900_000}, staff)  # December does not count
    await api.data(AWARD, token=staff)
    titles = {p: (await api.data(BADGES, token=s.access_token))["me"]["badges"] for p, s in sessions.items()}
    assert {p for p, t in titles.items() if t["title"] == "积分英雄"} == {"13800138000", "13700137000"}
    assert titles["13800138000"]["badges"][0]["period"] == "2026-11"
    assert await api.data(AWARD, token=staff) == {"awardBadges": 0}

    post = await api.data('mutation { createPost(input: {body: "新品到了"}) { post { author { title } } } }',
                          token=sessions["13800138000"].access_token)
    assert post["createPost"]["post"]["author"]["title"] == "积分英雄", "the community shows the title"

    february = datetime(2027, 2, 1, 1, 0, tzinfo=UTC)
    monkeypatch.setattr(api.container, "now", lambda: february)
    later = (await api.data(BADGES, token=sessions["13800138000"].access_token))["me"]["badges"]
    assert later["title"] is None and later["badges"][0]["current"] is False, "the title lapses after December"


async def test_silver_referrer_badge_after_three_invitees_buy(setup) -> None:
    api, staff = setup
    alice = await api.sign_in("13800138000")
    code = (await api.data("{ me { referrals { inviteCode } } }", token=alice.access_token))["me"]["referrals"][
        "inviteCode"]
    invite = SIGN_IN.replace("$code: String!)", "$code: String!, $invite: String)").replace(
        "code: $code)", "code: $code, inviteCode: $invite)")
    for i in range(3):
        phone = f"1390000{i:04d}"
        await api.data(invite, {"phone": phone, "code": await api.request_code(phone), "invite": code})
        await api.data(PURCHASE, {"m": phone, "o": f"R-{i}", "c": 10_000}, staff)
        await api.data(AWARD, token=staff)
        shelf = (await api.data(BADGES, token=alice.access_token))["me"]["badges"]
        assert shelf["title"] == ("银牌推荐官" if i == 2 else None), i


CHALLENGE = """mutation($i: ChallengeInput!) { saveChallenge(input: $i) { id target } }"""
MY_CHALLENGES = "{ me { challenges { challenge { id name } progress completed claimed } } }"
CLAIM = "mutation($c: ID!) { claimChallengeReward(challengeId: $c) { progress completed claimed } }"


async def test_a_challenge_counts_purchases_in_its_window_and_pays_once(setup) -> None:
    api, staff = setup
    now = api.container.now()
    challenge = (await api.data(CHALLENGE, {"i": {
        "name": "本月购物3次", "goal": "PURCHASES", "target": 2, "rewardPoints": 300,
        "startsAt": (now - timedelta(days=1)).isoformat(), "endsAt": (now + timedelta(days=30)).isoformat()}},
        staff))["saveChallenge"]
    alice = await api.sign_in("13800138000")
    await api.data(PURCHASE, {"m": "13800138000", "o": "C-1", "c": 10_000}, staff)
    mine = (await api.data(MY_CHALLENGES, token=alice.access_token))["me"]["challenges"]
    assert [(c["progress"], c["completed"], c["claimed"]) for c in mine] == [(1, False, False)]
    early = await api.gql(CLAIM, {"c": challenge["id"]}, alice.access_token)
    assert error_codes(early) == ["NOT_ELIGIBLE"]
    await api.data(PURCHASE, {"m": "13800138000", "o": "C-2", "c": 10_000}, staff)
    before = (await api.data(POINTS, token=alice.access_token))["me"]["points"]["total"]
    bodies = await asyncio.gather(*(api.gql(CLAIM, {"c": challenge["id"]}, alice.access_token) for _ in range(3)))
    assert all(b["data"]["claimChallengeReward"] == {"progress": 2, "completed": True, "claimed": True}
               for b in bodies), bodies
    after = (await api.data(POINTS, token=alice.access_token))["me"]["points"]["total"]
    assert after == before + 300, "three taps, one reward"
    await assert_books_balance(api.container.engine)
    bad = await api.gql(CHALLENGE, {"i": {"name": "", "goal": "SPEND", "target": 0, "rewardPoints": 1,
                                          "startsAt": now.isoformat(), "endsAt": now.isoformat()}}, staff)
    fields = {e["field"] for e in bad["errors"][0]["extensions"]["fieldErrors"]}
    assert fields == {"name", "target", "endsAt"}
