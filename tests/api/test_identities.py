"""One member, many channel identities: each resolves to the same member."""

from __future__ import annotations

from tests.support.client import ApiClient, error_codes
from tests.support.roles import partner_token, staff_token

LINK = """mutation($i: LinkIdentityInput!) {
  linkIdentity(input: $i) { identity { channel externalId } member { id identities { channel externalId } } }
}"""
UNLINK = "mutation($i: LinkIdentityInput!) { unlinkIdentity(input: $i) { member { identities { externalId } } } }"
FIND = """query($phone: String, $channel: Channel, $ext: String) {
  member(phone: $phone, channel: $channel, externalId: $ext) { id phone }
}"""


async def test_every_linked_identity_resolves_to_the_same_member(api: ApiClient) -> None:
    s = await api.sign_in("13800138000")
    await api.data(LINK, {"i": {"channel": "APP_DEVICE", "externalId": "device-ios-42"}}, s.access_token)
    staff = await staff_token(api)
    linked = await api.data(LINK, {"i": {"channel": "MINI_PROGRAM", "externalId": "oWx_openid_1",
                                         "memberId": s.member_id}}, staff)
    assert [i["channel"] for i in linked["linkIdentity"]["member"]["identities"]] == ["APP_DEVICE", "MINI_PROGRAM"]
    # The POS desk links a store card for the member.
    await api.data(LINK, {"i": {"channel": "POS_CARD", "externalId": "CARD-0001", "memberId": s.member_id}}, staff)

    lookups = [
        {"phone": "13800138000"},
        {"channel": "APP_DEVICE", "ext": "device-ios-42"},
        {"channel": "MINI_PROGRAM", "ext": "oWx_openid_1"},
        {"channel": "POS_CARD", "ext": "CARD-0001"},
    ]
    for variables in lookups:
        found = (await api.data(FIND, variables, staff))["member"]
        assert found == {"id": s.member_id, "phone": "+8613800138000"}, variables


async def test_linking_is_idempotent_for_the_owner(api: ApiClient) -> None:
    s = await api.sign_in("13800138000")
    for _ in range(2):
        data = await api.data(LINK, {"i": {"channel": "APP_DEVICE", "externalId": "dev-1"}}, s.access_token)
    assert len(data["linkIdentity"]["member"]["identities"]) == 1


async def test_an_identity_owned_by_someone_else_is_refused(api: ApiClient) -> None:
    first = await api.sign_in("13800138000")
    second = await api.sign_in("13900139000")
    await api.data(LINK, {"i": {"channel": "APP_DEVICE", "externalId": "shared-device"}}, first.access_token)
    body = await api.gql(LINK, {"i": {"channel": "APP_DEVICE", "externalId": "shared-device"}}, second.access_token)
    assert error_codes(body) == ["IDENTITY_ALREADY_LINKED"]
    staff = await staff_token(api)
    taken = await api.gql(LINK, {"i": {"channel": "APP_DEVICE", "externalId": "shared-device",
                                       "memberId": second.member_id}}, staff)
    assert error_codes(taken) == ["IDENTITY_ALREADY_LINKED"], "staff cannot steal it either"
    found = (await api.data(FIND, {"channel": "APP_DEVICE", "ext": "shared-device"}, staff))["member"]
    assert found["id"] == first.member_id


async def test_a_member_cannot_link_for_another_member_or_look_members_up(api: ApiClient) -> None:
    first = await api.sign_in("13800138000")
    second = await api.sign_in("13900139000")
    body = await api.gql(
        LINK, {"i": {"channel": "POS_CARD", "externalId": "CARD-9", "memberId": first.member_id}}, second.access_token
    )
    assert error_codes(body) == ["NOT_FOUND"]
    assert error_codes(await api.gql(FIND, {"phone": "13800138000"}, second.access_token)) == ["FORBIDDEN"]
    assert error_codes(await api.gql(FIND, {"phone": "13800138000"}, await partner_token(api))) == ["FORBIDDEN"]


async def test_members_cannot_claim_cards_or_openids_themselves(api: ApiClient) -> None:
    s = await api.sign_in("13800138000")
    for channel in ("POS_CARD", "MINI_PROGRAM"):
        body = await api.gql(LINK, {"i": {"channel": channel, "externalId": "CARD00000001"}}, s.access_token)
        assert error_codes(body) == ["FORBIDDEN"], channel
    me = await api.data("{ me { identities { channel } } }", token=s.access_token)
    assert me["me"]["identities"] == []


async def test_unlink_and_bad_identity_values(api: ApiClient) -> None:
    s = await api.sign_in("13800138000")
    await api.data(LINK, {"i": {"channel": "APP_DEVICE", "externalId": "dev-1"}}, s.access_token)
    data = await api.data(UNLINK, {"i": {"channel": "APP_DEVICE", "externalId": "dev-1"}}, s.access_token)
    assert data["unlinkIdentity"]["member"]["identities"] == []
    again = await api.gql(UNLINK, {"i": {"channel": "APP_DEVICE", "externalId": "dev-1"}}, s.access_token)
    assert error_codes(again) == ["NOT_FOUND"]
    for bad in ["", "has space", "x" * 129, "semi;colon"]:
        body = await api.gql(LINK, {"i": {"channel": "APP_DEVICE", "externalId": bad}}, s.access_token)
        assert error_codes(body) == ["BAD_USER_INPUT"], bad
