"""Staff management: HQ admins create accounts, change roles and stores, reset passwords and
deactivate; each change applies to the account's very next request (its tokens carry the role and
account version), deactivation also ends its sessions and closes its open websockets; partners can
be deactivated and their secrets revoked. Every change is audited. Runs on PostgreSQL."""

from __future__ import annotations

import json

import pytest
import websockets
from sqlalchemy import select

from domain.auth.viewer import StaffRole
from domain.store.tables import audit_log
from tests.api.test_socket_authority import PROTOCOL, closed_with, receive
from tests.support.client import ApiClient, error_codes
from tests.support.live_server import served
from tests.support.program import configure_program
from tests.support.roles import staff_token

pytestmark = pytest.mark.postgres

CREATE = """mutation($i: CreateStaffInput!) { createStaff(input: $i) { staff { id username role storeIds active } } }"""
SIGN_IN = """mutation($u: String!, $p: String!) { signInStaff(username: $u, password: $p) {
  accessToken refreshToken } }"""
REFRESH = "mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken refreshToken } }"
CHANGE_ROLE = """mutation($s: ID!, $r: StaffRole!, $st: [String!]) { changeStaffRole(staffId: $s, role: $r,
  storeIds: $st) { staff { role storeIds } } }"""
ASSIGN = """mutation($s: ID!, $st: [String!]!) { assignStaffStores(staffId: $s, storeIds: $st) {
  staff { storeIds } } }"""
DEACTIVATE = "mutation($s: ID!) { deactivateStaff(staffId: $s) { staff { active } } }"
RESET = "mutation($s: ID!, $p: String!) { resetStaffPassword(staffId: $s, password: $p) { staff { id } } }"
STAFF_LIST = "query { staffAccounts(first: 10) { nodes { username role active } } }"
PURCHASE = """mutation($s: String!, $o: String!) { recordPurchase(input: {member: {phone: "13800138000"},
  orderId: $o, storeId: $s, amountCents: 1000, items: [{category: "x", amountCents: 1000}]}) { pointsEarned } }"""
KPIS = """query { programKpis(from: "2026-01-01", to: "2026-01-02") { members { newMembers } } }"""
PASSWORD = "a long clerk password"


def reason(body: dict) -> str | None:
    return body["errors"][0]["extensions"].get("reason") if body.get("errors") else None


@pytest.fixture
async def desk(pg_api: ApiClient):
    await configure_program(pg_api.container)
    hq = await staff_token(pg_api)
    await pg_api.sign_in("13800138000")
    made = await pg_api.data(CREATE, {"i": {"username": "clerk-wang", "displayName": "王店员", "password": PASSWORD,
                                            "role": "STORE_CLERK", "storeIds": ["SH-01"]}}, hq)
    clerk = made["createStaff"]["staff"]
    session = (await pg_api.data(SIGN_IN, {"u": "clerk-wang", "p": PASSWORD}))["signInStaff"]
    return pg_api, hq, clerk, session


async def actions(api: ApiClient) -> list[str]:
    async with api.container.engine.connect() as conn:
        rows = await conn.execute(select(audit_log.c.action).where(audit_log.c.action.like("staff.%"))
                                  .order_by(audit_log.c.id))
        return [r.action for r in rows]


