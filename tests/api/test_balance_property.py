"""The proof of issue #14: after any sequence of member, staff, partner-free and job mutations, with
Redis running, paused (SIGSTOP) and resumed between steps, every member's `me { points }` equals
their ledger sum in SQL, read straight from the tables, after every step. PostgreSQL + redis-server."""

from __future__ import annotations

import asyncio
import itertools
import signal
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from api.app import create_app
from api.sms import DevCodeSink
from domain.offers.birthday import birthday_rewards
from domain.store.tables import points_entries
from domain.tiers.services import evaluate_tiers
from tests.conftest import app_settings, truncate_all
from tests.support.catalog import add_reward
from tests.support.client import SIGN_IN, ApiClient
from tests.support.program import configure_program
from tests.support.roles import staff_token
from tests.support.servers import redis_server

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

PHONES = ["13800000001", "13800000002", "13800000003", "13800000004"]  # the 4th is referred by the 1st
EXAMPLES = 10
STEPS = 14

PURCHASE = """mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned } }"""
REFUND = """mutation($i: RecordRefundInput!) { recordRefund(input: $i) { refund { id } } }"""
REDEEM = """mutation($r: ID!, $k: String!) { redeemReward(input: {rewardId: $r, quantity: 1, idempotencyKey: $k}) {
  redemption { id } } }"""
CANCEL = "mutation($id: ID!) { cancelRedemption(id: $id) { redemption { status } } }"
GIFT = """mutation($to: String!, $a: Int!, $k: String!) { giftPoints(input: {recipient: {phone: $to}, amount: $a,
  idempotencyKey: $k}) { entry { id } } }"""
ADJUST = """mutation($m: ID!, $a: Int!, $k: String!) { adjustPoints(input: {memberId: $m, amount: $a,
  reason: "property", idempotencyKey: $k}) { entry { id } } }"""
CHECK_IN = "mutation { checkIn { points } }"
LIKE = "mutation($p: ID!) { likePost(postId: $p) { post { likeCount } } }"
ANSWER = """mutation($s: ID!, $k: String!) { answerSurvey(surveyId: $s, score: 9, idempotencyKey: $k) {
  answer { pointsAwarded } } }"""
SIGN_UP = "mutation($e: ID!) { signUpForEvent(eventId: $e) { checkinCode } }"
DOOR = "mutation($c: String!) { checkInAttendee(code: $c) { status } }"
POINTS = "{ me { points { total available pending } } }"

member_index = st.integers(0, len(PHONES) - 1)
step = st.one_of(
    st.tuples(st.just("purchase"), member_index, st.integers(100, 2_000_000), st.sampled_from([0, 0, 3, 40])),
    st.tuples(st.just("refund"), st.integers(0, 20), st.integers(1, 2_000_000)),
    st.tuples(st.just("redeem"), member_index),
    st.tuples(st.just("cancel"), st.integers(0, 20)),
    st.tuples(st.just("gift"), member_index, member_index, st.integers(1, 400)),
    st.tuples(st.just("adjust"), member_index, st.integers(-300, 300).filter(bool)),
    st.tuples(st.just("check_in"), member_index),
    st.tuples(st.just("like"), member_index, member_index),
    st.tuples(st.just("survey"), member_index),
    st.tuples(st.just("attend"), member_index),
    st.tuples(st.just("birthday_job")),
    st.tuples(st.just("tier_review"), st.sampled_from([0, 400])),
    st.tuples(st.just("pause")),
    st.tuples(st.just("resume")),
)


