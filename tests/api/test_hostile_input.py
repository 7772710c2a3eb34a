"""Hostile input gets BAD_USER_INPUT (or CONFLICT) with fieldErrors, never INTERNAL_SERVER_ERROR,
and nothing is logged at ERROR for it (issue #13 item 10)."""

from __future__ import annotations

import logging

import jwt
import pytest

from tests.conftest import TEST_KEYS
from tests.support.client import ApiClient, error_codes
from tests.support.program import configure_program
from tests.support.roles import staff_token

NUL = "a\u0000b"
LONG = "S" * 150

# (caller, document, variables): every one of these used to answer INTERNAL_SERVER_ERROR.
CASES = [
    ("member", "mutation($b: String!) { createPost(input: {body: $b}) { post { id } } }", {"b": NUL}),
    ("member", "mutation($b: String!) { commentOnPost(postId: \"1\", body: $b) { comment { id } } }", {"b": NUL}),
    ("member", 'mutation { createPost(input: {body: "x\\u0000y"}) { post { id } } }', {}),
    ("member", """mutation($m: String!) { giftPoints(input: {recipient: {phone: "13900139000"}, amount: 1,
        idempotencyKey: "g1", message: $m}) { balance { total } } }""", {"m": NUL}),
    ("anonymous", "mutation($u: String!) { signInStaff(username: $u, password: \"whatever-password\") { role } }",
     {"u": NUL}),
    ("member", "query($c: String) { rewards(category: $c) { edges { cursor } } }", {"c": NUL}),
    ("staff", """query($c: String!) { validateCoupon(input: {code: $c, storeId: "S1", items: []}) { applies } }""",
     {"c": NUL}),
    ("staff", """mutation($r: String!) { adjustPoints(input: {memberId: "1", amount: 1, reason: $r,
        idempotencyKey: "a1"}) { balance { total } } }""", {"r": NUL}),
    ("member", """mutation($s: String!) { redeemCoupon(input: {code: "NOPE", storeId: $s, items: []}) {
        discountCents } }""", {"s": LONG}),
    ("staff", "query { programKpis(from: \"0001-01-01\", to: \"0001-01-02\") { asOf } }", {}),
    ("staff", "query($f: Date!) { programKpis(from: $f, to: \"2026-01-01\") { asOf } }", {"f": "0001-01-01"}),
]

DATETIME_CASES = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"]


@pytest.fixture
async def callers(api: ApiClient) -> dict[str, str | None]:
    await configure_program(api.container)
    member = await api.sign_in("13800138000")
    await api.sign_in("13900139000")
    return {"member": member.access_token, "staff": await staff_token(api), "anonymous": None}


def _assert_refused_as_input(body: dict) -> None:
    codes = error_codes(body)
    assert codes and "INTERNAL_SERVER_ERROR" not in codes, body
    assert set(codes) <= {"BAD_USER_INPUT", "CONFLICT"}, body
    for error in body["errors"]:
        if error["extensions"]["code"] == "BAD_USER_INPUT" and error.get("path"):
            assert error["extensions"].get("fieldErrors"), error


@pytest.mark.parametrize("case", range(len(CASES)))
async def test_hostile_strings_and_keys_are_bad_user_input(case: int, api: ApiClient, callers, caplog) -> None:
    caller, document, variables = CASES[case]
    with caplog.at_level(logging.ERROR):
        body = await api.gql(document, variables, callers[caller])
    _assert_refused_as_input(body)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


@pytest.mark.parametrize("value", DATETIME_CASES)
async def test_datetimes_that_overflow_in_utc_are_bad_user_input(value: str, api: ApiClient, callers,
                                                                 caplog) -> None:
    document = """mutation($s: DateTime!, $e: DateTime!) { saveEvent(input: {title: "T", capacity: 10,
        startsAt: $s, signupOpensAt: $e, signupClosesAt: $e}) { id } }"""
    with caplog.at_level(logging.ERROR):
        body = await api.gql(document, {"s": value, "e": value}, callers["staff"])
        inline = await api.gql(document.replace("$s: DateTime!, $e: DateTime!", "").replace("()", "")
                               .replace("$s", f'"{value}"').replace("$e", f'"{value}"'), {}, callers["staff"])
    assert set(error_codes(body)) == {"BAD_USER_INPUT"}, body
    # Inline literals are checked while the document is validated (as for any literal of the wrong shape).
    assert set(error_codes(inline)) == {"GRAPHQL_VALIDATION_FAILED"}, inline
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


async def test_a_duplicate_group_name_is_a_conflict(api: ApiClient, callers) -> None:
    save = 'mutation { saveGroup(input: {name: "Runners"}) { group { id } } }'
    await api.data(save, token=callers["staff"])
    body = await api.gql(save, token=callers["staff"])
    assert error_codes(body) == ["CONFLICT"], body


async def test_a_negative_page_size_is_refused(api: ApiClient, callers) -> None:
    body = await api.gql("{ me { tierHistory(first: -1) { nodes { createdAt } } } }", token=callers["member"])
    assert error_codes(body) == ["BAD_USER_INPUT"], body
    assert body["errors"][0]["extensions"]["fieldErrors"][0]["field"] == "first"


async def test_a_token_subject_beyond_64_bits_is_401_not_500(api: ApiClient) -> None:
    import time
    claims = {"sub": str(2**64 + 5), "role": "member", "iss": "loyalty", "aud": "loyalty-api",
              "iat": int(time.time()), "exp": int(time.time()) + 600}
    token = jwt.encode(claims, TEST_KEYS["t1"], algorithm="HS256", headers={"kid": "t1"})
    response = await api.post("{ me { id } }", token=token)
    assert response.status_code in (200, 401), response.text
    assert error_codes(response.json()) == ["UNAUTHENTICATED"]


async def test_a_refund_of_an_order_with_the_longest_ids_is_answered(api: ApiClient, callers) -> None:
    """storeId and orderId fit their columns, but the idempotency scope built from both did not."""
    store, order_id = "S" * 64, "O" * 64
    purchase = """mutation($i: RecordPurchaseInput!) { recordPurchase(input: $i) { pointsEarned } }"""
    await api.data(purchase, {"i": {"member": {"phone": "13800138000"}, "orderId": order_id, "storeId": store,
                                    "amountCents": 10000, "items": [{"category": "apparel", "amountCents": 10000}]}},
                   callers["staff"])
    refund = """mutation($s: String!, $o: String!) { recordRefund(input: {orderId: $o, storeId: $s, refundId: "r1",
        amountCents: 100}) { refund { refundId } } }"""
    first = await api.data(refund, {"s": store, "o": order_id}, callers["staff"])
    again = await api.data(refund, {"s": store, "o": order_id}, callers["staff"])
    assert first == again == {"recordRefund": {"refund": {"refundId": "r1"}}}
