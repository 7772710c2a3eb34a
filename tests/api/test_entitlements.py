"""Tier perks as entitlements through GraphQL: staff configure kinds and per-tier quotas, members
see what is left and when it resets (program-local period edges), POS staff use them at a store
(idempotent, audited, never beyond the quota, also under concurrency on PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from domain.store.tables import audit_log, entitlement_uses
from tests.support.client import ApiClient, error_codes
from tests.support.program import configure_program
from tests.support.roles import staff_token

SHANGHAI = ZoneInfo("Asia/Shanghai")
SAVE_KIND = """mutation($i: SaveEntitlementKindInput!) { saveEntitlementKind(input: $i) {
  kind { id code name unit nameZh nameEn active } } }"""
SET_TIER = """mutation($i: SetTierEntitlementsInput!) { setTierEntitlements(input: $i) {
  grants { tierId kind { code } unlimited quota period } } }"""
PURCHASE = """mutation($m: String!, $o: String!, $c: Int!) { recordPurchase(input: {
  member: {phone: $m}, orderId: $o, storeId: "S1", amountCents: $c, items: [{category: "x", amountCents: $c}]
  }) { pointsEarned } }"""
MINE = """{ me { entitlements { kind { code name unit } unlimited quota period used remaining periodStart resetsAt }
  nextTierEntitlements { tier { code } adds { kind { code } unlimited quota period } } } }"""
USE = """mutation($i: UseEntitlementInput!) { useEntitlement(input: $i) {
  use { id quantity storeId usedAt kind { code } } entitlement { used remaining resetsAt } } }"""
USES = """query($f: Int!, $a: String) { me { entitlementUses(first: $f, after: $a) {
  edges { cursor node { id quantity storeId kind { code } } } pageInfo { hasNextPage endCursor } } } }"""

KINDS = [
    {"code": "PARKING_HOURS", "nameZh": "免费停车", "nameEn": "Free parking", "unitZh": "小时", "unitEn": "hours"},
    {"code": "LOUNGE_VISIT", "nameZh": "贵宾休息室", "nameEn": "VIP lounge", "unitZh": "次", "unitEn": "visits"},
    {"code": "GIFT_WRAP", "nameZh": "礼品包装", "nameEn": "Gift wrapping", "unitZh": "次", "unitEn": "times"},
]


def next_local(moment: datetime, at: time) -> datetime:
    """The first program-local `at` at least a day after `moment` (tokens stay valid: the clock only moves on)."""
    day = (moment + timedelta(days=1)).astimezone(SHANGHAI).date()
    return datetime.combine(day, at, SHANGHAI).astimezone(UTC)


async def configure(api: ApiClient, staff: str) -> dict[str, str]:
    tiers = await configure_program(api.container)
    for kind in KINDS:
        await api.data(SAVE_KIND, {"i": kind}, staff)
    await api.data(SET_TIER, {"i": {"tierId": str(tiers["PLATINUM"].id), "grants": [
        {"kindCode": "PARKING_HOURS", "quota": 2, "period": "DAY"}]}}, staff)
    await api.data(SET_TIER, {"i": {"tierId": str(tiers["DIAMOND"].id), "grants": [
        {"kindCode": "parking_hours", "quota": 4, "period": "DAY"},
        {"kindCode": "LOUNGE_VISIT", "quota": 2, "period": "MONTH"},
        {"kindCode": "GIFT_WRAP"}]}}, staff)
    return {code: str(t.id) for code, t in tiers.items()}


@pytest.fixture
async def setup(api: ApiClient, monkeypatch):
    staff = await staff_token(api)
    tiers = await configure(api, staff)
    member = await api.sign_in("13800138000")
    await api.data(PURCHASE, {"m": "13800138000", "o": "big", "c": 10_000_000}, staff)  # Platinum
    # 23:30 in Shanghai: the parking day ends in half an hour (16:00 UTC), whatever UTC's date says.
    moment = next_local(api.container.now(), time(23, 30))
    monkeypatch.setattr(api.container, "now", lambda: moment)
    return api, member, staff, tiers, moment


def use_input(kind: str = "PARKING_HOURS", quantity: int = 1, key: str = "k1", store: str = "SH-001",
              phone: str = "13800138000") -> dict:
    return {"i": {"member": {"phone": phone}, "kindCode": kind, "quantity": quantity, "storeId": store,
                  "idempotencyKey": key}}


async def test_member_sees_quota_left_reset_time_and_what_the_next_tier_adds(setup) -> None:
    api, member, staff, _tiers, moment = setup
    mine = (await api.data(MINE, token=member.access_token))["me"]
    [parking] = mine["entitlements"]
    local_midnight = datetime.combine(moment.astimezone(SHANGHAI).date() + timedelta(days=1), time(0), SHANGHAI)
    assert parking == {"kind": {"code": "PARKING_HOURS", "name": "免费停车", "unit": "小时"}, "unlimited": False,
                       "quota": 2, "period": "DAY", "used": 0, "remaining": 2,
                       "periodStart": (local_midnight - timedelta(days=1)).astimezone(UTC).isoformat(),
                       "resetsAt": local_midnight.astimezone(UTC).isoformat()}
    nxt = mine["nextTierEntitlements"]
    assert nxt["tier"]["code"] == "DIAMOND"
    assert {a["kind"]["code"]: (a["quota"], a["period"], a["unlimited"]) for a in nxt["adds"]} == {
        "PARKING_HOURS": (4, "DAY", False), "LOUNGE_VISIT": (2, "MONTH", False), "GIFT_WRAP": (None, None, True)}
    english = await api.gql(MINE, token=member.access_token, headers={"accept-language": "en"})
    assert english["data"]["me"]["entitlements"][0]["kind"]["name"] == "Free parking"

    used = (await api.data(USE, use_input(quantity=1), staff))["useEntitlement"]
    assert used["use"]["storeId"] == "SH-001" and used["entitlement"]["remaining"] == 1
    again = (await api.data(MINE, token=member.access_token))["me"]["entitlements"][0]
    assert (again["used"], again["remaining"]) == (1, 1)


async def test_quota_runs_out_and_comes_back_at_local_midnight(setup, monkeypatch) -> None:
    api, member, staff, _tiers, moment = setup
    assert (await api.data(USE, use_input(quantity=2, key="a"), staff))["useEntitlement"]["entitlement"][
        "remaining"] == 0
    over = await api.gql(USE, use_input(key="b"), staff)
    assert error_codes(over) == ["LIMIT_EXCEEDED"]
    assert over["errors"][0]["extensions"]["remaining"] == 0
    assert "免费停车" in over["errors"][0]["message"]
    # 23:59 local is still the same day; 00:00 local (16:00 UTC) is a new one.
    monkeypatch.setattr(api.container, "now", lambda: moment + timedelta(minutes=29))
    assert error_codes(await api.gql(USE, use_input(key="c"), staff)) == ["LIMIT_EXCEEDED"]
    monkeypatch.setattr(api.container, "now", lambda: moment + timedelta(minutes=30))
    assert (await api.data(USE, use_input(key="d"), staff))["useEntitlement"]["entitlement"]["remaining"] == 1
    mine = (await api.data(MINE, token=member.access_token))["me"]["entitlements"][0]
    assert (mine["used"], mine["remaining"]) == (1, 1)


async def test_a_retry_replays_the_first_use_and_a_changed_retry_is_refused(setup) -> None:
    api, _member, staff, _tiers, _moment = setup
    first = (await api.data(USE, use_input(key="till-7/1"), staff))["useEntitlement"]
    again = (await api.data(USE, use_input(key="till-7/1"), staff))["useEntitlement"]
    assert again["use"] == first["use"] and again["entitlement"]["remaining"] == 1
    assert error_codes(await api.gql(USE, use_input(key="till-7/1", quantity=2), staff)) == ["IDEMPOTENCY_CONFLICT"]
    async with api.container.engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(entitlement_uses)) == 1
        audits = (await conn.execute(select(audit_log.c.detail).where(
            audit_log.c.action == "entitlement.used"))).scalars().all()
    assert [(a["storeId"], a["kind"], a["quantity"]) for a in audits] == [("SH-001", "PARKING_HOURS", 1)]


async def test_perks_outside_the_tier_bad_input_and_members_are_refused(setup) -> None:
    api, member, staff, tiers, _moment = setup
    not_in_tier = await api.gql(USE, use_input(kind="LOUNGE_VISIT"), staff)
    assert error_codes(not_in_tier) == ["NOT_ELIGIBLE"]
    assert "贵宾休息室" in not_in_tier["errors"][0]["message"]
    assert error_codes(await api.gql(USE, use_input(), member.access_token)) == ["FORBIDDEN"]
    bad = await api.gql(USE, use_input(quantity=0, store="no spaces"), staff)
    assert error_codes(bad) == ["BAD_USER_INPUT"]
    assert {e["field"] for e in bad["errors"][0]["extensions"]["fieldErrors"]} == {"quantity", "storeId"}
    assert error_codes(await api.gql(USE, use_input(kind="NOPE"), staff)) == ["BAD_USER_INPUT"]
    assert error_codes(await api.gql(USE, use_input(phone="13900139000"), staff)) == ["NOT_FOUND"]
    bad_grants = await api.gql(SET_TIER, {"i": {"tierId": tiers["GOLD"], "grants": [
        {"kindCode": "PARKING_HOURS", "quota": 2}, {"kindCode": "GIFT_WRAP", "period": "DAY"},
        {"kindCode": "UNKNOWN", "quota": 1, "period": "DAY"}]}}, staff)
    assert error_codes(bad_grants) == ["BAD_USER_INPUT"]
    assert {e["field"] for e in bad_grants["errors"][0]["extensions"]["fieldErrors"]} == {"grants.2.kindCode"}
    bad_grants = await api.gql(SET_TIER, {"i": {"tierId": tiers["GOLD"], "grants": [
        {"kindCode": "PARKING_HOURS", "quota": 2}, {"kindCode": "GIFT_WRAP", "period": "DAY"}]}}, staff)
    assert {e["field"] for e in bad_grants["errors"][0]["extensions"]["fieldErrors"]} == {
        "grants.0.period", "grants.1.period"}
    listed = await api.data("query($t: ID) { tierEntitlements(tierId: $t) { kind { code } } }",
                            {"t": tiers["GOLD"]}, staff)
    assert listed["tierEntitlements"] == []  # the refused saves changed nothing


async def test_usage_history_is_a_connection_newest_first(setup) -> None:
    api, member, staff, _tiers, _moment = setup
    await api.data(USE, use_input(key="1", store="SH-001"), staff)
    await api.data(USE, use_input(key="2", store="SH-002"), staff)
    page = (await api.data(USES, {"f": 1}, member.access_token))["me"]["entitlementUses"]
    assert [e["node"]["storeId"] for e in page["edges"]] == ["SH-002"] and page["pageInfo"]["hasNextPage"]
    rest = (await api.data(USES, {"f": 5, "a": page["pageInfo"]["endCursor"]}, member.access_token))
    assert [e["node"]["storeId"] for e in rest["me"]["entitlementUses"]["edges"]] == ["SH-001"]
    assert not rest["me"]["entitlementUses"]["pageInfo"]["hasNextPage"]


async def test_a_use_is_a_node_its_member_and_staff_can_fetch(setup, monkeypatch) -> None:
    api, member, staff, _tiers, _moment = setup
    use_id = (await api.data(USE, use_input(), staff))["useEntitlement"]["use"]["id"]
    node = "query($id: ID!) { node(id: $id) { id ... on EntitlementUse { quantity storeId kind { code } } } }"
    mine = (await api.data(node, {"id": use_id}, member.access_token))["node"]
    assert mine == {"id": use_id, "quantity": 1, "storeId": "SH-001", "kind": {"code": "PARKING_HOURS"}}
    assert (await api.data(node, {"id": use_id}, staff))["node"] == mine
    monkeypatch.undo()  # back to the real clock: a token issued "tomorrow" is not valid yet
    other = await api.sign_in("13900139000")
    assert error_codes(await api.gql(node, {"id": use_id}, other.access_token)) == ["NOT_FOUND"]
    many = await api.data("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": [use_id, use_id]},
                          other.access_token)
    assert many["nodes"] == [None, None]


async def test_uses_are_in_the_members_data_export(setup, monkeypatch) -> None:
    api, member, staff, _tiers, _moment = setup
    await api.data(USE, use_input(store="SH-009"), staff)
    monkeypatch.undo()
    doc = (await api.data("{ exportMyData { document } }", token=member.access_token))["exportMyData"]["document"]
    assert [(u["storeId"], u["quantity"]) for u in doc["entitlementUses"]] == [("SH-009", 1)]


async def test_staff_changes_are_audited(setup) -> None:
    api, _member, _staff, tiers, _moment = setup
    async with api.container.engine.connect() as conn:
        actions = (await conn.execute(select(audit_log.c.action, audit_log.c.target))).all()
    assert ("entitlement_kind.saved", "entitlement_kind:1") in actions
    assert ("tier.entitlements_set", f"tier:{tiers['DIAMOND']}") in actions


@pytest.mark.postgres
async def test_concurrent_uses_beyond_the_quota_let_exactly_the_quota_through(pg_api: ApiClient) -> None:
    api = pg_api
    staff = await staff_token(api)
    await configure(api, staff)
    await api.sign_in("13800138000")
    await api.data(PURCHASE, {"m": "13800138000", "o": "big", "c": 20_000_000}, staff)  # Diamond: 4 hours a day
    bodies = await asyncio.gather(*(api.gql(USE, use_input(key=f"race-{i}", store=f"S{i % 3}"), staff)
                                    for i in range(12)))
    winners = [b for b in bodies if "errors" not in b]
    assert len(winners) == 4
    assert {c for b in bodies if "errors" in b for c in error_codes(b)} == {"LIMIT_EXCEEDED"}
    assert sorted(b["data"]["useEntitlement"]["entitlement"]["remaining"] for b in winners) == [0, 1, 2, 3]
    async with api.container.engine.connect() as conn:
        assert await conn.scalar(select(func.sum(entitlement_uses.c.quantity))) == 4


async def test_demo_gold_member_sees_chinese_perks_and_what_platinum_adds(api: ApiClient) -> None:
    from api.demo import seed_demo

    await seed_demo(api.container)
    session = await api.sign_in("13800138000")  # 林薇, Gold in the demo
    me = (await api.data(MINE, token=session.access_token))["me"]
    assert {(e["kind"]["name"], e["kind"]["unit"], e["quota"], e["period"]) for e in me["entitlements"]} == {
        ("免费停车", "小时", 2, "DAY"), ("礼品包装", "次", 2, "MONTH")}
    assert me["nextTierEntitlements"]["tier"]["code"] == "PLATINUM"
    assert {a["kind"]["code"] for a in me["nextTierEntitlements"]["adds"]} == {
        "PARKING_HOURS", "LOUNGE_VISIT", "GIFT_WRAP", "MEMBER_PRICE"}