async def test_hq_creates_a_clerk_and_a_role_change_applies_to_the_next_request(desk) -> None:
    api, hq, clerk, session = desk
    assert clerk["role"] == "STORE_CLERK" and clerk["storeIds"] == ["SH-01"] and clerk["active"]
    assert (await api.data(PURCHASE, {"s": "SH-01", "o": "1"}, session["accessToken"]))["recordPurchase"]
    assert error_codes(await api.gql(KPIS, token=session["accessToken"])) == ["FORBIDDEN"]

    changed = await api.data(CHANGE_ROLE, {"s": clerk["id"], "r": "ANALYST", "st": []}, hq)
    assert changed["changeStaffRole"]["staff"] == {"role": "ANALYST", "storeIds": []}
    stale = await api.gql(KPIS, token=session["accessToken"])
    assert error_codes(stale) == ["UNAUTHENTICATED"] and reason(stale) == "TOKEN_OUTDATED"
    fresh = (await api.data(REFRESH, {"t": session["refreshToken"]}))["refreshSession"]["accessToken"]
    assert (await api.data(KPIS, token=fresh))["programKpis"]
    assert error_codes(await api.gql(PURCHASE, {"s": "SH-01", "o": "2"}, fresh)) == ["FORBIDDEN"]
    assert await actions(api) == ["staff.created", "staff.role-changed"]


async def test_reassigned_stores_apply_at_once(desk) -> None:
    api, hq, clerk, session = desk
    await api.data(ASSIGN, {"s": clerk["id"], "st": ["BJ-01"]}, hq)
    assert reason(await api.gql(PURCHASE, {"s": "SH-01", "o": "1"}, session["accessToken"])) == "TOKEN_OUTDATED"
    fresh = (await api.data(REFRESH, {"t": session["refreshToken"]}))["refreshSession"]["accessToken"]
    assert error_codes(await api.gql(PURCHASE, {"s": "SH-01", "o": "1"}, fresh)) == ["FORBIDDEN"]
    assert (await api.data(PURCHASE, {"s": "BJ-01", "o": "1"}, fresh))["recordPurchase"]
    assert error_codes(await api.gql(ASSIGN, {"s": clerk["id"], "st": []}, hq)) == ["BAD_USER_INPUT"], \
        "a clerk without stores could do nothing"
    assert await actions(api) == ["staff.created", "staff.stores-assigned"]


async def test_deactivation_refuses_tokens_sessions_sign_in_and_closes_sockets(desk) -> None:
    api, hq, _clerk, _session = desk
    made = await api.data(CREATE, {"i": {"username": "mod-zhao", "displayName": "赵版主", "password": PASSWORD,
                                         "role": "MODERATOR"}}, hq)
    moderator = made["createStaff"]["staff"]
    session = (await api.data(SIGN_IN, {"u": "mod-zhao", "p": PASSWORD}))["signInStaff"]
    async with served(api.app) as host:
        ws = await websockets.connect(f"ws://{host}/graphql", subprotocols=[PROTOCOL])
        await ws.send(json.dumps({"type": "connection_init", "payload": {"accessToken": session["accessToken"]}}))
        assert (await receive(ws))["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe",
                                  "payload": {"query": "subscription { contentReported { postId } }"}}))
        await api.data(DEACTIVATE, {"s": moderator["id"]}, hq)
        assert await closed_with(ws, 5) == (4401, {"code": "UNAUTHENTICATED", "reason": "ACCOUNT_DEACTIVATED"})
    refused = await api.gql(STAFF_LIST, token=session["accessToken"])
    assert error_codes(refused) == ["UNAUTHENTICATED"] and reason(refused) == "ACCOUNT_DEACTIVATED"
    assert error_codes(await api.gql(REFRESH, {"t": session["refreshToken"]})) == ["UNAUTHENTICATED"]
    assert error_codes(await api.gql(SIGN_IN, {"u": "mod-zhao", "p": PASSWORD})) == ["UNAUTHENTICATED"]
    listed = (await api.data(STAFF_LIST, token=hq))["staffAccounts"]["nodes"]
    assert {"username": "mod-zhao", "role": "MODERATOR", "active": False} in listed
    assert await actions(api) == ["staff.created", "staff.created", "staff.deactivated"]


