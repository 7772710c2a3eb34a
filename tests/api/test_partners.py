"""Acting as a partner system: client credentials, linked members only, earn/burn/reverse, settlement."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest

from tests.support.client import ApiClient, error_codes
from tests.support.program import configure_program
from tests.support.roles import staff_token

CREATE = """mutation($i: CreatePartnerInput!) { createPartner(input: $i) { clientSecret partner { id clientId } } }"""
TOKEN = """mutation($c: String!, $s: String!) { partnerToken(clientId: $c, clientSecret: $s) { accessToken } }"""
LINK = """mutation($p: ID!, $s: Boolean!) { linkPartner(partnerId: $p, sharePhone: $s) { memberRef } }"""
EARN = """mutation($m: String!, $t: String!, $a: Int!) { partnerEarn(memberRef: $m, transactionId: $t,
  partnerAmount: $a) { points kind } }"""
BURN = """mutation($m: String!, $t: String!, $p: Int!, $c: String!) { partnerBurn(memberRef: $m, transactionId: $t,
  points: $p, authorizationCode: $c) { points } }"""
REVERSE = """mutation($t: String!) { partnerReverse(transactionId: $t) { reversed } }"""
AUTH = """mutation($p: ID!, $n: Int!) { authorizePartnerBurn(partnerId: $p, maxPoints: $n) }"""
POINTS = "{ me { points { available total } } }"


@pytest.fixture
async def setup(api: ApiClient):
    await configure_program(api.container)
    staff = await staff_token(api)
    partner_input = {"name": "Coffee Co", "partnerUnits": 100, "programPoints": 40, "dailyEarnCap": 10_000,
                     "dailyBurnCap": 10_000}
    made = (await api.data(CREATE, {"i": partner_input}, staff))["createPartner"]
    token = (await api.data(TOKEN, {"c": made["partner"]["clientId"], "s": made["clientSecret"]}))["partnerToken"]
    member = await api.sign_in("13800138000")
    ref = (await api.data(LINK, {"p": made["partner"]["id"], "s": False}, member.access_token))["linkPartner"][
        "memberRef"]
    return api, staff, made, token["accessToken"], member, ref


async def test_earn_at_the_exchange_rate_once_per_transaction(setup) -> None:
    api, _staff, _made, partner, member, ref = setup
    first = await api.data(EARN, {"m": ref, "t": "T1", "a": 250}, partner)
    assert first["partnerEarn"] == {"points": 100, "kind": "EARN"}, "250 partner points * 40/100"
    await api.data(EARN, {"m": ref, "t": "T1", "a": 250}, partner)
    changed = await api.gql(EARN, {"m": ref, "t": "T1", "a": 999}, partner)
    assert error_codes(changed) == ["IDEMPOTENCY_CONFLICT"]
    assert (await api.data(POINTS, token=member.access_token))["me"]["points"] == {"available": 100, "total": 100}
    view = await api.data('query($m: String!) { partnerMember(memberRef: $m) { displayName phone } }', {"m": ref},
                          partner)
    assert view["partnerMember"]["phone"] is None, "no phone without consent"


async def test_burn_needs_the_members_single_use_code(setup) -> None:
    api, _staff, made, partner, member, ref = setup
    await api.data(EARN, {"m": ref, "t": "T1", "a": 1000}, partner)  # 400 points
    assert error_codes(await api.gql(BURN, {"m": ref, "t": "B0", "p": 50, "c": "WRONGCODE"}, partner)) == [
        "FORBIDDEN"]
    code = (await api.data(AUTH, {"p": made["partner"]["id"], "n": 100}, member.access_token))["authorizePartnerBurn"]
    assert error_codes(await api.gql(BURN, {"m": ref, "t": "B1", "p": 150, "c": code}, partner)) == ["FORBIDDEN"], (
        "more than approved")
    assert (await api.data(BURN, {"m": ref, "t": "B1", "p": 80, "c": code}, partner))["partnerBurn"]["points"] == 80
    replay = await api.gql(BURN, {"m": ref, "t": "B2", "p": 10, "c": code}, partner)
    assert error_codes(replay) == ["FORBIDDEN"], "a used code cannot be replayed"
    assert (await api.data(POINTS, token=member.access_token))["me"]["points"]["total"] == 320
    # Reversing the burn gives the points back, once.
    assert (await api.data(REVERSE, {"t": "B1"}, partner))["partnerReverse"]["reversed"] is True
    await api.data(REVERSE, {"t": "B1"}, partner)
    assert (await api.data(POINTS, token=member.access_token))["me"]["points"]["total"] == 400


async def test_partners_see_only_their_linked_members(setup) -> None:
    api, staff, made, partner, member, ref = setup
    other = (await api.data(CREATE, {"i": {"name": "Tea Co", "partnerUnits": 1, "programPoints": 1,
                                           "dailyEarnCap": 100, "dailyBurnCap": 100}}, staff))["createPartner"]
    other_token = (await api.data(TOKEN, {"c": other["partner"]["clientId"], "s": other["clientSecret"]}))[
        "partnerToken"]["accessToken"]
    assert error_codes(await api.gql(EARN, {"m": ref, "t": "X", "a": 10}, other_token)) == ["NOT_FOUND"]
    await api.data("mutation($p: ID!) { unlinkPartner(partnerId: $p) }", {"p": made["partner"]["id"]},
                   member.access_token)
    assert error_codes(await api.gql(EARN, {"m": ref, "t": "Y", "a": 10}, partner)) == ["NOT_FOUND"]
    assert error_codes(await api.gql(EARN, {"m": ref, "t": "Z", "a": 10}, member.access_token)) == ["FORBIDDEN"]
    bad = await api.gql(TOKEN, {"c": made["partner"]["clientId"], "s": "not-the-secret"})
    assert error_codes(bad) == ["UNAUTHENTICATED"]


async def test_caps_rotation_and_statement(setup) -> None:
    api, staff, made, partner, _member, ref = setup
    assert error_codes(await api.gql(EARN, {"m": ref, "t": "BIG", "a": 30_000}, partner)) == ["LIMIT_EXCEEDED"]
    rotated = (await api.data("mutation($p: ID!) { rotatePartnerSecret(partnerId: $p) { clientSecret } }",
                              {"p": made["partner"]["id"]}, staff))["rotatePartnerSecret"]["clientSecret"]
    for secret in (made["clientSecret"], rotated):  # both work during the switch-over
        await api.data(TOKEN, {"c": made["partner"]["clientId"], "s": secret})
    await api.data(EARN, {"m": ref, "t": "S1", "a": 100}, partner)
    await api.data(EARN, {"m": ref, "t": "S2", "a": 200}, partner)
    await api.data(REVERSE, {"t": "S2"}, partner)
    now = api.container.now()
    statement = """query($p: ID!, $f: DateTime!, $t: DateTime!) { partnerStatement(partnerId: $p, from: $f, to: $t) {
      kind partnerAmount points } }"""
    rows = (await api.data(statement, {"p": made["partner"]["id"], "f": (now - timedelta(days=1)).isoformat(),
                                       "t": (now + timedelta(days=1)).isoformat()}, partner))["partnerStatement"]
    assert {(r["kind"], r["points"]) for r in rows} == {("EARN", 120), ("REVERSE", -80)}
    assert error_codes(await api.gql(statement, {"p": made["partner"]["id"], "f": now.isoformat(),
                                                 "t": (now - timedelta(days=1)).isoformat()}, staff)) == [
        "BAD_USER_INPUT"]


async def test_each_partner_credential_is_rate_limited(make_client) -> None:
    api = make_client(partner_requests_per_minute=3)
    await configure_program(api.container)
    staff = await staff_token(api)
    made = (await api.data(CREATE, {"i": {"name": "Busy Co", "partnerUnits": 1, "programPoints": 1,
                                          "dailyEarnCap": 1000, "dailyBurnCap": 1000}}, staff))["createPartner"]
    token = (await api.data(TOKEN, {"c": made["partner"]["clientId"], "s": made["clientSecret"]}))["partnerToken"][
        "accessToken"]
    member = await api.sign_in("13800138000")
    ref = (await api.data(LINK, {"p": made["partner"]["id"], "s": True}, member.access_token))["linkPartner"][
        "memberRef"]
    codes = [error_codes(await api.gql(EARN, {"m": ref, "t": f"R{i}", "a": 1}, token)) for i in range(5)]
    assert codes[:3] == [[], [], []] and codes[3:] == [["RATE_LIMITED"], ["RATE_LIMITED"]]
    assert (await api.data(POINTS, token=member.access_token))["me"]["points"]["total"] == 3


async def test_a_burn_of_one_point_is_the_smallest_and_the_member_view_names_the_link(setup) -> None:
    api, _staff, made, partner, member, ref = setup
    await api.data(EARN, {"m": ref, "t": "T1", "a": 1000}, partner)  # 400 points
    code = (await api.data(AUTH, {"p": made["partner"]["id"], "n": 100}, member.access_token))["authorizePartnerBurn"]
    zero = await api.gql(BURN, {"m": ref, "t": "Z0", "p": 0, "c": code}, partner)
    assert error_codes(zero) == ["BAD_USER_INPUT"]
    assert (await api.data(BURN, {"m": ref, "t": "Z1", "p": 1, "c": code}, partner))["partnerBurn"]["points"] == 1
    assert (await api.data(POINTS, token=member.access_token))["me"]["points"]["total"] == 399
    view = await api.data('query($m: String!) { partnerMember(memberRef: $m) { memberRef } }', {"m": ref}, partner)
    assert view["partnerMember"]["memberRef"] == ref


async def test_a_replayed_burn_pays_once_and_a_transaction_id_keeps_its_kind(setup) -> None:
    api, _staff, made, partner, member, ref = setup
    await api.data(EARN, {"m": ref, "t": "T1", "a": 1000}, partner)  # 400 points
    code = (await api.data(AUTH, {"p": made["partner"]["id"], "n": 100}, member.access_token))["authorizePartnerBurn"]
    assert (await api.data(BURN, {"m": ref, "t": "B1", "p": 80, "c": code}, partner))["partnerBurn"]["points"] == 80
    again = await api.gql(BURN, {"m": ref, "t": "B1", "p": 80, "c": code}, partner)
    assert error_codes(again) == [] and again["data"]["partnerBurn"]["points"] == 80, "a retry is answered, not refused"
    assert (await api.data(POINTS, token=member.access_token))["me"]["points"]["total"] == 320, "paid once"
    # Same member, same partner amount (the burn's 80 points are 200 partner units), other kind: a conflict.
    assert error_codes(await api.gql(EARN, {"m": ref, "t": "B1", "a": 200}, partner)) == ["IDEMPOTENCY_CONFLICT"]
    big = (await api.data(AUTH, {"p": made["partner"]["id"], "n": 400}, member.access_token))["authorizePartnerBurn"]
    assert error_codes(await api.gql(BURN, {"m": ref, "t": "T1", "p": 400, "c": big}, partner)) == [
        "IDEMPOTENCY_CONFLICT"]
    assert (await api.data(POINTS, token=member.access_token))["me"]["points"]["total"] == 320


async def test_partner_credentials_and_member_references_are_recognisable(setup) -> None:
    """Support staff tell a partner client id (`pc_`) from a member reference (`pm_`) at a glance."""
    _api, _staff, made, _partner, _member, ref = setup
    assert made["partner"]["clientId"].startswith("pc_") and len(made["partner"]["clientId"]) == 3 + 16
    assert ref.startswith("pm_") and len(ref) == 3 + 20


async def test_transaction_webhooks_name_the_member_by_reference_and_mirror_reversals(setup) -> None:
    api, staff, made, partner, _member, ref = setup
    await api.data("""mutation($p: ID!) { addWebhook(url: "https://hooks.example.com/loyalty", partnerId: $p,
      eventTypes: ["partner.transaction"]) { secret } }""", {"p": made["partner"]["id"]}, staff)
    await api.data(EARN, {"m": ref, "t": "W1", "a": 250}, partner)
    await api.data(REVERSE, {"t": "W1"}, partner)
    async with api.container.uow() as uow:
        due = await uow.webhooks.due(api.container.now() + timedelta(seconds=1), 10)
    events = [json.loads(o.body)["data"] for o in due]
    assert events == [
        {"transactionId": "W1", "kind": "EARN", "points": 100, "partnerAmount": 250, "memberRef": ref},
        {"transactionId": "rev:W1", "kind": "REVERSE", "points": -100, "partnerAmount": -250, "memberRef": ref},
    ]


async def test_the_daily_cap_counts_the_program_day_from_its_first_moment(setup, monkeypatch) -> None:
    api, staff, _made, _partner, member, _ref = setup
    made = (await api.data(CREATE, {"i": {"name": "Cap Co", "partnerUnits": 1, "programPoints": 1,
                                          "dailyEarnCap": 100, "dailyBurnCap": 100}}, staff))["createPartner"]
    token = (await api.data(TOKEN, {"c": made["partner"]["clientId"], "s": made["clientSecret"]}))["partnerToken"][
        "accessToken"]
    ref = (await api.data(LINK, {"p": made["partner"]["id"], "s": False}, member.access_token))["linkPartner"][
        "memberRef"]
    start, end = api.container.day_bounds()
    moment = {"now": start}
    monkeypatch.setattr(api.container, "now", lambda: moment["now"])
    monkeypatch.setattr(api.container, "day_bounds", lambda day=None: (start, end) if moment["now"] < end
                        else (end, end + timedelta(days=1)))
    await api.data(EARN, {"m": ref, "t": "C1", "a": 60}, token)  # at the day's first moment
    moment["now"] = end - timedelta(seconds=1)
    assert error_codes(await api.gql(EARN, {"m": ref, "t": "C2", "a": 41}, token)) == ["LIMIT_EXCEEDED"]
    assert error_codes(await api.gql(EARN, {"m": ref, "t": "C3", "a": 40}, token)) == [], "exactly the cap"
    moment["now"] = end  # the next day starts with a fresh cap
    assert error_codes(await api.gql(EARN, {"m": ref, "t": "C4", "a": 100}, token)) == []


async def test_points_between_sums_one_kind_in_the_window_per_member_or_for_all(setup) -> None:
    api, _staff, made, partner, member, ref = setup
    other = await api.sign_in("13900139000")
    other_ref = (await api.data(LINK, {"p": made["partner"]["id"], "s": False}, other.access_token))[
        "linkPartner"]["memberRef"]
    await api.data(EARN, {"m": ref, "t": "P1", "a": 100}, partner)  # 40 points
    await api.data(EARN, {"m": other_ref, "t": "P2", "a": 250}, partner)  # 100 points
    start, end = api.container.day_bounds()
    partner_id = int(made["partner"]["id"])
    async with api.container.uow() as uow:
        assert await uow.partners.points_between(partner_id, None, "EARN", start, end) == 140
        assert await uow.partners.points_between(partner_id, int(member.member_id), "EARN", start, end) == 40
        assert await uow.partners.points_between(partner_id, None, "BURN", start, end) == 0
        assert await uow.partners.points_between(partner_id, None, "EARN", end, end + timedelta(days=1)) == 0


async def test_a_brand_name_is_1_to_80_characters(setup) -> None:
    api, staff, *_ = setup
    fields = {"partnerUnits": 1, "programPoints": 1, "dailyEarnCap": 1, "dailyBurnCap": 1}
    assert error_codes(await api.gql(CREATE, {"i": {"name": "N" * 80, **fields}}, staff)) == []
    long = await api.gql(CREATE, {"i": {"name": "N" * 81, **fields}}, staff)
    assert error_codes(long) == ["BAD_USER_INPUT"]
    assert long["errors"][0]["extensions"]["fieldErrors"][0]["field"] == "name"


async def test_unknown_or_inactive_partners_get_no_token_and_make_no_calls(setup) -> None:
    api, _staff, made, partner, _member, ref = setup
    assert error_codes(await api.gql(TOKEN, {"c": "pc_nobody", "s": made["clientSecret"]})) == ["UNAUTHENTICATED"]
    async with api.container.uow() as uow:
        found = await uow.partners.get(int(made["partner"]["id"]))
        await uow.partners.save(replace(found, active=False))
        await uow.commit()
    refused = await api.gql(TOKEN, {"c": made["partner"]["clientId"], "s": made["clientSecret"]})
    assert error_codes(refused) == ["UNAUTHENTICATED"]
    # The token it already holds is refused at the door (checked against the partner on every request).
    stopped = await api.gql(EARN, {"m": ref, "t": "I1", "a": 100}, partner)
    assert error_codes(stopped) == ["UNAUTHENTICATED"]
    assert stopped["errors"][0]["extensions"]["reason"] == "ACCOUNT_DEACTIVATED"


async def test_linking_again_changes_the_phone_choice_and_keeps_the_reference(setup) -> None:
    api, _staff, made, partner, member, ref = setup
    view = 'query($m: String!) { partnerMember(memberRef: $m) { phone tierRank } }'
    assert (await api.data(view, {"m": ref}, partner))["partnerMember"]["phone"] is None
    again = (await api.data(LINK, {"p": made["partner"]["id"], "s": True}, member.access_token))["linkPartner"]
    assert again["memberRef"] == ref
    seen = (await api.data(view, {"m": ref}, partner))["partnerMember"]
    assert seen["phone"] == "+8613800138000"
    tier = (await api.data("{ me { tier { current { rank } } } }", token=member.access_token))["me"]["tier"]
    assert seen["tierRank"] == (tier["current"]["rank"] if tier and tier["current"] else 0)


async def test_a_burn_code_works_until_five_minutes_after_it_was_given(setup, monkeypatch) -> None:
    api, _staff, made, partner, member, ref = setup
    await api.data(EARN, {"m": ref, "t": "T1", "a": 1000}, partner)  # 400 points
    given = api.container.now()
    moment = {"now": given}
    monkeypatch.setattr(api.container, "now", lambda: moment["now"])
    late = (await api.data(AUTH, {"p": made["partner"]["id"], "n": 50}, member.access_token))["authorizePartnerBurn"]
    just = (await api.data(AUTH, {"p": made["partner"]["id"], "n": 50}, member.access_token))["authorizePartnerBurn"]
    moment["now"] = given + timedelta(minutes=5) - timedelta(seconds=1)
    assert error_codes(await api.gql(BURN, {"m": ref, "t": "E1", "p": 50, "c": just}, partner)) == []
    moment["now"] = given + timedelta(minutes=5)
    assert error_codes(await api.gql(BURN, {"m": ref, "t": "E2", "p": 50, "c": late}, partner)) == ["FORBIDDEN"]
    assert (await api.data(POINTS, token=member.access_token))["me"]["points"]["total"] == 350


async def test_the_statement_holds_its_from_moment_and_not_its_to_moment(setup, monkeypatch) -> None:
    api, _staff, made, partner, _member, ref = setup
    start = api.container.now().replace(microsecond=0)
    moment = {"now": start}
    monkeypatch.setattr(api.container, "now", lambda: moment["now"])
    await api.data(EARN, {"m": ref, "t": "F1", "a": 100}, partner)  # 40 points, at `from`
    moment["now"] = start + timedelta(hours=1)
    await api.data(EARN, {"m": ref, "t": "F2", "a": 250}, partner)  # 100 points, at `to`
    query = """query($p: ID!, $f: DateTime!, $t: DateTime!) { partnerStatement(partnerId: $p, from: $f, to: $t) {
      kind partnerAmount points } }"""
    rows = (await api.data(query, {"p": made["partner"]["id"], "f": start.isoformat(),
                                   "t": moment["now"].isoformat()}, partner))["partnerStatement"]
    assert [(r["kind"], r["partnerAmount"], r["points"]) for r in rows] == [("EARN", 100, 40)]


async def test_the_members_export_shows_the_partner_amount_of_each_partner_entry(setup) -> None:
    api, _staff, made, partner, member, ref = setup
    await api.data(EARN, {"m": ref, "t": "X1", "a": 1000}, partner)  # 400 points
    code = (await api.data(AUTH, {"p": made["partner"]["id"], "n": 100}, member.access_token))["authorizePartnerBurn"]
    await api.data(BURN, {"m": ref, "t": "X2", "p": 80, "c": code}, partner)
    document = (await api.data("{ exportMyData { document } }", token=member.access_token))["exportMyData"]["document"]
    ledger = (json.loads(document) if isinstance(document, str) else document)["pointsLedger"]
    assert sorted((e["amount"], e["details"]) for e in ledger) == [(-80, {"partnerAmount": 200}),
                                                                   (400, {"partnerAmount": 1000})]
