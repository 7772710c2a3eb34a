"""Members read and edit their own profile; invalid input changes nothing."""

from __future__ import annotations

from tests.support.client import ApiClient, error_codes
from tests.support.roles import partner_token, staff_token

PROFILE_FIELDS = """
id displayName avatarUrl birthday birthdayEditable gender tags marketingConsent marketingConsentAt joinedAt
"""
ME = f"{{ me {{ {PROFILE_FIELDS} }} }}"
UPDATE = f"mutation($i: UpdateProfileInput!) {{ updateProfile(input: $i) {{ member {{ {PROFILE_FIELDS} }} }} }}"
CORRECT = """mutation($i: CorrectBirthdayInput!) {
  correctBirthday(input: $i) { member { birthday birthdayEditable } }
}"""


async def test_member_updates_profile_and_sees_it_in_me(api: ApiClient) -> None:
    s = await api.sign_in("13800138000")
    changes = {
        "displayName": "  Lin Wei ", "avatarUrl": "https://cdn.example.com/a.png", "gender": "FEMALE",
        "tags": ["coffee", "fashion", "coffee"], "marketingConsent": True, "birthday": "1990-05-17",
    }
    member = (await api.data(UPDATE, {"i": changes}, s.access_token))["updateProfile"]["member"]
    assert member["displayName"] == "Lin Wei"
    assert member["tags"] == ["coffee", "fashion"]
    assert member["birthday"] == "1990-05-17" and member["birthdayEditable"] is False
    assert member["marketingConsent"] is True and member["marketingConsentAt"] is not None

    me = (await api.data(ME, token=s.access_token))["me"]
    assert me == member

    # Fields left out stay as they are; null clears a clearable field.
    cleared = (await api.data(UPDATE, {"i": {"avatarUrl": None}}, s.access_token))["updateProfile"]["member"]
    assert cleared["avatarUrl"] is None and cleared["displayName"] == "Lin Wei"


async def test_invalid_fields_are_reported_each_and_nothing_changes(api: ApiClient) -> None:
    s = await api.sign_in("13800138000")
    await api.data(UPDATE, {"i": {"displayName": "Before"}}, s.access_token)
    body = await api.gql(
        UPDATE,
        {"i": {"displayName": "x" * 31, "avatarUrl": "ftp://nope", "birthday": "2999-01-01",
               "tags": ["ok", ""], "marketingConsent": True}},
        s.access_token,
    )
    assert error_codes(body) == ["BAD_USER_INPUT"]
    fields = {e["field"] for e in body["errors"][0]["extensions"]["fieldErrors"]}
    assert fields == {"displayName", "avatarUrl", "birthday", "tags"}
    me = (await api.data(ME, token=s.access_token))["me"]
    assert me["displayName"] == "Before" and me["marketingConsent"] is False and me["birthday"] is None


async def test_unknown_enum_value_is_bad_input(api: ApiClient) -> None:
    s = await api.sign_in("13800138000")
    body = await api.gql(UPDATE, {"i": {"gender": "ROBOT"}}, s.access_token)
    assert error_codes(body) and error_codes(body)[0] in ("BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED")


async def test_birthday_is_set_once_by_the_member_and_corrected_by_staff(api: ApiClient) -> None:
    s = await api.sign_in("13800138000")
    await api.data(UPDATE, {"i": {"birthday": "1990-05-17"}}, s.access_token)
    body = await api.gql(UPDATE, {"i": {"birthday": "1991-05-17"}}, s.access_token)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["fieldErrors"][0]["field"] == "birthday"

    # A member cannot use the staff correction.
    own = await api.gql(CORRECT, {"i": {"memberId": s.member_id, "birthday": "1991-05-17", "reason": "typo"}},
                        s.access_token)
    assert error_codes(own) == ["FORBIDDEN"]

    staff = await staff_token(api)
    no_reason = await api.gql(CORRECT, {"i": {"memberId": s.member_id, "birthday": "1991-05-17", "reason": " "}},
                              staff)
    assert error_codes(no_reason) == ["BAD_USER_INPUT"]
    fixed = await api.data(CORRECT, {"i": {"memberId": s.member_id, "birthday": "1991-05-17",
                                           "reason": "ID card shows 1991"}}, staff)
    assert fixed["correctBirthday"]["member"]["birthday"] == "1991-05-17"
    assert (await api.data(ME, token=s.access_token))["me"]["birthday"] == "1991-05-17"

    from sqlalchemy import select

    from domain.store.tables import audit_log

    async with api.container.engine.connect() as conn:
        rows = (await conn.execute(select(audit_log))).all()
    assert [(r.action, r.target, r.detail["to"], r.detail["reason"]) for r in rows] == [
        ("member.birthday.corrected", f"member:{s.member_id}", "1991-05-17", "ID card shows 1991")
    ]


async def test_me_needs_a_member(api: ApiClient) -> None:
    assert error_codes(await api.gql(ME)) == ["UNAUTHENTICATED"]
    assert error_codes(await api.gql(ME, token=await partner_token(api))) == ["FORBIDDEN"]
    assert error_codes(await api.gql(ME, token=await staff_token(api))) == ["FORBIDDEN"]


async def test_staff_cannot_edit_a_profile_as_if_a_member(api: ApiClient) -> None:
    staff = await staff_token(api)
    body = await api.gql(UPDATE, {"i": {"displayName": "hijack"}}, staff)
    assert error_codes(body) == ["FORBIDDEN"]
