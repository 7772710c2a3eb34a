"""The member service log: complaints and after-sales cases per member with a status and an owner,
notes, and pages per member and per owner; clerks work only on their stores' cases. PostgreSQL."""

from __future__ import annotations

import pytest

from domain.auth.viewer import StaffRole
from tests.support.client import ApiClient, error_codes
from tests.support.roles import staff_token

pytestmark = pytest.mark.postgres

OPEN = """mutation($i: OpenServiceCaseInput!) { openServiceCase(input: $i) { case { id status ownerId storeId
  subject kind } } }"""
UPDATE = """mutation($i: UpdateServiceCaseInput!) { updateServiceCase(input: $i) { case { status ownerId
  notes { body status } } } }"""
BY_MEMBER = """query($m: ID!, $s: ServiceCaseStatus, $a: String) { memberServiceCases(memberId: $m, status: $s,
  first: 2, after: $a) { totalCount pageInfo { hasNextPage endCursor } nodes { subject status } } }"""
MINE = "query($o: ID) { ownedServiceCases(ownerId: $o) { totalCount nodes { subject } } }"
ONE = "query($id: ID!) { serviceCase(id: $id) { subject notes { body } } }"
STAFF_IDS = "query { staffAccounts { nodes { id username } } }"


@pytest.fixture
async def desk(pg_api: ApiClient):
    hq = await staff_token(pg_api)
    clerk = await staff_token(pg_api, "clerk-sun", role=StaffRole.STORE_CLERK, stores=["SH-01"])
    member = await pg_api.sign_in("13800138000")
    ids = {n["username"]: n["id"] for n in (await pg_api.data(STAFF_IDS, token=hq))["staffAccounts"]["nodes"]}
    return pg_api, hq, clerk, member.member_id, ids


async def test_a_case_moves_through_its_statuses_with_notes_and_owners(desk) -> None:
    api, hq, clerk, member_id, ids = desk
    opened = (await api.data(OPEN, {"i": {"memberId": member_id, "kind": "AFTER_SALES", "subject": "西装改裤长",
                                          "note": "顾客要求改短2厘米", "storeId": "SH-01"}}, clerk))["openServiceCase"]
    case = opened["case"]
    assert (case["status"], case["ownerId"], case["storeId"]) == ("OPEN", ids["clerk-sun"], "SH-01")
    moved = await api.data(UPDATE, {"i": {"caseId": case["id"], "status": "IN_PROGRESS", "ownerId": ids["ops-anna"],
                                          "note": "转总部处理"}}, clerk)
    assert moved["updateServiceCase"]["case"]["status"] == "IN_PROGRESS"
    assert moved["updateServiceCase"]["case"]["ownerId"] == ids["ops-anna"]
    await api.data(UPDATE, {"i": {"caseId": case["id"], "status": "RESOLVED", "note": "已改好"}}, hq)
    closed = await api.data(UPDATE, {"i": {"caseId": case["id"], "status": "CLOSED"}}, hq)
    notes = closed["updateServiceCase"]["case"]["notes"]
    assert [(n["body"], n["status"]) for n in notes] == [
        ("顾客要求改短2厘米", "OPEN"), ("转总部处理", "IN_PROGRESS"), ("已改好", "RESOLVED"), ("", "CLOSED")]
    again = await api.gql(UPDATE, {"i": {"caseId": case["id"], "note": "再次来电"}}, hq)
    assert error_codes(again) == ["CONFLICT"], "a closed case is final"
    empty = await api.gql(UPDATE, {"i": {"caseId": case["id"]}}, hq)
    assert error_codes(empty) == ["BAD_USER_INPUT"]


async def test_cases_page_per_member_and_per_owner_and_clerks_see_their_stores_only(desk) -> None:
    api, hq, clerk, member_id, ids = desk
    for subject, store in (("投诉一", "SH-01"), ("投诉二", "BJ-01"), ("投诉三", None)):
        await api.data(OPEN, {"i": {"memberId": member_id, "kind": "COMPLAINT", "subject": subject,
                                    "storeId": store}}, hq)
    first = (await api.data(BY_MEMBER, {"m": member_id}, hq))["memberServiceCases"]
    assert first["totalCount"] == 3 and [n["subject"] for n in first["nodes"]] == ["投诉三", "投诉二"]
    rest = (await api.data(BY_MEMBER, {"m": member_id, "a": first["pageInfo"]["endCursor"]}, hq))
    assert [n["subject"] for n in rest["memberServiceCases"]["nodes"]] == ["投诉一"]
    assert not rest["memberServiceCases"]["pageInfo"]["hasNextPage"]

    seen = (await api.data(BY_MEMBER, {"m": member_id}, clerk))["memberServiceCases"]
    assert seen["totalCount"] == 1 and [n["subject"] for n in seen["nodes"]] == ["投诉一"]
    assert (await api.data(MINE, {"o": ids["ops-anna"]}, hq))["ownedServiceCases"]["totalCount"] == 3
    assert (await api.data(MINE, token=clerk))["ownedServiceCases"]["totalCount"] == 0
    other = (await api.data(BY_MEMBER, {"m": member_id, "s": "OPEN"}, hq))["memberServiceCases"]["totalCount"]
    assert other == 3
    elsewhere = await api.gql(OPEN, {"i": {"memberId": member_id, "kind": "COMPLAINT", "subject": "x",
                                           "storeId": "BJ-01"}}, clerk)
    assert error_codes(elsewhere) == ["FORBIDDEN"]
    assert error_codes(await api.gql(OPEN, {"i": {"memberId": member_id, "kind": "COMPLAINT",
                                                  "subject": "x"}}, clerk)) == ["BAD_USER_INPUT"]


async def test_another_stores_case_is_not_found_for_a_clerk_and_analysts_have_no_access(desk) -> None:
    api, hq, clerk, member_id, _ids = desk
    case = (await api.data(OPEN, {"i": {"memberId": member_id, "kind": "COMPLAINT", "subject": "北京店",
                                        "storeId": "BJ-01"}}, hq))["openServiceCase"]["case"]
    assert error_codes(await api.gql(ONE, {"id": case["id"]}, clerk)) == ["NOT_FOUND"]
    assert error_codes(await api.gql(UPDATE, {"i": {"caseId": case["id"], "note": "x"}}, clerk)) == ["NOT_FOUND"]
    assert (await api.data(ONE, {"id": case["id"]}, hq))["serviceCase"]["subject"] == "北京店"
    analyst = await staff_token(api, "ana-zhou", role=StaffRole.ANALYST)
    assert error_codes(await api.gql(ONE, {"id": case["id"]}, analyst)) == ["FORBIDDEN"]
