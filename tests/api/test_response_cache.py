"""The per-member response cache of persisted queries (api/response_cache.py): after every kind of
write the cached home query depends on, and across the clock's boundaries, the member's next home
query shows the change. On SQLite with the in-process cache and on PostgreSQL with redis-server."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

# The member home screen's document, as the bench sends it: the cache is tested on what it is measured on.
from bench.home import HOME, HOME_SHA
from domain.points.expiry import expire_points
from tests.api.test_coupons import REDEEM as REDEEM_COUPON
from tests.api.test_coupons import basket, template
from tests.conftest import _client_factory, _close
from tests.support.catalog import add_reward
from tests.support.client import ApiClient
from tests.support.program import configure_program
from tests.support.roles import staff_token

ADJUST = """mutation($m: ID!, $a: Int!, $k: String!) { adjustPoints(input: {memberId: $m, amount: $a,
  reason: "cache test", idempotencyKey: $k}) { entry { id } } }"""
PURCHASE = """mutation($p: String!, $o: String!, $c: Int!, $at: DateTime) { recordPurchase(input: {
  member: {phone: $p}, orderId: $o, storeId: "S1", amountCents: $c,
  items: [{category: "x", amountCents: $c}], purchasedAt: $at }) { pointsEarned } }"""
REDEEM = """mutation($r: ID!, $k: String!) { redeemReward(input: {rewardId: $r, idempotencyKey: $k}) {
  redemption { id } } }"""
CHECK_IN = "mutation { checkIn { points } }"
CHECK_IN_RULE = """mutation { saveEarningRule(input: {kind: ACTIVITY, name: "Check-in", activity: CHECK_IN,
  points: 10}) { rule { id } } }"""
GIFT = """mutation($c: String!, $a: Int!, $k: String!) { giftPoints(input: {recipient: {memberCode: $c}, amount: $a,
  idempotencyKey: $k}) { entry { id } } }"""
ISSUE = """mutation($i: IssueCouponsInput!) { issueCoupons(input: $i) { issued } }"""
PROFILE = """mutation($n: String!) { updateProfile(input: {displayName: $n}) { member { displayName } } }"""
SAVE_REWARD = """mutation($i: SaveRewardInput!) { saveReward(input: $i) { reward { id name } } }"""
SETTINGS = """mutation($i: UpdateProgramSettingsInput!) { updateProgramSettings(input: $i) { settings {
  expiringSoonDays } } }"""


async def earn_expiring(api: ApiClient, staff: str, months: int, window_days: int = 30) -> None:
    """100 points that expire `months` after now (a purchase past the return window, spendable at once)."""
    await api.data(SETTINGS, {"i": {"pointsExpiryMonths": months, "expiringSoonDays": window_days}}, staff)
    at = (api.container.now() - timedelta(days=10)).isoformat()
    await api.data(PURCHASE, {"p": PHONE, "o": "OLD", "c": 10_000, "at": at}, staff)
PHONE, OTHER = "13800138000", "13900139000"


def apq(sha: str) -> dict[str, object]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha}}


@pytest.fixture
async def app(make_client: Callable[..., ApiClient], database_url: str, request: pytest.FixtureRequest) -> ApiClient:
    """SQLite: the embedded in-process cache. PostgreSQL: redis-server, as production runs."""
    if database_url.startswith("postgresql"):
        return make_client(redis_url=request.getfixturevalue("redis_url"))
    return make_client()


async def home_response(api: ApiClient, token: str, language: str = "zh-CN") -> tuple[str, dict[str, Any]]:
    """The home query by its APQ hash (registered on first use, as Apollo clients do)."""
    headers = {"authorization": f"Bearer {token}", "accept-language": language}
    response = await api.http.post("/graphql", json={"extensions": apq(HOME_SHA), "operationName": "Home"},
                                   headers=headers)
    body = response.json()
    if body.get("errors") and body["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND":
        response = await api.http.post("/graphql", json={"query": HOME, "extensions": apq(HOME_SHA),
                                                         "operationName": "Home"}, headers=headers)
        body = response.json()
    assert "errors" not in body, body
    return response.headers["x-response-cache"], body["data"]


async def home(api: ApiClient, token: str) -> dict[str, Any]:
    return (await home_response(api, token))[1]


async def cached(api: ApiClient, token: str) -> dict[str, Any]:
    """The home query, made to come from the cache: asked twice, the second answer a hit."""
    await home(api, token)
    header, data = await home_response(api, token)
    assert header == "hit", "the second identical home query is answered from the cache"
    return data


def available(data: dict[str, Any]) -> int:
    return data["me"]["points"]["available"]


@pytest.fixture
async def program(app: ApiClient):
    await configure_program(app.container)
    staff = await staff_token(app)
    member = await app.sign_in(PHONE)
    return app, staff, member


async def adjust(api: ApiClient, staff: str, member_id: Any, amount: int, key: str) -> None:
    await api.data(ADJUST, {"m": member_id, "a": amount, "k": key}, staff)


async def test_a_repeated_home_query_is_a_hit_with_the_same_answer(program) -> None:
    api, staff, member = program
    await adjust(api, staff, member.member_id, 500, "a1")
    header, first = await home_response(api, member.access_token)
    assert header == "miss"
    header, second = await home_response(api, member.access_token)
    assert header == "hit" and second == first and available(second) == 500
    # Another language is another answer (tier names are translated).
    assert (await home_response(api, member.access_token, "en"))[0] == "miss"
    # A document sent as text (not persisted) and a staff caller pass the cache by.
    plain = await api.post(HOME, token=member.access_token)
    assert plain.headers["x-response-cache"] == "bypass"


async def test_earning_with_a_purchase_shows_at_once(program) -> None:
    api, staff, member = program
    before = await cached(api, member.access_token)
    at = (api.container.now() - timedelta(days=10)).isoformat()  # past the return window: spendable at once
    await api.data(PURCHASE, {"p": PHONE, "o": "O-1", "c": 38_800, "at": at}, staff)
    after = await home(api, member.access_token)
    assert available(after) == available(before) + 388
    assert after["me"]["tier"]["progress"]["amountInWindowCents"] == 38_800


async def test_redeeming_a_reward_shows_at_once(program) -> None:
    api, staff, member = program
    reward = await add_reward(api.container, "咖啡券", price=300)
    await adjust(api, staff, member.member_id, 500, "a1")
    before = await cached(api, member.access_token)
    assert [e["node"]["name"] for e in before["rewards"]["edges"]] == ["咖啡券"]
    await api.data(REDEEM, {"r": str(reward.id), "k": "r1"}, member.access_token)
    after = await home(api, member.access_token)
    assert available(after) == 200
    assert after["rewards"]["edges"] == [], "200 points no longer buy the reward"


async def test_checking_in_shows_at_once(program) -> None:
    api, staff, member = program
    await api.data(CHECK_IN_RULE, token=staff)
    before = await cached(api, member.access_token)
    await api.data(CHECK_IN, token=member.access_token)
    after = await home(api, member.access_token)
    assert available(after) == available(before) + 10


async def test_a_gift_shows_on_both_sides(program) -> None:
    api, staff, member = program
    friend = await api.sign_in(OTHER)
    await adjust(api, staff, member.member_id, 500, "a1")
    giver, taker = await cached(api, member.access_token), await cached(api, friend.access_token)
    await api.data(GIFT, {"c": taker["me"]["memberCode"], "a": 120, "k": "g1"}, member.access_token)
    assert available(await home(api, member.access_token)) == available(giver) - 120
    assert available(await home(api, friend.access_token)) == available(taker) + 120


async def test_issuing_and_using_a_coupon_show_at_once(program) -> None:
    api, staff, member = program
    tid = await template(api, staff, perMemberLimit=None)
    assert (await cached(api, member.access_token))["me"]["availableCouponsCount"] == 0
    await api.data(ISSUE, {"i": {"templateId": tid, "idempotencyKey": "i1", "memberIds": [member.member_id]}}, staff)
    assert (await cached(api, member.access_token))["me"]["availableCouponsCount"] == 1
    codes = await api.data("{ me { coupons { nodes { code } } } }", token=member.access_token)
    code = codes["me"]["coupons"]["nodes"][0]["code"]
    await api.data(REDEEM_COUPON, basket(code, ("x", 40_000), order="O-1"), staff)
    assert (await home(api, member.access_token))["me"]["availableCouponsCount"] == 0


async def test_a_profile_update_shows_at_once(program) -> None:
    api, _staff, member = program
    await cached(api, member.access_token)
    await api.data(PROFILE, {"n": "小王"}, member.access_token)
    assert (await home(api, member.access_token))["me"]["displayName"] == "小王"


async def test_a_tier_upgrade_shows_at_once(program) -> None:
    api, staff, member = program
    assert (await cached(api, member.access_token))["me"]["tier"]["current"]["code"] == "BASE"
    at = (api.container.now() - timedelta(days=10)).isoformat()
    await api.data(PURCHASE, {"p": PHONE, "o": "BIG", "c": 5_000_000, "at": at}, staff)
    assert (await home(api, member.access_token))["me"]["tier"]["current"]["code"] == "GOLD"


async def test_a_staff_catalog_change_shows_at_once(program) -> None:
    api, staff, member = program
    reward = await add_reward(api.container, "咖啡券", price=100)
    await adjust(api, staff, member.member_id, 500, "a1")
    before = await cached(api, member.access_token)
    assert [e["node"]["name"] for e in before["rewards"]["edges"]] == ["咖啡券"]
    await api.data(SAVE_REWARD, {"i": {"id": str(reward.id), "name": "奶茶券", "category": "dining",
                                       "kind": "COUPON", "pointsPrice": 100, "stock": 10}}, staff)
    after = await home(api, member.access_token)
    assert [e["node"]["name"] for e in after["rewards"]["edges"]] == ["奶茶券"]


async def test_a_settings_change_shows_at_once(program) -> None:
    api, staff, member = program
    await earn_expiring(api, staff, months=1, window_days=60)
    assert (await cached(api, member.access_token))["me"]["points"]["expiringSoon"] == 100
    await api.data(SETTINGS, {"i": {"expiringSoonDays": 7}}, staff)
    assert (await home(api, member.access_token))["me"]["points"]["expiringSoon"] == 0


async def test_the_points_expiry_job_shows_at_once(program, monkeypatch) -> None:
    api, staff, member = program
    await earn_expiring(api, staff, months=1)
    later = api.container.now() + timedelta(days=40)  # past the lot's expiry
    monkeypatch.setattr(api.container, "now", lambda: later)
    before = await cached(api, member.access_token)
    assert before["me"]["pointsHistory"]["edges"][0]["node"]["kind"] == "EARN"
    await expire_points(api.container.uow, later)
    after = await home(api, member.access_token)
    assert after["me"]["pointsHistory"]["edges"][0]["node"]["kind"] == "EXPIRE"


async def test_a_coupon_expiring_changes_the_answer(program, monkeypatch) -> None:
    api, staff, member = program
    tid = await template(api, staff, validDays=3, perMemberLimit=None)
    await api.data(ISSUE, {"i": {"templateId": tid, "idempotencyKey": "i1", "memberIds": [member.member_id]}}, staff)
    assert (await cached(api, member.access_token))["me"]["availableCouponsCount"] == 1
    later = api.container.now() + timedelta(days=4)
    monkeypatch.setattr(api.container, "now", lambda: later)
    assert (await home(api, member.access_token))["me"]["availableCouponsCount"] == 0


async def test_points_entering_the_expiring_soon_window_change_the_answer(program, monkeypatch) -> None:
    api, staff, member = program
    await earn_expiring(api, staff, months=3)  # expires in about 90 days; the window is 30
    assert (await cached(api, member.access_token))["me"]["points"]["expiringSoon"] == 0
    later = api.container.now() + timedelta(days=70)
    monkeypatch.setattr(api.container, "now", lambda: later)
    assert (await home(api, member.access_token))["me"]["points"]["expiringSoon"] == 100


async def test_an_erased_member_gets_no_cached_answer(program) -> None:
    api, _staff, member = program
    await cached(api, member.access_token)
    await api.data("mutation($c: String!) { requestErasure(input: {confirmation: $c}) { memberId } }",
                   {"c": "erase my data"}, member.access_token)
    response = await api.http.post("/graphql", json={"extensions": apq(HOME_SHA), "operationName": "Home"},
                                   headers={"authorization": f"Bearer {member.access_token}"})
    body = response.json()
    assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"] and not body.get("data")


async def test_answers_with_errors_are_never_cached(program) -> None:
    api, _staff, member = program
    document = "query Broken { me { id } rewards(first: 0) { edges { node { id } } } }"
    sha = hashlib.sha256(document.encode()).hexdigest()
    headers = {"authorization": f"Bearer {member.access_token}"}
    for _ in range(2):
        response = await api.http.post("/graphql", json={"query": document, "extensions": apq(sha)}, headers=headers)
        assert response.json()["errors"] and response.headers["x-response-cache"] == "miss"


async def test_the_setting_switches_it_off(make_client: Callable[..., ApiClient]) -> None:
    api = make_client(response_cache=False)
    await configure_program(api.container)
    member = await api.sign_in(PHONE)
    await home(api, member.access_token)
    assert (await home_response(api, member.access_token))[0] == "bypass"


@pytest.fixture
async def pg_redis(postgres_url: str, redis_url: str) -> AsyncIterator[Callable[..., ApiClient]]:
    """Apps on PostgreSQL and one redis-server, sharing a key prefix: instances of one deployment."""
    make, clients = _client_factory(postgres_url)
    prefix = f"test:{uuid.uuid4().hex[:8]}:"
    yield lambda: make(redis_url=redis_url, redis_prefix=prefix)
    await _close(clients)


@pytest.mark.postgres
@pytest.mark.redis
async def test_two_instances_sharing_redis_serve_nothing_stale(pg_redis) -> None:
    one, two = pg_redis(), pg_redis()
    await configure_program(one.container)
    staff = await staff_token(one)
    member = await one.sign_in(PHONE)
    await adjust(one, staff, member.member_id, 500, "a1")
    assert available(await cached(one, member.access_token)) == 500
    assert (await home_response(two, member.access_token))[0] == "hit", "the instances share answers"
    await adjust(two, staff, member.member_id, 50, "a2")
    await two.data(PROFILE, {"n": "小李"}, member.access_token)
    after = await home(one, member.access_token)
    assert available(after) == 550 and after["me"]["displayName"] == "小李"


@pytest.mark.postgres
@pytest.mark.redis
async def test_a_failed_version_read_answers_from_the_database(pg_redis, monkeypatch) -> None:
    api = pg_redis()
    await configure_program(api.container)
    staff = await staff_token(api)
    member = await api.sign_in(PHONE)
    await adjust(api, staff, member.member_id, 500, "a1")
    await cached(api, member.access_token)
    store = api.container.answers

    async def down(*_args: object, **_kwargs: object) -> None:
        raise RedisConnectionError("redis is down")

    monkeypatch.setattr(store, "_read", down)
    monkeypatch.setattr(store, "_bump", down)  # the write's version bump is lost too
    await adjust(api, staff, member.member_id, 50, "a2")
    header, data = await home_response(api, member.access_token)
    assert header == "bypass" and available(data) == 550
    monkeypatch.undo()
    # Redis is back (once the circuit breaker lets it be tried again): the lost bump was listed for
    # repair, so the old entry is not served either.
    await asyncio.sleep(store._repairs.breaker.open_seconds)
    header, data = await home_response(api, member.access_token)
    assert header == "miss" and available(data) == 550


async def test_a_member_merge_shows_on_both_members(program) -> None:
    api, staff, member = program
    other = await api.sign_in(OTHER)
    at = (api.container.now() - timedelta(days=10)).isoformat()
    await api.data(PURCHASE, {"p": OTHER, "o": "B-1", "c": 30_000, "at": at}, staff)
    kept, gone = await cached(api, member.access_token), await cached(api, other.access_token)
    assert gone["me"]["tier"]["progress"]["amountInWindowCents"] == 30_000
    merge = """mutation($i: MergeMembersInput!) { mergeMembers(input: $i) { merge { pointsMoved } } }"""
    await api.data(merge, {"i": {"keepMemberId": member.member_id, "mergeMemberId": other.member_id,
                                 "reason": "同一人"}}, staff)
    after = await home(api, member.access_token)
    assert available(after) == available(kept) + 300
    assert after["me"]["tier"]["progress"]["amountInWindowCents"] == 30_000
    response = await api.http.post("/graphql", json={"extensions": apq(HOME_SHA), "operationName": "Home"},
                                   headers={"authorization": f"Bearer {other.access_token}"})
    body = response.json()
    if "errors" not in body:  # the merged-away member's token still works until it expires
        assert body["data"]["me"]["points"]["available"] == 0
        assert body["data"]["me"]["tier"]["progress"]["amountInWindowCents"] == 0


async def test_only_documents_whose_every_field_is_declared_are_cached(program) -> None:
    api, _staff, member = program
    headers = {"authorization": f"Bearer {member.access_token}"}

    async def header(document: str) -> str:
        sha = hashlib.sha256(document.encode()).hexdigest()
        response = await api.http.post("/graphql", json={"query": document, "extensions": apq(sha)}, headers=headers)
        assert "errors" not in response.json(), response.json()
        return response.headers["x-response-cache"]

    declared = "query B { me { ...P } } fragment P on Member { points { available } ... on Member { displayName } }"
    assert [await header(declared), await header(declared)] == ["miss", "hit"]
    # `phone` is not in the table, even deep inside a fragment: the whole document passes the cache by.
    undeclared = "query C { me { ...P } } fragment P on Member { points { available } ... on Member { phone } }"
    assert [await header(undeclared), await header(undeclared)] == ["bypass", "bypass"]