class World:
    """One fresh program on PostgreSQL with its own redis-server, driven through the API."""

    def __init__(self, api: ApiClient, redis_proc, staff: str) -> None:
        self.api, self.redis_proc, self.staff = api, redis_proc, staff
        self.tokens: list[str] = []
        self.member_ids: list[int] = []
        self.posts: list[str] = []
        self.orders: list[str] = []
        self.redemptions: list[tuple[int, str]] = []
        self.codes: dict[int, str] = {}
        self.reward = self.survey = self.event = ""
        self.paused = False
        self.keys = itertools.count()

    def key(self, prefix: str) -> str:
        return f"{prefix}-{next(self.keys)}"

    async def call(self, query: str, variables: dict | None = None, token: str | None = None) -> dict:
        body = await self.api.gql(query, variables or {}, token)
        codes = [e.get("extensions", {}).get("code") for e in body.get("errors", [])]
        assert "INTERNAL_SERVER_ERROR" not in codes, body
        return body

    def pause(self) -> None:
        if not self.paused:
            self.redis_proc.send_signal(signal.SIGSTOP)
            self.paused = True

    def resume(self) -> None:
        if self.paused:
            self.redis_proc.send_signal(signal.SIGCONT)
            self.paused = False


async def build_world(api: ApiClient, redis_proc) -> World:
    container = api.container
    await configure_program(container)
    staff = await staff_token(api)
    world = World(api, redis_proc, staff)
    for rule in ('{kind: ACTIVITY, name: "Likes", activity: COMMUNITY_LIKE_RECEIVED, points: 2, cap: 10}',
                 '{kind: ACTIVITY, name: "Check-in", activity: CHECK_IN, points: 5}',
                 '{kind: ACTIVITY, name: "Birthday", activity: BIRTHDAY, points: 100}'):
        await api.data(f"mutation {{ saveEarningRule(input: {rule}) {{ rule {{ id }} }} }}", token=staff)
    for phone in PHONES[:3]:
        member = await api.sign_in(phone)
        world.tokens.append(member.access_token)
        world.member_ids.append(int(member.member_id))
    invite = (await api.data("{ me { referrals { inviteCode } } }", token=world.tokens[0]))["me"]["referrals"][
        "inviteCode"]
    sms = await api.request_code(PHONES[3])
    signed = await api.data(SIGN_IN.replace("$code: String!)", "$code: String!, $invite: String)").replace(
        "code: $code)", "code: $code, inviteCode: $invite)"), {"phone": PHONES[3], "code": sms, "invite": invite})
    world.tokens.append(signed["signIn"]["session"]["accessToken"])
    world.member_ids.append(int((await api.data("{ me { id } }", token=world.tokens[3]))["me"]["id"]))
    today = container.today()
    await api.data("mutation($b: Date!) { updateProfile(input: {birthday: $b}) { member { id } } }",
                   {"b": today.replace(year=1990).isoformat()}, world.tokens[1])
    for token in world.tokens:
        world.posts.append((await api.data('mutation { createPost(input: {body: "hi"}) { post { id } } }',
                                           token=token))["createPost"]["post"]["id"])
    world.reward = str((await add_reward(container, "Coffee", price=150, stock=1000)).id)
    now = container.now()
    survey = (await api.data("mutation($i: SaveSurveyInput!) { saveSurvey(input: $i) { id } }", {"i": {
        "kind": "NPS", "question": "Would you recommend us?", "trigger": "AFTER_PURCHASE", "purchaseWithinDays": 7,
        "points": 50, "startsAt": (now - timedelta(hours=1)).isoformat(),
        "endsAt": (now + timedelta(days=30)).isoformat()}}, staff))["saveSurvey"]["id"]
    await api.data("mutation($id: ID!) { publishSurvey(id: $id) { id } }", {"id": survey}, staff)
    world.survey = survey
    world.event = (await api.data("mutation($i: SaveEventInput!) { saveEvent(input: $i) { id } }", {"i": {
        "title": "Tasting", "capacity": 10, "attendancePoints": 30,
        "signupOpensAt": (now - timedelta(days=1)).isoformat(), "signupClosesAt": (now + timedelta(days=5)).isoformat(),
        "startsAt": (now + timedelta(days=6)).isoformat()}}, staff))["saveEvent"]["id"]
    return world


