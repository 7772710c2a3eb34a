"""The authorization matrix, generated from the schema: every Query, Mutation and Subscription root
field, called as anonymous, member A, member B (aimed at A's things), partner A, partner B (aimed
at A's linked member) and staff of every staff role (HQ admin, analyst, store clerk, moderator,
partner manager), against the access table in domain/auth/access.py.

- A caller (or staff role) the table does not list gets UNAUTHENTICATED (no valid token) or FORBIDDEN, and no data.
- A caller the table lists is never refused (other answers, NOT_FOUND, BAD_USER_INPUT..., are fine:
  arguments are the minimal valid ones built from the SDL types, with real ids where a field needs them).
- Member B and partner B, aimed at member A's resources, get no data.
- A root field without a line in the table fails here (and the schema refuses to build).

Runs on PostgreSQL (the suite's own server).
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import strawberry
import websockets
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    Undefined,
    get_named_type,
    is_leaf_type,
)

from api.field_access import UndeclaredRootField, guard_root_fields
from api.graphql_schema import build_schema
from domain.auth.access import ROOT_FIELDS, Caller, Scope
from domain.auth.staff import create_staff
from domain.auth.viewer import StaffRole
from schema.refs import global_id
from tests.support.catalog import add_reward
from tests.support.client import ApiClient, error_codes
from tests.support.live_server import served
from tests.support.program import configure_program
from tests.support.roles import staff_token

pytestmark = pytest.mark.postgres

REFUSALS = {"UNAUTHENTICATED", "FORBIDDEN"}
MINIMAL_SCALARS: dict[str, Any] = {
    "String": "x", "ID": "1", "Int": 1, "Long": 1, "Float": 1.0, "Boolean": False,
    "DateTime": "2026-01-01T00:00:00Z", "Date": "2026-01-01", "JSON": {},
}
CREATE_PARTNER = """mutation($i: CreatePartnerInput!) { createPartner(input: $i) {
  clientSecret partner { id clientId } } }"""
PARTNER_TOKEN = """mutation($c: String!, $s: String!) { partnerToken(clientId: $c, clientSecret: $s) {
  accessToken } }"""


@dataclass
class World:
    api: ApiClient
    tokens: dict[Caller | str, str | None]  # caller name -> access token
    ids: dict[str, Any] = field(default_factory=dict)
    phones: itertools.count = field(default_factory=lambda: itertools.count(100))

    async def fresh_refresh_token(self) -> str:
        """A session of its own for each call that spends one (refreshSession, signOut)."""
        session = await self.api.sign_in(f"1360000{next(self.phones):04d}")
        return session.refresh_token


# Staff of each role; "staff" is the HQ admin that also builds the world.
STAFF_ROLE = {"staff": StaffRole.HQ_ADMIN, "analyst": StaffRole.ANALYST, "clerk": StaffRole.STORE_CLERK,
              "moderator": StaffRole.MODERATOR, "partner manager": StaffRole.PARTNER_MANAGER}
CALLERS = ["anonymous", "partner B", "member B", "partner A", "member A", *STAFF_ROLE]
KIND = {"anonymous": Caller.ANONYMOUS, "partner B": Caller.PARTNER, "member B": Caller.MEMBER,
        "partner A": Caller.PARTNER, "member A": Caller.MEMBER, **{name: Caller.STAFF for name in STAFF_ROLE}}
# The store the minimal arguments name ("x"): the clerk is assigned to it, so store scope lets the
# clerk through wherever the table does (tests/api/test_store_scope.py covers other stores).
CLERK_STORE = "x"
# Callers who are aimed at member A's things and must not get them (the use cases' scope checks).
INTRUDERS = {"member B", "partner B"}


async def _partner(api: ApiClient, staff: str, name: str) -> tuple[str, str, str, str]:
    made = (await api.data(CREATE_PARTNER, {"i": {"name": name, "partnerUnits": 1, "programPoints": 1,
                                                  "dailyEarnCap": 100_000, "dailyBurnCap": 100_000}},
                           staff))["createPartner"]
    creds = (made["partner"]["clientId"], made["clientSecret"])
    token = (await api.data(PARTNER_TOKEN, {"c": creds[0], "s": creds[1]}))["partnerToken"]["accessToken"]
    return made["partner"]["id"], token, *creds


async def build_world(api: ApiClient) -> World:
    await configure_program(api.container)
    staff = await staff_token(api)
    a, b = await api.sign_in("13800138000"), await api.sign_in("13900139000")
    erasable = await api.sign_in("13700137000")
    await api.data("""mutation($m: ID!) { adjustPoints(input: {memberId: $m, amount: 1000, reason: "seed",
      idempotencyKey: "seed"}) { entry { id } } }""", {"m": a.member_id}, staff)
    # Offered, so that a make-up check-in's FORBIDDEN could only come from the access table.
    await api.data("mutation { updateProgramSettings(input: {makeupCheckinsPerMonth: 2}) { settings { id: "
                   "makeupCheckinsPerMonth } } }", token=staff)
    reward = await add_reward(api.container)
    redeem = """mutation($r: ID!, $k: String!) { redeemReward(input: {rewardId: $r, idempotencyKey: $k}) {
      redemption { id voucherCode } } }"""
    redeemed = (await api.data(redeem, {"r": str(reward.id), "k": "r1"}, a.access_token))["redeemReward"]["redemption"]
    to_use = (await api.data(redeem, {"r": str(reward.id), "k": "r2"}, a.access_token))["redeemReward"]["redemption"]
    post = "mutation($b: String!) { createPost(input: {body: $b}) { post { id } } }"
    post_id = (await api.data(post, {"b": "hello"}, a.access_token))["createPost"]["post"]["id"]
    doomed_post = (await api.data(post, {"b": "bye"}, a.access_token))["createPost"]["post"]["id"]
    group = (await api.data('mutation { saveGroup(input: {name: "Open"}) { group { id } } }', token=staff))
    pa_id, pa_token, pa_client, pa_secret = await _partner(api, staff, "Partner A")
    _pb_id, pb_token, _c, _s = await _partner(api, staff, "Partner B")
    pc_id, _t, _c, _s = await _partner(api, staff, "Partner C")
    ref = (await api.data("mutation($p: ID!) { linkPartner(partnerId: $p) { memberRef } }", {"p": pa_id},
                          a.access_token))["linkPartner"]["memberRef"]
    code = (await api.data("mutation($p: ID!) { authorizePartnerBurn(partnerId: $p, maxPoints: 500) }",
                           {"p": pa_id}, a.access_token))["authorizePartnerBurn"]
    await api.data("""mutation($m: String!) { partnerEarn(memberRef: $m, transactionId: "SEED", partnerAmount: 5) {
      points } }""", {"m": ref}, pa_token)
    tokens: dict[Caller | str, str | None] = {
        "anonymous": None, "member A": a.access_token, "member B": b.access_token,
        "partner A": pa_token, "partner B": pb_token, "staff": staff,
    }
    for name, role in STAFF_ROLE.items():
        if role is not StaffRole.HQ_ADMIN:
            username = f"matrix-{name.replace(' ', '-')}"
            tokens[name] = await staff_token(api, username, role=role, stores=[CLERK_STORE])
    # The staff-management mutations act on a spare account: on a caller's own, they would end its access.
    spare = await create_staff(api.container.uow(), "matrix-spare", "correct horse battery", "备用",
                               api.container.now())
    ids = dict(member_a=a.member_id, erasable=erasable.member_id, redemption=redeemed["id"],
               voucher=to_use["voucherCode"], post=post_id, doomed_post=doomed_post,
               group=group["saveGroup"]["group"]["id"], partner_a=pa_id, partner_c=pc_id, ref=ref, burn_code=code,
               client_id=pa_client, client_secret=pa_secret, spare=global_id("StaffAccount", spare.id))
    return World(api, tokens, ids)


Override = Callable[[World], Awaitable[dict[str, Any]]]


def fixed(**values: Callable[[World], Any]) -> Override:
    async def make(world: World) -> dict[str, Any]:
        return {name: value(world) for name, value in values.items()}
    return make


def _id(name: str) -> Callable[[World], Any]:
    return lambda w: w.ids[name]


async def _refresh(world: World) -> dict[str, Any]:
    return {"refreshToken": await world.fresh_refresh_token()}


# Arguments that need real things (merged over the minimal ones). The fields marked `aimed` take
# member A's resources (or partner A's), so member B and partner B must get no data from them.
OVERRIDES: dict[str, Override] = {
    "member": fixed(phone=lambda w: "13800138000"),
    "partnerMember": fixed(memberRef=_id("ref")),
    "partnerStatement": fixed(partnerId=_id("partner_a"), **{"from": lambda w: "2026-01-01T00:00:00Z",
                                                             "to": lambda w: "2026-03-01T00:00:00Z"}),
    "partnerEarn": fixed(memberRef=_id("ref"), partnerAmount=lambda w: 1),
    "partnerBurn": fixed(memberRef=_id("ref"), transactionId=lambda w: "BURN", points=lambda w: 1,
                         authorizationCode=_id("burn_code")),
    "partnerReverse": fixed(transactionId=lambda w: "SEED"),
    "partnerToken": fixed(clientId=_id("client_id"), clientSecret=_id("client_secret")),
    # Two staff roles may rotate: aimed at partner C, or partner A's secret would not outlive the grace.
    "rotatePartnerSecret": fixed(partnerId=_id("partner_c")),
    # A partner's endpoint: an operator endpoint (no partner) is for HQ only, which the use case checks.
    "addWebhook": fixed(partnerId=_id("partner_c")),
    "deactivatePartner": fixed(partnerId=_id("partner_c")),
    "revokePartnerSecrets": fixed(partnerId=_id("partner_c")),
    "deactivateStaff": fixed(staffId=_id("spare")),
    "resetStaffPassword": fixed(staffId=_id("spare")),
    "assignStaffStores": fixed(staffId=_id("spare")),
    "changeStaffRole": fixed(staffId=_id("spare")),
    "signInStaff": fixed(username=lambda w: "ops-anna", password=lambda w: "correct horse battery"),
    "refreshSession": _refresh,
    "signOut": _refresh,
    "cancelRedemption": fixed(id=_id("redemption")),
    "useVoucher": fixed(code=_id("voucher"), storeId=lambda w: CLERK_STORE),
    "deletePost": fixed(postId=_id("doomed_post")),
    "commentOnPost": fixed(postId=_id("post")),
    "likePost": fixed(postId=_id("post")),
    "unlikePost": fixed(postId=_id("post")),
    "reportContent": fixed(target=lambda w: "POST", id=_id("post")),
    "moderatePost": fixed(postId=_id("post")),
    "joinGroup": fixed(groupId=_id("group")),
    "leaveGroup": fixed(groupId=_id("group")),
    "linkPartner": fixed(partnerId=_id("partner_c")),
    "unlinkPartner": fixed(partnerId=_id("partner_c")),
    "authorizePartnerBurn": fixed(partnerId=_id("partner_a")),
    "linkIdentity": fixed(input=lambda w: {"channel": "APP_DEVICE", "externalId": "dev-1",
                                           "memberId": w.ids["member_a"]}),
    "unlinkIdentity": fixed(input=lambda w: {"channel": "APP_DEVICE", "externalId": "dev-1",
                                             "memberId": w.ids["member_a"]}),
    "eraseMember": fixed(input=lambda w: {"memberId": w.ids["erasable"], "confirmation": "no", "reason": "x"}),
    "exportMemberData": fixed(memberId=_id("member_a")),
    "memberAuditLog": fixed(memberId=_id("member_a")),
    "memberInsights": fixed(memberId=_id("member_a")),
}
AIMED_AT_A = {"partnerMember", "partnerStatement", "partnerEarn", "partnerBurn", "partnerReverse",
              "cancelRedemption", "deletePost", "linkIdentity", "unlinkIdentity"}


def minimal(t: GraphQLInputType) -> Any:
    if isinstance(t, GraphQLNonNull):
        return minimal(t.of_type)
    if isinstance(t, GraphQLList):
        return [minimal(t.of_type)]
    if isinstance(t, GraphQLEnumType):
        return next(iter(t.values))
    if isinstance(t, GraphQLInputObjectType):
        return {name: minimal(f.type) for name, f in t.fields.items()
                if isinstance(f.type, GraphQLNonNull) and f.default_value is Undefined}
    assert isinstance(t, GraphQLScalarType)
    if t.name not in MINIMAL_SCALARS:
        raise AssertionError(f"the matrix needs a minimal value for scalar {t.name}")
    return MINIMAL_SCALARS[t.name]


def _merge(base: Any, extra: Any) -> Any:
    if isinstance(base, dict) and isinstance(extra, dict):
        return {**base, **{k: _merge(base.get(k), v) for k, v in extra.items()}}
    return extra


async def call_for(world: World, operation: str, name: str, gql_field: GraphQLField) -> tuple[str, dict]:
    values = {arg: minimal(a.type) for arg, a in gql_field.args.items()
              if isinstance(a.type, GraphQLNonNull) and a.default_value is Undefined}
    if name in OVERRIDES:
        values = _merge(values, await OVERRIDES[name](world))
    decls = ", ".join(f"${arg}: {gql_field.args[arg].type}" for arg in values)
    args = ", ".join(f"{arg}: ${arg}" for arg in values)
    selection = "" if is_leaf_type(get_named_type(gql_field.type)) else " { __typename }"
    document = (f"{operation}{f'({decls})' if decls else ''} "
                f"{{ {name}{f'({args})' if args else ''}{selection} }}")
    return document, values


def root_fields(operation: str) -> dict[str, GraphQLField]:
    schema = build_schema()._schema
    root = {"query": schema.query_type, "mutation": schema.mutation_type,
            "subscription": schema.subscription_type}[operation]
    assert root is not None
    return dict(root.fields)


def judge(name: str, access_type: str, caller: str, codes: list[str], got_data: bool) -> str | None:
    """The matrix rule for one call; a sentence when it is broken."""
    table = ROOT_FIELDS[access_type]
    if name not in table:
        return f"{access_type}.{name} has no line in domain/auth/access.py"
    allowed = table[name].admits(KIND[caller], STAFF_ROLE.get(caller))
    if not allowed:
        expected = "UNAUTHENTICATED" if caller == "anonymous" else "FORBIDDEN"
        if got_data or expected not in codes:
            return f"{name} as {caller}: expected {expected} and no data, got {codes or 'data'}"
        return None
    if REFUSALS & set(codes):
        return f"{name} as {caller}: the table allows it but it answered {codes}"
    if caller in INTRUDERS and name in AIMED_AT_A and got_data:
        return f"{name} as {caller}: got member A's data"
    return None


async def test_every_query_and_mutation_field_as_every_caller(pg_api: ApiClient) -> None:
    world = await build_world(pg_api)
    failures: list[str] = []
    calls = 0
    for operation, access_type in (("query", "Query"), ("mutation", "Mutation")):
        for name, gql_field in root_fields(operation).items():
            for caller in CALLERS:
                document, values = await call_for(world, operation, name, gql_field)
                response = await pg_api.post(document, values, world.tokens[caller])
                body = response.json()
                got_data = bool(body.get("data")) and body["data"].get(name) is not None
                calls += 1
                if problem := judge(name, access_type, caller, error_codes(body), got_data):
                    failures.append(problem)
    assert not failures, "\n".join(failures)
    fields = len(ROOT_FIELDS["Query"]) + len(ROOT_FIELDS["Mutation"])
    assert calls == fields * len(CALLERS)


async def _subscribe(host: str, token: str | None, document: str) -> tuple[list[str], bool]:
    """(error codes, got data) for one subscription; a closed connection is a refusal of its own."""
    async with websockets.connect(f"ws://{host}/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"accessToken": token} if token else {}}))
        try:
            ack = json.loads(await asyncio.wait_for(ws.recv(), 5))
            if ack["type"] != "connection_ack":
                return ["UNAUTHENTICATED"], False
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": document}}))
            message = json.loads(await asyncio.wait_for(ws.recv(), 1))
        except websockets.ConnectionClosed as closed:
            code = closed.rcvd.code if closed.rcvd else None
            return (["UNAUTHENTICATED"] if code in (4401, 4403) else [f"closed {code}"]), False
        except TimeoutError:
            return [], False  # subscribed and waiting for an event: not refused
    if message["type"] == "error":
        return [e.get("extensions", {}).get("code") for e in message["payload"]], False
    payload = message.get("payload", {})
    return error_codes(payload), bool(payload.get("data"))


async def test_every_subscription_field_as_every_caller(pg_api: ApiClient) -> None:
    world = await build_world(pg_api)
    failures: list[str] = []
    fields = root_fields("subscription")
    async with served(pg_api.app) as host:
        for name, gql_field in fields.items():
            for caller in CALLERS:
                document, values = await call_for(world, "subscription", name, gql_field)
                assert not values, "subscription arguments are all optional today; pass variables if that changes"
                codes, got_data = await _subscribe(host, world.tokens[caller], document)
                if problem := judge(name, "Subscription", caller, codes, got_data):
                    failures.append(problem)
    assert not failures, "\n".join(failures)


def test_a_root_field_without_a_declaration_stops_the_schema_build() -> None:
    @strawberry.type
    class Query:
        @strawberry.field
        def sneaky(self) -> int:
            return 1

    with pytest.raises(UndeclaredRootField, match=r"Query\.sneaky has no access declaration"):
        guard_root_fields(strawberry.Schema(query=Query)._schema)


def test_the_table_covers_exactly_the_schema() -> None:
    schema = build_schema()._schema  # builds: every field is declared
    for type_name, root in (("Query", schema.query_type), ("Mutation", schema.mutation_type),
                            ("Subscription", schema.subscription_type)):
        assert root is not None
        assert set(root.fields) == set(ROOT_FIELDS[type_name])



def test_every_scoped_field_is_aimed_at_member_a() -> None:
    """A partner field acting on linked members, or a member field taking member A's ids, must be
    called by the intruders with A's real ids; otherwise the matrix would only see NOT_FOUND for "1"."""
    scoped = {name for table in ROOT_FIELDS.values() for name, access in table.items()
              if access.scope is Scope.LINKED_MEMBER}
    assert scoped <= AIMED_AT_A, f"aim these at member A in OVERRIDES and AIMED_AT_A: {sorted(scoped - AIMED_AT_A)}"
    assert set(OVERRIDES) >= AIMED_AT_A
    for name in AIMED_AT_A:
        access = next(table[name] for table in ROOT_FIELDS.values() if name in table)
        assert access.scope in (Scope.SELF, Scope.LINKED_MEMBER), name
