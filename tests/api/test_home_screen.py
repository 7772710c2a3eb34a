"""The member app's home screen: one document for profile, tier, points, recent history,
affordable rewards and the offers badge; and the bench-mode SQL statement header."""

from __future__ import annotations

from datetime import timedelta

from tests.api.test_coupons import ISSUE, REDEEM, basket, template
from tests.support.catalog import add_reward
from tests.support.client import ApiClient, error_codes
from tests.support.program import configure_program
from tests.support.roles import staff_token

HOME = """query Home {
  me {
    id displayName memberCode
    tier { current { code name } next { code thresholdCents } progress { amountInWindowCents spendToNextCents } }
    points { available pending expiringSoon }
    pointsHistory(first: 10) { edges { node { id kind amount reason createdAt } } pageInfo { hasNextPage } }
    availableCouponsCount
  }
  rewards(affordableNow: true, first: 10) { edges { node { id name pointsPrice } } }
}"""
BADGE = "{ me { availableCouponsCount } }"
ADJUST = """mutation($m: ID!, $a: Int!, $k: String!) { adjustPoints(input: {memberId: $m, amount: $a,
  reason: "home screen test", idempotencyKey: $k}) { entry { id } } }"""


async def test_offers_badge_counts_usable_coupons_of_the_member_only(api: ApiClient, monkeypatch) -> None:
    await configure_program(api.container)
    staff = await staff_token(api)
    member = await api.sign_in("13800138000")
    other = await api.sign_in("13900139000")
    assert (await api.data(BADGE, token=member.access_token))["me"]["availableCouponsCount"] == 0
    short = await template(api, staff, name="3 days", validDays=3, perMemberLimit=None)
    long = await template(api, staff, name="30 days", validDays=30, perMemberLimit=None)
    for key, tid in (("a", short), ("b", long), ("c", long)):
        await api.data(ISSUE, {"i": {"templateId": tid, "idempotencyKey": key, "memberIds": [member.member_id]}},
                       staff)
    assert (await api.data(BADGE, token=member.access_token))["me"]["availableCouponsCount"] == 3
    assert (await api.data(BADGE, token=other.access_token))["me"]["availableCouponsCount"] == 0

    codes = await api.data("{ me { coupons { nodes { code } } } }", token=member.access_token)
    await api.data(REDEEM, basket(codes["me"]["coupons"]["nodes"][0]["code"], ("x", 40_000), order="O-1"), staff)
    assert (await api.data(BADGE, token=member.access_token))["me"]["availableCouponsCount"] == 2, "a used one goes"

    later = api.container.now() + timedelta(days=4)
    monkeypatch.setattr(api.container, "now", lambda: later)
    assert (await api.data(BADGE, token=member.access_token))["me"]["availableCouponsCount"] == 1, "an expired one too"
    assert error_codes(await api.gql(BADGE)) == ["UNAUTHENTICATED"]


async def test_home_query_in_one_request(api: ApiClient) -> None:
    await configure_program(api.container)
    staff = await staff_token(api)
    member = await api.sign_in("13800138000")
    for i in range(12):
        await api.data(ADJUST, {"m": member.member_id, "a": 10, "k": f"h{i}"}, staff)
    await add_reward(api.container, "Cheap", price=100)
    await add_reward(api.container, "Dear", price=1_000)
    me = (await api.data(HOME, token=member.access_token))
    assert me["me"]["points"]["available"] == 120
    history = me["me"]["pointsHistory"]
    assert len(history["edges"]) == 10 and history["pageInfo"]["hasNextPage"]
    assert [e["node"]["name"] for e in me["rewards"]["edges"]] == ["Cheap"], "only what 120 points buy"
    assert me["me"]["tier"]["current"]["code"] == "BASE"


async def test_sql_statement_header_is_off_by_default(api: ApiClient) -> None:
    await configure_program(api.container)
    member = await api.sign_in("13800138000")
    response = await api.post(HOME, token=member.access_token)
    assert response.status_code == 200 and "errors" not in response.json()
    assert "x-sql-statements" not in response.headers


async def test_sql_statement_header_counts_and_does_not_grow_with_the_lists(make_client) -> None:
    api: ApiClient = make_client(count_sql=True)
    await configure_program(api.container)
    staff = await staff_token(api)
    short = await api.sign_in("13800138000")
    long = await api.sign_in("13900139000")
    for i in range(15):
        await api.data(ADJUST, {"m": long.member_id, "a": 100, "k": f"l{i}"}, staff)
    for i in range(12):
        await add_reward(api.container, f"Reward {i}", price=50 + i)

    async def statements(token: str) -> int:
        response = await api.post(HOME, token=token)
        assert "errors" not in response.json(), response.json()
        return int(response.headers["x-sql-statements"])

    cold = await statements(short.access_token)
    assert cold > 0, "the home query reads the database"
    # Read both once more so profile and balance come from the cache for both, then compare.
    await statements(long.access_token)
    # The fewest of three reads each: a process-local copy (program settings, 1 s) that lapses
    # between two reads on a slow machine adds a statement unrelated to the lists compared here.
    warm_short = min([await statements(short.access_token) for _ in range(3)])
    warm_long = min([await statements(long.access_token) for _ in range(3)])
    assert warm_long == warm_short, "10 history rows and 10 rewards cost no more statements than none"
    assert 0 < warm_short <= cold