async def run_step(world: World, op: tuple) -> None:
    api, staff, kind = world.api, world.staff, op[0]
    container = api.container
    if kind == "purchase":
        _, who, cents, days_ago = op
        order = world.key("O")
        body = await world.call(PURCHASE, {"i": {
            "member": {"phone": PHONES[who]}, "orderId": order, "storeId": "S1", "amountCents": cents,
            "purchasedAt": (container.now() - timedelta(days=days_ago)).isoformat(),
            "items": [{"category": "x", "amountCents": cents}]}}, staff)
        if "errors" not in body:
            world.orders.append(order)
    elif kind == "refund" and world.orders:
        await world.call(REFUND, {"i": {"orderId": world.orders[op[1] % len(world.orders)], "storeId": "S1",
                                        "refundId": world.key("R"), "amountCents": op[2]}}, staff)
    elif kind == "redeem":
        body = await world.call(REDEEM, {"r": world.reward, "k": world.key("rd")}, world.tokens[op[1]])
        if "errors" not in body:
            world.redemptions.append((op[1], body["data"]["redeemReward"]["redemption"]["id"]))
    elif kind == "cancel" and world.redemptions:
        who, rid = world.redemptions[op[1] % len(world.redemptions)]
        await world.call(CANCEL, {"id": rid}, world.tokens[who])
    elif kind == "gift":
        await world.call(GIFT, {"to": PHONES[op[2]], "a": op[3], "k": world.key("g")}, world.tokens[op[1]])
    elif kind == "adjust":
        await world.call(ADJUST, {"m": world.member_ids[op[1]], "a": op[2], "k": world.key("a")}, staff)
    elif kind == "check_in":
        await world.call(CHECK_IN, token=world.tokens[op[1]])
    elif kind == "like":
        await world.call(LIKE, {"p": world.posts[op[2]]}, world.tokens[op[1]])
    elif kind == "survey":
        await world.call(ANSWER, {"s": world.survey, "k": world.key("s")}, world.tokens[op[1]])
    elif kind == "attend":
        who = op[1]
        if who not in world.codes:
            body = await world.call(SIGN_UP, {"e": world.event}, world.tokens[who])
            if "errors" in body:
                return
            world.codes[who] = body["data"]["signUpForEvent"]["checkinCode"]
        await world.call(DOOR, {"c": world.codes[who]}, staff)
    elif kind == "birthday_job":
        await birthday_rewards(container.uow, container.now(), container.today())
    elif kind == "tier_review":
        await evaluate_tiers(container.uow, container.now() + timedelta(days=op[1]))
    elif kind == "pause":
        world.pause()
    elif kind == "resume":
        world.resume()


async def assert_every_balance_is_the_ledger(world: World, after: list[tuple]) -> None:
    async with world.api.container.engine.connect() as conn:
        ledger = dict((await conn.execute(select(points_entries.c.member_id, func.sum(points_entries.c.amount))
                                          .group_by(points_entries.c.member_id))).all())
    for member_id, token in zip(world.member_ids, world.tokens, strict=True):
        shown = (await world.api.data(POINTS, token=token))["me"]["points"]
        assert shown["total"] == int(ledger.get(member_id, 0)), (member_id, shown, ledger, after)
        assert shown["available"] + shown["pending"] == shown["total"]


sequences_run: list[int] = []


@pytest.fixture
def make_pg_client(pg_url: str):
    def make(**overrides: object) -> ApiClient:
        sink = DevCodeSink()
        return ApiClient(create_app(app_settings(pg_url, **overrides), code_sender=sink), sink)
    return make


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=st.lists(step, min_size=4, max_size=STEPS))
async def test_every_balance_equals_the_ledger_after_every_step(ops: list[tuple], pg_url: str,
                                                                make_pg_client) -> None:
    await truncate_all(pg_url)
    with redis_server() as (url, proc):
        api = make_pg_client(redis_url=url, redis_prefix="prop:")
        # A short breaker, so that steps right after a resume go back to Redis and meet the repairs.
        api.container.cache.breaker.open_seconds = 0.05
        world = await build_world(api, proc)
        try:
            for i, op in enumerate(ops):
                await run_step(world, op)
                await assert_every_balance_is_the_ledger(world, ops[:i + 1])
            world.resume()
            await asyncio.sleep(0.06)  # the breaker closes: the last check reads through Redis again
            await assert_every_balance_is_the_ledger(world, ops)
        finally:
            world.resume()
            await api.close()
            await api.container.close()
    sequences_run.append(len(ops))