async def test_a_password_reset_ends_the_sessions_and_only_the_new_password_signs_in(desk) -> None:
    api, hq, clerk, session = desk
    await api.data(RESET, {"s": clerk["id"], "p": "another long password"}, hq)
    assert reason(await api.gql(PURCHASE, {"s": "SH-01", "o": "1"}, session["accessToken"])) == "TOKEN_OUTDATED"
    assert error_codes(await api.gql(REFRESH, {"t": session["refreshToken"]})) == ["UNAUTHENTICATED"]
    assert error_codes(await api.gql(SIGN_IN, {"u": "clerk-wang", "p": PASSWORD})) == ["UNAUTHENTICATED"]
    assert (await api.data(SIGN_IN, {"u": "clerk-wang", "p": "another long password"}))["signInStaff"]
    assert await actions(api) == ["staff.created", "staff.password-reset"]


async def test_only_hq_admins_manage_staff_and_not_their_own_account(desk) -> None:
    api, hq, clerk, session = desk
    assert error_codes(await api.gql(DEACTIVATE, {"s": clerk["id"]}, session["accessToken"])) == ["FORBIDDEN"]
    analyst = await staff_token(api, "ana-li", role=StaffRole.ANALYST)
    assert error_codes(await api.gql(STAFF_LIST, token=analyst)) == ["FORBIDDEN"]
    me = next(n for n in (await api.data("query { staffAccounts { edges { node { id username } } } }", token=hq))
              ["staffAccounts"]["edges"] if n["node"]["username"] == "ops-anna")["node"]
    assert error_codes(await api.gql(DEACTIVATE, {"s": me["id"]}, hq)) == ["BAD_USER_INPUT"]


PARTNER = """mutation { createPartner(input: {name: "咖啡", partnerUnits: 1, programPoints: 1, dailyEarnCap: 100,
  dailyBurnCap: 100}) { clientSecret partner { id clientId } } }"""
TOKEN = """mutation($c: String!, $s: String!) { partnerToken(clientId: $c, clientSecret: $s) { accessToken } }"""
STATEMENT = """query($p: ID!) { partnerStatement(partnerId: $p, from: "2026-01-01T00:00:00Z",
  to: "2026-01-02T00:00:00Z") { __typename } }"""


async def test_partners_can_be_deactivated_and_their_secrets_revoked(pg_api: ApiClient) -> None:
    api = pg_api
    manager = await staff_token(api, "pm-chen", role=StaffRole.PARTNER_MANAGER)
    made = [(await api.data(PARTNER, token=manager))["createPartner"] for _ in range(2)]
    tokens = [(await api.data(TOKEN, {"c": m["partner"]["clientId"], "s": m["clientSecret"]}))["partnerToken"]
              ["accessToken"] for m in made]
    ids = [m["partner"]["id"] for m in made]
    assert (await api.data(STATEMENT, {"p": ids[0]}, tokens[0]))["partnerStatement"] == []

    await api.data("mutation($p: ID!) { revokePartnerSecrets(partnerId: $p) { id } }", {"p": ids[0]}, manager)
    revoked = await api.gql(STATEMENT, {"p": ids[0]}, tokens[0])
    assert error_codes(revoked) == ["UNAUTHENTICATED"] and reason(revoked) == "TOKEN_REVOKED"
    again = await api.gql(TOKEN, {"c": made[0]["partner"]["clientId"], "s": made[0]["clientSecret"]})
    assert error_codes(again) == ["UNAUTHENTICATED"]

    await api.data("mutation($p: ID!) { deactivatePartner(partnerId: $p) { active } }", {"p": ids[1]}, manager)
    stopped = await api.gql(STATEMENT, {"p": ids[1]}, tokens[1])
    assert error_codes(stopped) == ["UNAUTHENTICATED"] and reason(stopped) == "ACCOUNT_DEACTIVATED"
    async with api.container.engine.connect() as conn:
        rows = (await conn.execute(select(audit_log.c.action).where(audit_log.c.target.like("partner:%"))
                                   .order_by(audit_log.c.id))).all()
    assert [r.action for r in rows][-2:] == ["partner.secrets-revoked", "partner.deactivated"]
